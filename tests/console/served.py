"""A real ``gameservices serve`` process on 127.0.0.1 for the front-end tests (its output goes to a file, never a
pipe that could fill up and stall it)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests import serving


@dataclass
class Served:
    """A running server and the demo partner of its database."""

    base: str
    partner_id: int
    secret: str
    ks: str

    def api(self, path: str, body: dict[str, Any], *, ks: str | None = None) -> Any:
        """Call API v1 as the partner; insist on 200."""
        headers = {"Authorization": f"Bearer {ks or self.ks}"}
        response = httpx.post(f"{self.base}/api/v1/{path}", json=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def serve(database_url: str, folder: Path, demo: dict[str, Any] | None = None) -> Iterator[Served]:
    """A server process on the database; `demo` is the demo partner when another process already created it."""
    port = serving.free_port()
    log = folder / f"server-{port}.log"
    process = serving.start(database_url, folder, port, log=log)
    try:
        base = f"http://127.0.0.1:{port}"
        partner = demo or serving.demo_partner(log, process=process)
        serving.wait_until_up(base, log, process=process)
        yield Served(base, int(partner["partnerId"]), str(partner["adminSecret"]), str(partner["ks"]))
    finally:
        serving.stop(process, timeout=10)


def demo_of(served: Served) -> dict[str, Any]:
    """The demo partner of a served database, to give a second process on it."""
    return {"partnerId": served.partner_id, "adminSecret": served.secret, "ks": served.ks}
