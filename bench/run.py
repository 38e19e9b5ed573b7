"""The benchmark suite: each workload with its anchor measured in the same run, as one table.

Run: `make bench` (every workload) or `.venv/bin/python bench/run.py B3 B5` (some); `--quick` shrinks the sizes
for a smoke run. Prints the table and writes it, with the machine description, to bench/results/latest.md.
Figures are reported, never asserted: a benchmark never fails the test suite. See docs/performance.md.
"""

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent / "src")]

import workloads  # noqa: E402
from common import BENCH, machine  # noqa: E402

Measure = Callable[[bool], list[workloads.Figure]]
WORKLOADS: dict[str, Measure] = {
    "B1": workloads.b1_rules,
    "B2": workloads.b2_rule_counts,
    "B3": workloads.b3_http,
    "B5": workloads.b5_rank,
    "B9": workloads.b9_checkpoint,
    "B10": workloads.b10_csv_import,
    "B11": workloads.b11_report,
    "B12": workloads.b12_certificate_pdf,
    "B13": workloads.b13_restart,
    "B15": workloads.b15_processes,
    "B16": workloads.b16_postgres,
    "B17": workloads.b17_workers,
    "B19": workloads.b19_beacons,
    "B23": workloads.b23_credentials,
    "B18": workloads.b18_simulate,
    "B20": workloads.b20_stream,
}
# Workloads measured by the run of another (B6 with B3; B7 with B5; B14 with B13).
ALIASES = {"B6": "B3", "B7": "B5", "B14": "B13"}


def _rows(name: str, quick: bool) -> list[workloads.Figure]:
    started = time.perf_counter()
    try:
        figures = WORKLOADS[name](quick)
    except Exception as error:  # A failing workload is reported in the table; the others still run.
        traceback.print_exc()
        return [workloads.Figure(name, f"failed: {type(error).__name__}: {str(error)[:80]}", "", "", "", "")]
    sys.stderr.write(f"{name} done in {time.perf_counter() - started:.0f} s\n")
    return figures


def table(rows: list[workloads.Figure]) -> str:
    """The rows as a Markdown table."""
    head = ("Workload", "Ours", "Anchor (same run)", "Ratio", "Target", "Met")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += [f"| {r.workload} | {r.ours} | {r.anchor} | {r.ratio} | {r.target} | {r.met} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    """Run the chosen workloads, print the table and write bench/results/latest.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "workloads",
        nargs="*",
        help="B1 B2 B3 B5 B6 B7 B9 B10 B11 B12 B13 B14 B15 B16 B17 B18 B19 B20 B23 (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    options = parser.parse_args()
    chosen = []
    for name in options.workloads or list(WORKLOADS):
        name = ALIASES.get(name.upper(), name.upper())
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name}")
        if name not in chosen:
            chosen.append(name)
    described = machine()
    started = time.perf_counter()
    rows = [row for name in chosen for row in _rows(name, options.quick)]
    text = table(rows)
    print(text)
    minutes = (time.perf_counter() - started) / 60
    about = "\n".join(f"- {key}: {value}" for key, value in described.items())
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text(
        f"# Benchmark results\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {' '.join(chosen)}"
        f"{' (--quick)' if options.quick else ''}, {minutes:.1f} min.\n\n## Machine\n\n{about}\n\n"
        f"## Figures\n\nMedian of at least 3 runs; each anchor measured in the same run. "
        f"How each is measured: docs/performance.md.\n\n{text}\n"
    )


if __name__ == "__main__":
    main()
