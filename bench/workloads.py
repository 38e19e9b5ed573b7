"""Each workload of the suite as a function: run it (median of >= 3 runs) and its anchor, return table lines.

Sizes follow DESIGN.md section 8 (1,000,000 where it says so); `quick` shrinks them for a smoke run.
"""

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import BENCH, ROOT, python_env, run_json

RUNS = 3


@dataclass
class Figure:
    """One line of the table: the workload, our figure, the anchor's, their ratio, the target and a verdict."""

    workload: str
    ours: str
    anchor: str
    ratio: str
    target: str
    met: str


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _rate(value: float, unit: str = "/s") -> str:
    return f"{value:,.0f}{unit}"


_redis: dict[str, float] = {}


def _redis_figures(users: int) -> dict[str, float]:
    """Redis anchors for a leaderboard of `users`, measured once per suite run."""
    if not _redis:
        from anchors import redis_anchor

        _redis.update(redis_anchor.measure(users))
    return _redis


def _engine_rate(scenario: str, rules: int, events: int) -> float:
    import b1_rules

    from gameservices.domain.engine import RuleSet

    scopes, rule_list, normalized, _ = b1_rules.workload(scenario, rules, events, seed=1)
    rule_set = RuleSet.build(scopes, rule_list)
    rates = []
    for _ in range(RUNS):
        gc.collect()
        gc.freeze()  # the generated events are set-up data, not state the engine builds
        seconds, _ = b1_rules.run(rule_set, normalized)
        gc.unfreeze()
        rates.append(len(normalized) / seconds)
    del normalized
    gc.collect()
    return statistics.median(rates)


def b1_rules(quick: bool) -> list[Figure]:
    """B1: 1,000,000 events over 50,000 users against 10 rules, in-process, vs json-rules-engine."""
    from anchors import rules_anchor

    events = 100_000 if quick else 1_000_000
    ours = _engine_rate("virtual-events", 10, events)
    anchor = statistics.median(rules_anchor.events_per_s(10, 2_000 if quick else 20_000) for _ in range(RUNS))
    return [
        Figure(
            f"B1 rules in-process, {events:,} events, 10 rules",
            _rate(ours),
            f"json-rules-engine {_rate(anchor)}",
            f"{ours / anchor:.1f}x",
            ">= 300,000/s, >= 35x",
            _met(ours >= 300_000 and ours >= 35 * anchor),
        )
    ]


def b2_rule_counts(quick: bool) -> list[Figure]:
    """B2: the same with 100 and 1,000 rules (one game object per virtual event), the slowdown from 10."""
    from anchors import rules_anchor

    events = 50_000 if quick else 200_000
    rates = {count: _engine_rate("virtual-events", count, events) for count in (10, 100, 1_000)}
    anchor_10 = rules_anchor.events_per_s(10, 1_000 if quick else 5_000)
    anchor_1000 = rules_anchor.events_per_s(1_000, 100 if quick else 300)
    figures = []
    for count in (100, 1_000):
        slowdown = rates[10] / rates[count]
        figures.append(
            Figure(
                f"B2 rules in-process, {count:,} rules",
                f"{_rate(rates[count])} (10 rules: {_rate(rates[10])})",
                f"json-rules-engine: {anchor_10 / anchor_1000:.0f}x slower at 1,000 rules"
                if count == 1_000
                else "",
                f"{slowdown:.2f}x the 10-rule time",
                "<= 2x slower",
                _met(slowdown <= 2),
            )
        )
    return figures


def b3_http(quick: bool) -> list[Figure]:
    """B3 event/send over HTTP and B6 userScore/list top-25, vs an empty FastAPI app."""
    args = ["--requests", "5" if quick else "25", "--runs", str(RUNS)]
    f = run_json([sys.executable, str(BENCH / "b3_http.py"), *args], timeout=900)
    send, anchor_send = f["send_per_s"], f["anchor_send_per_s"]
    lists, empty = f["list_per_s"], f["anchor_empty_per_s"]
    return [
        Figure(
            "B3 HTTP event/send, 100/call, 8 clients, SQLite durable",
            f"{_rate(send, ' events/s')}, p99 {f['send_p99_ms']:.0f} ms",
            f"empty FastAPI batch endpoint {_rate(anchor_send, ' events/s')}",
            f"{send / anchor_send:.2f}x",
            ">= 50,000 events/s, p99 <= 50 ms",
            _met(send >= 50_000 and f["send_p99_ms"] <= 50),
        ),
        Figure(
            "B6 HTTP userScore/list top 25, 8 clients",
            _rate(lists, " req/s"),
            f"empty FastAPI endpoint {_rate(empty, ' req/s')}",
            f"{lists / empty:.2f}x",
            ">= 0.8x",
            _met(lists >= 0.8 * empty),
        ),
    ]


def b19_beacons(quick: bool) -> list[Figure]:
    """B19 the player's VIEW beacons through API v3 trackEvent, vs event/send on the same server in the same run."""
    args = ["--beacons", "50" if quick else "400", "--runs", str(RUNS)]
    f = run_json([sys.executable, str(BENCH / "b19_beacons.py"), *args], timeout=900)
    beacons, single, batch = f["beacon_per_s"], f["single_per_s"], f["batch_per_s"]
    return [
        Figure(
            "B19 HTTP trackEvent VIEW beacons, 1/request, 8 clients, SQLite durable",
            f"{_rate(beacons, ' beacons/s')}, p99 {f['beacon_p99_ms']:.0f} ms",
            f"event/send 1 event/call {_rate(single, ' events/s')} (p99 {f['single_p99_ms']:.0f} ms); "
            f"100/call {_rate(batch, ' events/s')}",
            f"{beacons / single:.2f}x (1/call), {beacons / batch:.3f}x (100/call)",
            "reported (no target)",
            "-",
        )
    ]


def b5_rank(quick: bool) -> list[Figure]:
    """B5 rank of a user and B7 score updates in a 1,000,000-user index, vs Redis sorted sets."""
    users = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "b5.json"
        args = ["--users", str(users), "--samples", "100000", "--updates", "300000", "--no-tracemalloc"]
        _run_plain([sys.executable, str(BENCH / "b5_rank_index.py"), *args, "--json", str(out)])
        f: dict[str, Any] = json.loads(out.read_text())
    r = _redis_figures(users)
    return [
        Figure(
            f"B5 rank of a user, {users:,} users, in-process",
            f"p99 {f['rank_p99_us']:.1f} µs (p50 {f['rank_p50_us']:.1f})",
            f"Redis ZREVRANK via redis-py p50 {r['rank_p50_us']:.0f} µs",
            f"{f['rank_p99_us'] / r['rank_p50_us']:.2f}x",
            "p99 <= 20 µs, <= 0.1x",
            _met(f["rank_p99_us"] <= 20 and f["rank_p99_us"] <= 0.1 * r["rank_p50_us"]),
        ),
        Figure(
            f"B7 score updates into a {users:,}-user index",
            _rate(f["updates_per_s"]),
            f"Redis ZINCRBY pipelined {_rate(r['updates_per_s'])}",
            f"{f['updates_per_s'] / r['updates_per_s']:.1f}x",
            ">= 100,000/s",
            _met(f["updates_per_s"] >= 100_000),
        ),
    ]


def _run_plain(args: list[str]) -> None:
    subprocess.run(args, cwd=ROOT, env=python_env(), check=True, capture_output=True, timeout=900)


def b9_checkpoint(quick: bool) -> list[Figure]:
    """B9: 1,000,000 bucket rows written to SQLite in one transaction, vs a bare sqlite3 upsert."""
    rows = 100_000 if quick else 1_000_000
    f = run_json([sys.executable, str(BENCH / "b9_checkpoint.py"), "--rows", str(rows), "--runs", str(RUNS)])
    ours, anchor = f["checkpoint_s"], f["anchor_s"]
    return [
        Figure(
            f"B9 checkpoint of {rows:,} bucket rows, SQLite",
            f"{ours:.1f} s ({rows / ours:,.0f} rows/s)",
            f"sqlite3 executemany upsert {anchor:.1f} s ({rows / anchor:,.0f} rows/s)",
            f"{ours / anchor:.2f}x",
            "<= 8 s",
            _met(ours * 1_000_000 / rows <= 8),
        )
    ]


def _optional(script: str, args: list[str]) -> dict[str, Any] | None:
    """Figures of a workload script that may not exist yet (None then)."""
    path = BENCH / script
    if not path.exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.json"
        _run_plain([sys.executable, str(path), *args, "--json", str(out)])
        parsed: dict[str, Any] = json.loads(out.read_text())
        return parsed


def _missing(name: str) -> list[Figure]:
    return [Figure(name, "not measured (script missing)", "", "", "", "")]


def b10_csv_import(quick: bool) -> list[Figure]:
    """B10: CSV import of 100,000 rows (bench/b10_csv_import.py), vs csv.DictReader."""
    rows = 20_000 if quick else 100_000
    f = _optional("b10_csv_import.py", ["--rows", str(rows), "--repeat", str(RUNS)])
    if f is None:
        return _missing("B10 CSV import")
    ours, anchor = f["parse_long_s"], f["anchor_dictreader_s"]
    return [
        Figure(
            f"B10 CSV import, {rows:,} rows (parse and validate)",
            f"{ours:.2f} s",
            f"csv.DictReader {anchor:.2f} s",
            f"{ours / anchor:.2f}x",
            "<= 1.0 s",
            _met(ours <= 1.0),
        )
    ]


def b11_report(quick: bool) -> list[Figure]:
    """B11: userScore report of 100,000 users (bench/b11_report.py), vs a plain sort and csv write."""
    users = 20_000 if quick else 100_000
    f = _optional("b11_report.py", ["--users", str(users), "--repeat", str(RUNS)])
    if f is None:
        return _missing("B11 userScore report")
    ours, anchor, peak = f["csv_s"], f["anchor_sort_write_s"], f.get("peak_traced_mb", float("nan"))
    return [
        Figure(
            f"B11 userScore report, {users:,} users",
            f"{ours:.2f} s, peak {peak:.0f} MB",
            f"sort + csv write {anchor:.2f} s",
            f"{ours / anchor:.2f}x",
            "<= 0.5 s, <= 100 MB",
            _met(ours <= 0.5 and peak <= 100),
        )
    ]


def b12_certificate_pdf(quick: bool) -> list[Figure]:
    """B12: certificate PDFs with a JPEG background (bench/b12_certificate_pdf.py), vs bare reportlab."""
    f = _optional("b12_certificate_pdf.py", ["--pdfs", "60" if quick else "300"])
    if f is None:
        return _missing("B12 certificate PDF")
    ours, anchor = f["pdfs_per_s"], f["anchor_pdfs_per_s"]
    return [
        Figure(
            "B12 certificate PDF, JPEG background",
            _rate(ours, " PDFs/s"),
            f"bare reportlab canvas {_rate(anchor, ' PDFs/s')}",
            f"{ours / anchor:.2f}x",
            ">= 100/s",
            _met(ours >= 100),
        ),
        Figure(
            "B12 certificate PDF with verification QR code",
            _rate(f["qr_pdfs_per_s"], " PDFs/s"),
            f"bare reportlab canvas {_rate(anchor, ' PDFs/s')}",
            f"{f['qr_pdfs_per_s'] / anchor:.2f}x",
            ">= 100/s",
            _met(f["qr_pdfs_per_s"] >= 100),
        ),
    ]


def b23_credentials(quick: bool) -> list[Figure]:
    """B23: verifiable certificate credentials, sign and verify (bench/b23_credentials.py)."""
    f = _optional("b23_credentials.py", ["--credentials", "60" if quick else "500"])
    if f is None:
        return _missing("B23 credential sign / verify")
    sign, verify = f["sign_ms_p50"], f["verify_ms_p50"]
    return [
        Figure(
            "B23 credential sign (eddsa-rdfc-2022)",
            f"p50 {sign:.1f} ms, p99 {f['sign_ms_p99']:.1f} ms (CPU p50 {f['sign_cpu_ms_p50']:.1f} ms)",
            f"bare Ed25519 sign {f['anchor_ed25519_sign_ms_p50'] * 1000:.0f} µs",
            f"{sign / f['anchor_ed25519_sign_ms_p50']:.0f}x",
            "<= 10 ms",
            _met(sign <= 10),
        ),
        Figure(
            "B23 credential verify (proof + signed status list)",
            f"p50 {verify:.1f} ms, p99 {f['verify_ms_p99']:.1f} ms (CPU p50 {f['verify_cpu_ms_p50']:.1f} ms)",
            f"bare Ed25519 verify {f['anchor_ed25519_verify_ms_p50'] * 1000:.0f} µs",
            f"{verify / f['anchor_ed25519_verify_ms_p50']:.0f}x",
            "<= 10 ms",
            _met(verify <= 10),
        ),
    ]


def b13_restart(quick: bool) -> list[Figure]:
    """B13 restart with a 1,000,000-user leaderboard and B14 its memory, vs Redis."""
    users = 100_000 if quick else 1_000_000
    f = run_json([sys.executable, str(BENCH / "b13_restart.py"), "--users", str(users), "--runs", str(RUNS)])
    r = _redis_figures(users)
    per_million = 1_000_000 / users
    entries = users
    args = ["--users", str(users), "--entries", str(entries), "--runs", "1"]
    e = run_json([sys.executable, str(BENCH / "b13_restart.py"), *args], timeout=3600)
    return [
        Figure(
            f"B13 extended: restart, {users:,}-user leaderboard + {entries:,} log entries after the checkpoint",
            f"{e['ready_s']:.1f} s (memory {e['memory_mb']:.0f} MB)",
            f"the same restart with none: {f['ready_s']:.1f} s",
            f"{e['ready_s'] / f['ready_s']:.1f}x",
            "<= 10 s",
            _met(e["ready_s"] * per_million <= 10),
        ),
        Figure(
            f"B13 restart, {users:,}-user leaderboard ready to serve",
            f"{f['ready_s']:.1f} s",
            f"Redis restart from dump {r['restart_s']:.1f} s",
            f"{f['ready_s'] / r['restart_s']:.1f}x",
            "<= 3 s",
            _met(f["ready_s"] * per_million <= 3),
        ),
        Figure(
            f"B14 memory of a {users:,}-user leaderboard",
            f"{f['memory_mb']:.0f} MB",
            f"Redis used_memory {r['memory_mb']:.0f} MB",
            f"{f['memory_mb'] / r['memory_mb']:.1f}x",
            "<= 200 MB per 1M",
            _met(f["memory_mb"] * per_million <= 200),
        ),
    ]


def b15_processes(quick: bool) -> list[Figure]:
    """B15: two `serve` processes on one database (SQLite, then PostgreSQL started by the suite)."""
    from common import PostgresServer

    figures = []
    # GAMESERVICES_BENCH_B15_USERS (e.g. "50000") runs fewer sizes: the 1,000,000-user fill takes minutes.
    chosen = os.environ.get("GAMESERVICES_BENCH_B15_USERS", "50000,1000000")
    sizes = [10_000] if quick else [int(size) for size in chosen.split(",")]
    server = PostgresServer()
    try:
        for database in ("sqlite", "postgresql"):
            for users in sizes:
                args = ["--users", str(users), "--database", database, "--postgres-url", server.url]
                f = run_json([sys.executable, str(BENCH / "b15_processes.py"), *args], timeout=3600)
                read_ratio = f["read_other_ms"] / f["read_own_ms"]
                write_ratio = f["writes_alternating_per_s"] / f["writes_one_per_s"]
                figures += [
                    Figure(
                        f"B15 {database}, {users:,} users: top 25 after the other process's write",
                        f"{f['read_other_ms']:.1f} ms",
                        f"after its own write {f['read_own_ms']:.1f} ms",
                        f"{read_ratio:.2f}x",
                        "<= 2x",
                        _met(read_ratio <= 2),
                    ),
                    Figure(
                        f"B15 {database}, {users:,} users: writes alternating between the processes",
                        _rate(f["writes_alternating_per_s"], " events/s"),
                        f"all through one {_rate(f['writes_one_per_s'], ' events/s')}",
                        f"{write_ratio:.2f}x",
                        ">= 0.7x",
                        _met(write_ratio >= 0.7),
                    ),
                ]
    finally:
        server.stop()
    return figures


def b16_postgres(quick: bool) -> list[Figure]:
    """B16: B3's event/send workload on PostgreSQL (started by the suite), beside SQLite in the same run."""
    from common import PostgresServer

    args = ["--requests", "5" if quick else "25", "--runs", str(RUNS), "--no-anchor"]
    sqlite = run_json([sys.executable, str(BENCH / "b3_http.py"), *args], timeout=900)
    server = PostgresServer()
    try:
        f = run_json(
            [sys.executable, str(BENCH / "b3_http.py"), *args, "--database-url", server.url], timeout=1800
        )
    finally:
        server.stop()
    ratio = f["send_per_s"] / sqlite["send_per_s"]
    return [
        Figure(
            "B16 HTTP event/send, 100/call, 8 clients, PostgreSQL",
            f"{_rate(f['send_per_s'], ' events/s')}, p99 {f['send_p99_ms']:.0f} ms",
            f"SQLite, same run {_rate(sqlite['send_per_s'], ' events/s')}",
            f"{ratio:.2f}x",
            ">= 0.5x SQLite",
            _met(ratio >= 0.5),
        )
    ]


def b17_workers(quick: bool) -> list[Figure]:
    """B17: `serve --workers 2` against `--workers 1`, top-25 requests."""
    f = run_json(
        [sys.executable, str(BENCH / "b17_workers.py"), "--users", "10000" if quick else "50000"],
        timeout=1800,
    )
    ratio = f["workers_2_per_s"] / f["workers_1_per_s"]
    python_ratio = f["python_workers_2_per_s"] / f["python_workers_1_per_s"]
    return [
        Figure(
            f"B17 top 25 with serve --workers 2 ({f['client']} client; Python client {python_ratio:.2f}x)",
            _rate(f["workers_2_per_s"], " req/s"),
            f"--workers 1 {_rate(f['workers_1_per_s'], ' req/s')}",
            f"{ratio:.2f}x",
            ">= 1.6x",
            _met(ratio >= 1.6),
        )
    ]


def b18_simulate(quick: bool) -> list[Figure]:
    """B18: `rule/simulate` over 1,000,000 logged events (B1's workload), vs the in-process engine (B1) rate of
    the same run."""
    events = 100_000 if quick else 1_000_000
    f = run_json(
        [sys.executable, str(BENCH / "b18_simulate.py"), "--events", str(events), "--runs", str(RUNS)],
        timeout=3600.0,
    )
    engine = _engine_rate("virtual-events", 10, events)
    ours = float(f["events_per_s"])
    return [
        Figure(
            f"B18 rule/simulate over {events:,} logged events, 10 rules",
            f"{_rate(ours)} ({f['simulate_s']:.1f} s)",
            f"in-process engine (B1) {_rate(engine)}",
            f"{ours / engine:.2f}x",
            ">= 0.5x B1",
            _met(ours >= 0.5 * engine),
        )
    ]


def b20_stream(quick: bool) -> list[Figure]:
    """B20: 1,000 SSE clients on `/api/v1/stream`, one change each round (bench/b20_stream.py)."""
    clients = 200 if quick else 1000
    f = run_json(
        [sys.executable, str(BENCH / "b20_stream.py"), "--clients", str(clients), "--rounds", "5"],
        timeout=900,
    )
    met = f["delivered"] == f["expected"] and f["p99_s"] is not None and f["p99_s"] <= 1.0
    return [
        Figure(
            f"B20 SSE: {clients:,} clients, one change each (x{f['rounds']})",
            f"{f['delivered']:,}/{f['expected']:,} delivered, p50 {f['p50_s'] * 1000:.0f} ms, "
            f"p99 {f['p99_s'] * 1000:.0f} ms",
            "—",
            "",
            "all delivered, p99 <= 1 s",
            _met(met),
        )
    ]


def b24_webhooks(quick: bool) -> list[Figure]:
    """B24: signed webhook deliveries per second from one process's dispatcher (bench/b24_webhooks.py)."""
    f = _optional("b24_webhooks.py", ["--deliveries", "1000" if quick else "5000", "--repeat", str(RUNS)])
    if f is None:
        return _missing("B24 webhook deliveries")
    ours, anchor = f["deliveries_per_s"], f["anchor_posts_per_s"]
    return [
        Figure(
            f"B24 signed webhook deliveries, 1 process, local receiver (load {f['load_average']:.1f})",
            _rate(ours, " deliveries/s"),
            f"plain httpx POSTs, 8 at once {_rate(anchor, '/s')}",
            f"{ours / anchor:.2f}x",
            ">= 1,000/s",
            _met(ours >= 1000),
        )
    ]


def b25_period_closes(quick: bool) -> list[Figure]:
    """B25: 1,000 recurring leaderboards closing at the same instant (bench/b25_period_closes.py)."""
    boards = 200 if quick else 1_000
    f = run_json(
        [sys.executable, str(BENCH / "b25_period_closes.py"), "--boards", str(boards), "--users", "10"],
        timeout=1800.0,
    )
    seconds = float(f["close_all_s"])
    return [
        Figure(
            f"B25 {boards:,} leaderboards' periods closing at one instant, 10 users each (SQLite)",
            f"{seconds:.2f} s ({f['closes_per_s']:,.0f} closes/s, {f['closed']:,} closed)",
            "—",
            "—",
            "all within 5 s",
            _met(f["closed"] == boards and seconds <= 5),
        )
    ]
