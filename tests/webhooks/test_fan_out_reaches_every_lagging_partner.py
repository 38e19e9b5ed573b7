"""The dispatcher takes the changes of every partner whose feed is past its cursor: a partner whose feed keeps
moving (its cursor is behind again at every pass) does not keep the partners after it in the order of ids from
ever getting their deliveries. A pass looks at a bounded number of partners (`PARTNERS_PER_PASS`, 100); with more
partners busy than that, the others must still be reached."""

from typing import Any

from sqlalchemy import Engine

from gameservices.services.access.partner import create_partner
from gameservices.storage.database import write_transaction
from gameservices.webhooks import fanout
from tests.api import guide_bodies as guide
from tests.conftest import POLL_RULE, Api
from tests.webhooks.conftest import Clock
from tests.webhooks.receiver import Receiver

AT = 1_748_851_200  # within the guide's leaderboard window


def _board_and_hook(api: Api, url: str) -> str:
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_2(), "status": "enabled"})["id"]
    api.ok("rule/create", {**POLL_RULE, "gameObjectType": "leaderboard", "gameObjectId": board})
    hook: str = api.ok("webhook/create", {"url": url, "eventTypes": ["score.changed"]})["id"]
    return hook


def _answer(api: Api, user: str, poll: str) -> None:
    event = {"eventType": "pollAnswered", "userId": user, "pollId": poll, "eventTime": AT}
    assert api.ok("event/send", {"events": [event]})["accepted"] == 1


def test_a_busy_partner_does_not_hold_up_the_partners_after_it(
    hook_api: Api, receiver: Receiver, own_engine: Engine, clock: Clock, monkeypatch: Any
) -> None:
    monkeypatch.setattr(fanout, "PARTNERS_PER_PASS", 1)  # (stands for 100 partners busier than the pass)
    with write_transaction(own_engine) as conn:
        quiet = Api(hook_api.client, create_partner(conn, name="quiet")["ks"])  # an id after the busy one's
    _board_and_hook(hook_api, receiver.url + "/busy")
    quiet_hook = _board_and_hook(quiet, receiver.url + "/quiet")
    _answer(quiet, "q", "p0")
    _answer(hook_api, "b0", "p0")
    for n in range(1, 20):
        assert fanout.fan_out(own_engine, clock()) > 0  # every pass takes changes
        _answer(hook_api, f"b{n}", f"p{n}")  # the busy partner's feed moves again meanwhile
    made = quiet.ok("webhookDelivery/list", {"webhookId": quiet_hook})["totalCount"]
    assert made == 1, "20 passes took changes, none of them the quiet partner's"
