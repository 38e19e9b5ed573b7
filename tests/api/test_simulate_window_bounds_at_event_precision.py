"""`rule/simulate`'s `fromTime`/`toTime` include their bounds (docs/replay.md): an event whose `eventTime` is the
bound itself counts, even when that time has finer than millisecond precision (events keep the eventTime they
were sent with, and an event sent without one takes the time it was received, to the microsecond)."""

from tests.api import guide_bodies as guide
from tests.api.test_replay_whatif import make_board
from tests.conftest import Api

AT = 1748858400.0004  # 2025-06-02T10:00:00.0004Z


def test_an_event_at_the_window_bounds_counts(api: Api) -> None:
    board, _ = make_board(api)
    event = {
        "eventType": "pollAnswered",
        "userId": "ann",
        "pollId": "p1",
        "eventTime": AT,
        "virtualEventId": guide.VIRTUAL_EVENT_ID,
    }
    assert api.ok("event/send", {"events": [event]})["accepted"] == 1
    for window in ({"fromTime": AT, "toTime": AT}, {"toTime": AT}, {"toTime": "2025-06-02T10:00:00.0004Z"}):
        answer = api.ok("rule/simulate", {"gameObjectId": board, **window})
        assert (answer["eventsReplayed"], answer["usersAffected"]) == (1, 0), (window, answer)
