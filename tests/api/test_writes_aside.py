"""Writes that change nothing the event log or the live state holds (webhooks, their deliveries, display links)
do not queue behind the partner's writers: they answer while a write of scores holds the partner's turn."""

import threading
from typing import Any

from tests.api import guide_bodies as guide
from tests.api.test_webhook import PUBLIC
from tests.conftest import POLL_RULE, Api

WAIT = 10.0


def _while_scores_are_written(api: Api, partner: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Make the calls from another thread while this one holds the partner's writer turn."""
    answers: list[Any] = []

    def call() -> None:
        for path, body in calls:
            answers.append(api.call(path, body))

    live = api.client.app.state.live  # type: ignore[attr-defined]
    with live.writing(partner.id):  # as an event/send group under way does
        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        thread.join(WAIT)
        in_time = len(answers)
    thread.join(WAIT)
    assert in_time == len(calls), f"{in_time} of {len(calls)} calls answered while the writer turn was held"
    return answers


def test_webhook_and_display_link_writes_do_not_wait_for_the_partners_writers(api: Api, partner: Any) -> None:
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    hook = api.ok("webhook/create", {"url": PUBLIC, "eventTypes": ["score.changed"]})
    link = api.ok("displayLink/create", {"gameObjectId": board})
    answers = _while_scores_are_written(
        api,
        partner,
        [
            ("webhook/create", {"url": PUBLIC, "eventTypes": ["score.changed"]}),
            ("webhook/update", {"id": hook["id"], "description": "scores"}),
            ("webhook/rotateSecret", {"id": hook["id"]}),
            ("webhook/test", {"id": hook["id"]}),
            ("displayLink/create", {"gameObjectId": board}),
            ("displayLink/delete", {"id": link["id"]}),
            ("webhook/delete", {"id": hook["id"]}),
        ],
    )
    assert [status for status, _ in answers] == [200] * 7, answers
    # A write of scores still takes its turn.
    assert _polls_wait(api, partner)


def _polls_wait(api: Api, partner: Any) -> bool:
    live = api.client.app.state.live  # type: ignore[attr-defined]
    answered = threading.Event()

    def send() -> None:
        api.ok("event/send", {"events": [{"eventType": "pollAnswered", "userId": "ann", "pollId": "p1"}]})
        answered.set()

    with live.writing(partner.id):
        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        waited = not answered.wait(0.5)
    thread.join(WAIT)
    return waited and answered.is_set()
