"""`GET /api/v1/stream` through real server processes: changes arrive within a second of the write's answer, a
reconnect with `Last-Event-ID` gets exactly what it missed, a stream on one process sees writes made through
another (PostgreSQL wakes it), no partner sees another's changes, and stopping the server ends the streams."""

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from tests.conftest import POLL_RULE
from tests.e2e.conftest import read_demo_partner, server_process, wait_until_up

AT = 1_748_851_200  # within the leaderboard's window
BOARD = {
    "objectType": "Leaderboard",
    "name": "Live",
    "status": "enabled",
    "startDate": "2025-06-01T00:00:00Z",
    "endDate": "2025-06-03T00:00:00Z",
    "participationPolicy": {"userDefaultPolicy": "display", "policies": []},
    "virtualEventIds": ["1"],
}


@dataclass
class Listener:
    """A stream read on a thread of its own: each change with the time it arrived."""

    base: str
    ks: str
    params: dict[str, str] = field(default_factory=dict)
    last_event_id: str | None = None
    stop_after: int | None = None
    received: list[tuple[float, str, str, dict[str, Any]]] = field(default_factory=list)
    opened: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Listener":
        threading.Thread(target=self._run, daemon=True).start()
        assert self.opened.wait(20), "the stream did not open"
        return self

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.ks}"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(60, read=None)) as client,
                connect_sse(
                    client, "GET", f"{self.base}/api/v1/stream", headers=headers, params=self.params
                ) as source,
            ):
                assert source.response.status_code == 200, source.response.read()
                self.opened.set()
                for event in source.iter_sse():
                    self.received.append((time.monotonic(), event.id, event.event, json.loads(event.data)))
                    if self.stop_after is not None and len(self.received) >= self.stop_after:
                        return
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.received) >= count, (len(self.received), count)


def _api(base: str, ks: str) -> httpx.Client:
    return httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {ks}"}, timeout=60)


def _ok(client: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    answer = client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _setup(client: httpx.Client) -> str:
    board: str = _ok(client, "/leaderboard/create", BOARD)["id"]
    _ok(client, "/rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    return board


def _poll(user: str, poll: int) -> dict[str, Any]:
    return {"eventType": "pollAnswered", "userId": user, "pollId": f"p{poll}", "eventTime": AT + poll}


def test_changes_arrive_within_a_second_and_resume_exactly(served: tuple[str, dict[str, Any]]) -> None:
    base, demo = served
    with _api(base, demo["ks"]) as client:
        board = _setup(client)
        everything = Listener(base, demo["ks"], {"gameObjectId": board}).start()
        delays = []
        for step in range(10):
            _ok(client, "/event/send", {"events": [_poll(f"u{step % 4}", step)]})
            answered = time.monotonic()
            everything.wait_for(step + 1, timeout=5)
            delays.append(everything.received[step][0] - answered)
        assert max(delays) < 1.0, delays
        first = everything.received[0]
        assert first[2] == "score.changed"
        assert first[3]["userId"] == "u0" and first[3]["score"] == 10 and first[3]["rank"] == 1
        # A reader that stopped after three changes reconnects with the last id it saw: it gets the rest, once.
        ids = [item[1] for item in everything.received]
        resumed = Listener(base, demo["ks"], {"gameObjectId": board}, last_event_id=ids[2]).start()
        resumed.wait_for(7)
        _ok(client, "/event/send", {"events": [_poll("u9", 99)]})
        resumed.wait_for(8)
        everything.wait_for(11)
        time.sleep(0.5)
        assert [item[1] for item in resumed.received] == [item[1] for item in everything.received][3:]
        assert len(set(ids)) == len(ids)


def test_filters_refusals_and_tenancy(
    served: tuple[str, dict[str, Any]], fresh_database_url: str, tmp_path: Path
) -> None:
    base, demo = served
    with _api(base, demo["ks"]) as client:
        board = _setup(client)
        other = _other_partner(fresh_database_url, tmp_path)
        badges_only = Listener(base, demo["ks"], {"types": "badge.achieved"}).start()
        elsewhere = Listener(base, other["ks"]).start()
        scores = Listener(base, demo["ks"], {"types": "score.changed,badge.achieved"}).start()
        _ok(client, "/event/send", {"events": [_poll("a", 1), _poll("b", 2)]})
        scores.wait_for(2)
        time.sleep(1.0)
        assert badges_only.received == [] and elsewhere.received == []
        assert {item[3]["gameObjectId"] for item in scores.received} == {board}
        for params, headers, status in [
            ({"types": "score.changed,nonsense"}, {}, 400),
            ({}, {"Last-Event-ID": "not-an-id"}, 400),
            ({}, {"Last-Event-ID": b"\xb2-0"}, 400),  # superscript two (latin-1): isdigit() but not int()
        ]:
            answer = httpx.get(
                f"{base}/api/v1/stream",
                params=params,
                headers={"Authorization": f"Bearer {demo['ks']}", **headers},
                timeout=10,
            )
            assert answer.status_code == status, answer.text
            assert answer.json()["objectType"] == "KalturaAPIException"
        assert httpx.get(f"{base}/api/v1/stream", timeout=10).status_code == 401


def _other_partner(url: str, folder: Path) -> dict[str, Any]:
    created: dict[str, Any] = json.loads(_cli(url, folder, "partner", "create", "--name", "Other").stdout)
    return created


@pytest.mark.postgres
def test_a_stream_on_one_process_sees_writes_through_another(tmp_path: Path) -> None:
    from tests.conftest import POSTGRES_URL, postgres_database

    if not POSTGRES_URL:
        pytest.skip("GAMESERVICES_TEST_POSTGRES_URL is not set")
    url = postgres_database("stream")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with server_process(url, tmp_path / "a") as (first, base_a):
        demo = read_demo_partner(first)
        wait_until_up(base_a)
        with server_process(url, tmp_path / "b") as (_, base_b), _api(base_b, demo["ks"]) as writer:
            wait_until_up(base_b)
            board = _setup(writer)
            listener = Listener(base_a, demo["ks"], {"gameObjectId": board}).start()
            delays = []
            for step in range(5):
                _ok(writer, "/event/send", {"events": [_poll(f"u{step}", step)]})
                answered = time.monotonic()
                listener.wait_for(step + 1, timeout=5)
                delays.append(listener.received[step][0] - answered)
            assert max(delays) < 1.0, delays


def test_stopping_the_server_ends_open_streams(tmp_path: Path) -> None:
    """The change stream and a big screen's stream are open when the server is told to stop: both end and the
    process exits (an open stream would otherwise hold uvicorn's shutdown for good)."""
    url = f"sqlite:///{tmp_path / 'stop.db'}"
    with server_process(url, tmp_path) as (process, base):
        demo = read_demo_partner(process)
        wait_until_up(base)
        listener = Listener(base, demo["ks"]).start()
        with _api(base, demo["ks"]) as client:
            link = _ok(client, "/displayLink/create", {"gameObjectId": _setup(client)})
        screen_ended = threading.Event()

        def watch_screen() -> None:
            with (
                contextlib.suppress(httpx.HTTPError),
                httpx.stream("GET", f"{link['url']}/stream", timeout=60) as sse,
            ):
                for _ in sse.iter_lines():
                    pass
            screen_ended.set()

        threading.Thread(target=watch_screen, daemon=True).start()
        time.sleep(1.0)
        started = time.monotonic()
        process.terminate()
        # uvicorn re-raises the signal once it has shut down cleanly; an open stream would hold it up for good.
        assert process.wait(timeout=15) in (0, -15)
        assert listener.ended.wait(5) and screen_ended.wait(5)
        assert time.monotonic() - started < 10


def _cli(url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GAMESERVICES_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "gameservices", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_an_id_past_the_newest_change_resumes_at_it(served: tuple[str, dict[str, Any]]) -> None:
    base, demo = served
    with _api(base, demo["ks"]) as client:
        board = _setup(client)
        # (an id of a database started afresh, or of another deployment)
        ahead = Listener(base, demo["ks"], {"gameObjectId": board}, last_event_id="999999999-0").start()
        _ok(client, "/event/send", {"events": [_poll("u1", 1)]})
        ahead.wait_for(1, timeout=5)
        assert ahead.received[0][3]["userId"] == "u1"
