"""A commit of this process wakes the change-stream hub at once (docs/change-feed.md, "How a stream learns of
changes"), also when it lands while the hub is reading the partners' log seqs: that wake-up is not dropped, and
the stream does not wait for the next poll (`GAMESERVICES_STREAM_POLL_SECONDS`) to get the change."""

import asyncio
from typing import Any

from sqlalchemy import Engine

from gameservices import feed
from gameservices.feed.hub import FeedHub, Filters
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api

AT = 1_748_851_200  # within the guide's leaderboard window


def test_a_commit_during_the_hubs_look_still_wakes_it(api: Api, partner: Any, engine: Engine) -> None:
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    start = feed.head_of(engine, partner.id)

    async def stream() -> list[feed.Change]:
        hub = FeedHub(engine, poll_seconds=30.0)  # the poll is far off: only a wake-up brings the change soon
        real_log_seqs = hub._log_seqs
        looks: list[int] = []

        def log_seqs_while_a_write_commits(partner_ids: set[int]) -> dict[int, int]:
            seqs = real_log_seqs(partner_ids)
            if not looks:
                looks.append(1)
                event = {"eventType": "pollAnswered", "userId": "ann", "pollId": "p1", "eventTime": AT}
                api.ok("event/send", {"events": [event]})  # committed just after the seqs were read
                hub.poke([partner.id])  # as the process's commit wakes it (log_wakeups.listen_locally)
            return seqs

        hub._log_seqs = log_seqs_while_a_write_commits  # type: ignore[method-assign]
        await hub.start(partner.id)
        try:
            page = await hub.next(partner.id, start, Filters(), timeout=3.0)
        finally:
            hub.stop(partner.id)
            hub.close()
        assert looks
        return page.changes

    changes = asyncio.run(stream())
    assert [change.data["userId"] for change in changes] == ["ann"], "the wake-up was lost"
