"""B19: the Kaltura player's beacons (API v3 ``analytics.trackEvent``) over HTTP, beside ``event/send`` in the
same run on the same server.

Starts a real `gameservices serve` process on a fresh SQLite file (synchronous=FULL, durable answers), creates a
leaderboard with a watch-time rule (sum of playTime) and a view count, then from 8 concurrent keep-alive
clients sends: VIEW beacons of 800 viewers (each client its own viewers, each viewer's VIEWs in order with a
playTimeSum growing by 10 s, one beacon a request, as the player sends them), then the same number of
viewPeriod events through `event/send` one event a call, then through `event/send` 100 events a call.
Beacons carry every parameter in the JSON body (the player puts four of them in the query string; the server
merges both, so the work is the same).

Run: PYTHONPATH=src:bench python bench/b19_beacons.py [--beacons 40] [--runs 3]; prints JSON.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from b3_http import CLIENTS, _demo_partner, server
from common import python_env, wait_for_port
from load_client import load

VIEWERS_PER_CLIENT = 100
BEACON_PATH = "/api_v3/index.php?service=analytics&action=trackEvent"


def _program(base: str, ks: str) -> str:
    view = [{"fact": "eventType", "operator": "equal", "value": "viewPeriod"}]
    with httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {ks}"}, timeout=60
    ) as http:
        board = http.post(
            "/leaderboard/create",
            json={
                "objectType": "Leaderboard",
                "name": "Bench beacons",
                "status": "enabled",
                "startDate": "2025-01-01T00:00:00Z",
                "endDate": "2035-01-01T00:00:00Z",
                "virtualEventIds": ["ve0"],
                "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
            },
        ).json()["id"]
        for name, kind, goal, points in (("watch", "sum", "60", "10"), ("views", "count", "1", "1")):
            rule = {
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "name": name,
                "conditions": view,
                "type": kind,
                "mode": "distribute_points",
                "metric": "playTime",
                "groupBy": "kuserId,entryId",
                "goal": goal,
                "points": points,
                "maxPoints": "unlimited",
            }
            http.post("/rule/create", json=rule).raise_for_status()
    return str(board)


def _viewer(run: int, client: int, number: int) -> tuple[str, str, str]:
    return f"viewer-{client}-{number}@example.com", f"0_entry{number % 20}", f"run{run}-c{client}-v{number}"


def _beacons(partner_id: int, run: int, per_client: int) -> list[list[bytes]]:
    """Per client, VIEW beacons of its viewers: round after round, each viewer's sum 10 s more."""
    plan = []
    for client in range(CLIENTS):
        bodies = []
        for sent in range(per_client):
            round_, number = divmod(sent, VIEWERS_PER_CLIENT)
            user, entry, session = _viewer(run, client, number)
            beacon: dict[str, Any] = {
                "eventType": 99,
                "partnerId": partner_id,
                "entryId": entry,
                "sessionId": session,
                "eventIndex": round_ + 2,
                "playTimeSum": 10.0 * (round_ + 1),
                "position": 10.0 * (round_ + 1),
                "userId": user,
                "playbackType": "vod",
                "bufferTime": 0,
                "bufferTimeSum": 0.4,
                "actualBitrate": 2200,
                "clientVer": "3.17.4",
            }
            bodies.append(json.dumps(beacon).encode())
        plan.append(bodies)
    return plan


def _events(run: int, per_client: int, per_call: int) -> list[list[bytes]]:
    """The same views as viewPeriod events, `per_call` a call."""
    plan = []
    for client in range(CLIENTS):
        events = []
        for sent in range(per_client * per_call):
            _, number = divmod(sent, VIEWERS_PER_CLIENT)
            user, entry, _ = _viewer(run, client, number)
            events.append({"eventType": "viewPeriod", "userId": user, "entryId": entry, "playTime": 10})
        plan.append(
            [
                json.dumps({"events": events[at : at + per_call]}).encode()
                for at in range(0, len(events), per_call)
            ]
        )
    return plan


def _summary(results: list[dict[str, float]], per_request: int) -> dict[str, float]:
    return {
        "per_s": statistics.median(r["requests_per_s"] for r in results) * per_request,
        "p99_ms": statistics.median(r["p99_ms"] for r in results),
        "failures": sum(r["failures"] for r in results),
    }


def measure(runs: int, per_client: int, folder: Path) -> dict[str, float]:
    """Beacons, event/send 1 a call and event/send 100 a call against one `gameservices serve`."""
    env = {**python_env(), "GAMESERVICES_DATABASE_URL": f"sqlite:///{folder / 'gameservices.db'}"}
    args = [sys.executable, "-m", "gameservices", "serve", "--host", "127.0.0.1", "--port"]
    with server(args, folder, env) as (process, port):
        partner = _demo_partner(process)
        wait_for_port(port)
        board = _program(f"http://127.0.0.1:{port}", partner["ks"])
        ks, partner_id = partner["ks"], int(partner["partnerId"])
        load(port, BEACON_PATH, _beacons(partner_id, 0, per_client))  # warm-up
        beacons = [
            load(port, BEACON_PATH, _beacons(partner_id, run, per_client)) for run in range(1, runs + 1)
        ]
        singles = [load(port, "/api/v1/event/send", _events(run, per_client, 1), ks) for run in range(runs)]
        batches = [
            load(port, "/api/v1/event/send", _events(run, per_client // 10, 100), ks) for run in range(runs)
        ]
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {ks}"}
        ) as http:
            top = http.post("/userScore/list", json={"gameObjectId": board, "pager": {"pageSize": 1}}).json()
    figures = {f"beacon_{k}": v for k, v in _summary(beacons, 1).items()}
    figures.update({f"single_{k}": v for k, v in _summary(singles, 1).items()})
    figures.update({f"batch_{k}": v for k, v in _summary(batches, 100).items()})
    figures["scored_users"] = float(top.get("totalCount", 0))
    return figures


def main() -> None:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--beacons", type=int, default=400, help="beacons per client per run")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-b19-") as folder:
        figures = measure(options.runs, options.beacons, Path(folder))
    print(json.dumps(figures))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
