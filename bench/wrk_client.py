"""Load from `wrk` (Debian's package `wrk`, a C load generator on epoll), when installed: it takes far less CPU
per request than any Python client, which matters on a 2-core machine where client and servers share the cores.

`wrk` runs for a fixed time; one POST body is sent over and over on N keep-alive connections.
"""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = {authorization}
"""


def available() -> bool:
    """Whether `wrk` is installed."""
    return shutil.which("wrk") is not None


def wrk_load(port: int, path: str, body: bytes, token: str, clients: int, seconds: int) -> dict[str, float]:
    """POST `body` on `clients` connections for `seconds`; requests/s and the count of non-2xx answers."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "post.lua"
        # JSON strings are valid Lua string literals for the ASCII bodies and tokens used here.
        script.write_text(
            _SCRIPT.format(body=json.dumps(body.decode()), authorization=json.dumps(f"Bearer {token}"))
        )
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "-s", str(script)]
        done = subprocess.run(
            [*command, f"http://127.0.0.1:{port}{path}"],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate: {done.stdout[-500:]}")
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    return {"requests_per_s": float(rate.group(1)), "failures": float(failed.group(1)) if failed else 0.0}
