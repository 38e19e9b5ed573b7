"""json-rules-engine anchor of B1/B2: the same rules and events, evaluated by Node.js.

The package is pinned in anchors/node/package.json and its lockfile, installed with `npm ci` on first use.
"""

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import b1_rules
from common import ensure_command

NODE_FOLDER = Path(__file__).resolve().parent / "node"


def ensure_installed() -> None:
    """Install json-rules-engine from the lockfile when it is not there yet."""
    if (NODE_FOLDER / "node_modules" / "json-rules-engine").is_dir():
        return
    ensure_command("node", ["nodejs", "npm"])
    ensure_command("npm", ["nodejs", "npm"])
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_FOLDER, check=True, timeout=300
    )


def anchor_rules(rule_count: int) -> list[dict[str, Any]]:
    """The B1 template rules, one copy per virtual event, each pinned to it by a condition (as the service
    scopes a game object to its virtualEventIds)."""
    rules = []
    for copy in range(max(rule_count // 10, 1)):
        for number, raw in enumerate(b1_rules._template()):
            scoped = [
                *raw["conditions"],
                {"fact": "virtualEventId", "operator": "equal", "value": f"ve{copy}"},
            ]
            rules.append(
                {
                    "id": f"lb{copy}-r{number}",
                    "type": raw["type"],
                    "metric": raw["metric"],
                    "groupBy": [name for name in raw["groupBy"].split(",") if name],
                    "goal": float(raw["goal"]),
                    "points": float(raw["points"]),
                    "maxPoints": raw["maxPoints"],
                    "conditions": scoped,
                }
            )
    return rules


def events_per_s(rule_count: int, event_count: int, seed: int = 1) -> float:
    """Run json-rules-engine over `event_count` events of the B1 workload; return its events per second."""
    ensure_installed()
    events = b1_rules.raw_events(
        event_count, seed=seed * 1000, pick_type=b1_rules._base_type, virtual_events=max(rule_count // 10, 1)
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"rules": anchor_rules(rule_count), "events": events}, handle)
        path = Path(handle.name)
    try:
        done = subprocess.run(
            ["node", str(NODE_FOLDER / "rules_anchor.js"), str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    finally:
        path.unlink(missing_ok=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return float(figures["events"]) / float(figures["seconds"])
