"""The sums of viewing sessions: shared by every process, forgotten when idle, written by concurrent beacons in
groups."""

import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from gameservices.api.app import create_app
from gameservices.domain import events
from gameservices.domain.beacons import read_beacon
from gameservices.projection.live import LiveState
from gameservices.projection.state import PartnerState
from gameservices.scheduler import Every
from gameservices.services.scoring.analytics import (
    IDLE_SESSION_SECONDS,
    BeaconWriter,
    Viewed,
    forget_idle_sessions,
)
from gameservices.settings import Settings
from gameservices.storage.database import AfterCommitFailed
from gameservices.storage.schema import player_sessions, processed_events
from tests.api.beacons import send_beacon, view_beacon
from tests.api.test_analytics import program, progress
from tests.conftest import Api, Partner


def test_another_process_continues_the_session(engine: Engine, settings: Settings, partner: Partner) -> None:
    first = TestClient(create_app(settings, engine))
    second = TestClient(create_app(settings, engine))
    board = program(Api(first, partner.ks))
    for index, client in enumerate([first, second, first, second], start=1):
        send_beacon(client, view_beacon(partner.id, "kim", "0_e", "s", index, 10.0 * index))
    assert progress(Api(second, partner.ks), board, "kim")["watch"] == 40
    first.close()
    second.close()


def test_idle_sessions_are_forgotten(
    api: Api, app_client: TestClient, engine: Engine, partner: Partner
) -> None:
    board = program(api)
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s", 1, 20.0))
    assert forget_idle_sessions(engine, now=time.time()) == 0
    assert forget_idle_sessions(engine, now=time.time() + IDLE_SESSION_SECONDS + 1) >= 1
    # The session's next VIEW counts as the first one of a session: its sum, at most 30 s (the player had long
    # reset its counters anyway after 30 s without a VIEW).
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s", 1, 15.0))
    assert progress(api, board, "kim")["watch"] == 35


def test_the_scheduler_job_runs_at_most_every_interval() -> None:
    ran: list[float] = []
    clock = [100.0]
    job = Every(300.0, lambda: ran.append(clock[0]), clock=lambda: clock[0])
    for now in (100.0, 200.0, 399.0, 400.0, 401.0, 700.0):
        clock[0] = now
        assert job() is False
    assert ran == [100.0, 400.0, 700.0]


def test_concurrent_beacons_are_written_in_groups_and_all_count(
    api: Api, engine: Engine, partner: Partner
) -> None:
    board = program(api)
    writer = BeaconWriter(engine, LiveState())
    groups: list[int] = []
    run = writer._run

    def counted(state: PartnerState, partner_id: int, viewed: list[Viewed]) -> list[bool]:
        groups.append(len(viewed))
        return run(state, partner_id, viewed)

    writer._run = counted  # type: ignore[method-assign]

    def viewer(number: int) -> None:
        for index in range(1, 6):
            params = view_beacon(partner.id, f"u{number}", "0_e", f"s{number}", index, 10.0 * index)
            beacon = read_beacon(params)
            assert beacon is not None
            assert writer.write(partner.id, Viewed(beacon, f"u{number}", time.time()))

    threads = [threading.Thread(target=viewer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(groups) == 40 and len(groups) < 40, groups  # some beacons waited for a group
    for number in range(8):
        assert progress(api, board, f"u{number}")["watch"] == 50


def test_a_group_of_beacons_that_committed_and_then_failed_is_not_written_again(
    engine: Engine, partner: Partner
) -> None:
    writer = BeaconWriter(engine, LiveState())
    groups: list[int] = []
    first_writing, let_first_end = threading.Event(), threading.Event()

    def committed_then_failed(state: PartnerState, partner_id: int, viewed: list[Viewed]) -> list[bool]:
        groups.append(len(viewed))
        if len(groups) == 1:  # the first beacon's group: holds the turn while two more beacons wait
            first_writing.set()
            let_first_end.wait(10)
            return [True]
        raise AfterCommitFailed("committed, but an action after the commit failed")

    writer._run = committed_then_failed  # type: ignore[method-assign]
    outcomes: dict[str, object] = {}

    def viewer(user_id: str) -> None:
        beacon = read_beacon(view_beacon(partner.id, user_id, "0_e", f"s-{user_id}", 1, 10.0))
        assert beacon is not None
        try:
            outcomes[user_id] = writer.write(partner.id, Viewed(beacon, user_id, time.time()))
        except AfterCommitFailed as error:
            outcomes[user_id] = error

    first = threading.Thread(target=viewer, args=("ann",))
    first.start()
    assert first_writing.wait(10)
    waiting = [threading.Thread(target=viewer, args=(user_id,)) for user_id in ("bob", "cid")]
    for thread in waiting:
        thread.start()
    deadline = time.monotonic() + 10
    while len(writer._groups[partner.id]._pending) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    let_first_end.set()
    for thread in (first, *waiting):
        thread.join(10)
    # The waiting beacons formed one group; it committed, so it is not written again beacon by beacon.
    assert groups == [1, 2]
    assert outcomes["ann"] is True
    assert isinstance(outcomes["bob"], AfterCommitFailed) and isinstance(outcomes["cid"], AfterCommitFailed)


def test_a_beacon_whose_event_is_refused_leaves_no_trace(
    api: Api, app_client: TestClient, engine: Engine, partner: Partner
) -> None:
    board = program(api)
    # A USER KS naming a viewer of spaces alone: the event path refuses an event of that user.
    blank = partner.mint(type=0, user_id="   ")
    for index, play_time_sum in enumerate([10.0, 20.0], start=1):
        send_beacon(
            app_client, {**view_beacon(partner.id, "kim", "0_e", "s", index, play_time_sum), "ks": blank}
        )
    with engine.connect() as conn:
        for table in (player_sessions, processed_events):
            rows = conn.execute(select(table).where(table.c.partner_id == partner.id)).all()
            assert rows == [], table.name
    assert api.ok("userScore/list", {"gameObjectId": board})["objects"] == []
    # The viewer's beacons still score once a KS names them.
    named = partner.mint(type=0, user_id="kim")
    send_beacon(app_client, {**view_beacon(partner.id, "kim", "0_e", "s", 3, 30.0), "ks": named})
    assert progress(api, board, "kim")["watch"] == 30


def test_a_view_whose_play_time_the_event_checks_refuse_leaves_its_sum_unmoved(
    api: Api, app_client: TestClient, engine: Engine, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The play time a VIEW adds lies within 0 and 30 s, which event/send's checks accept today; were a check to
    # refuse some (a limit of 15 here), the VIEW refused must not move its session's sum either: the checks
    # read its real event, not one with a stand-in play time.
    board = program(api)
    monkeypatch.setattr(events, "MAX_SCORE", 15)
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s", 1, 10.0))
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s", 2, 30.0))  # adds 20 s: refused
    with engine.connect() as conn:
        sums = conn.execute(
            select(player_sessions.c.play_time_sum).where(player_sessions.c.partner_id == partner.id)
        ).all()
    assert [row.play_time_sum for row in sums] == [10.0]
    monkeypatch.undo()
    # The next VIEW adds what it brings over the sum last accepted.
    send_beacon(app_client, view_beacon(partner.id, "kim", "0_e", "s", 3, 35.0))
    assert progress(api, board, "kim")["watch"] == 35
