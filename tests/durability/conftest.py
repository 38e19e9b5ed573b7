"""Fixtures of the durability suites: a private PostgreSQL cluster, the ``slow`` variants left out unless asked
for (``-m slow`` or ``GAMESERVICES_SLOW_TESTS=1``), and the measured figures printed at the end of the run."""

import os
from collections.abc import Iterator

import pytest

from tests.durability.crash_ingest import FIGURES
from tests.durability.processes import PostgresInstance, postgres_binaries

_printed: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the long variants unless the run selects them."""
    asked = (
        "slow" in (config.getoption("markexpr", "") or "") or os.environ.get("GAMESERVICES_SLOW_TESTS") == "1"
    )
    if asked:
        return
    for item in items:
        if item.get_closest_marker("slow") is not None and "durability" in item.nodeid:
            item.add_marker(pytest.mark.skip(reason="slow: run with -m slow or GAMESERVICES_SLOW_TESTS=1"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the figures the tests recorded (also from xdist workers, whose reports carry them)."""
    if report.when == "call":
        _printed.extend(str(value) for name, value in report.user_properties if name == FIGURES)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures after the results."""
    if _printed:
        terminalreporter.section("durability figures")
        for line in _printed:
            terminalreporter.write_line(line)


@pytest.fixture
def postgres_instance() -> Iterator[PostgresInstance]:
    """A PostgreSQL cluster of the test's own, started; never the shared server."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql")
    instance = PostgresInstance(binaries)
    try:
        instance.start()
        yield instance
    finally:
        instance.close()
