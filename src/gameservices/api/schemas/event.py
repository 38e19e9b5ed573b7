"""Bodies of the ``event`` controller (DESIGN.md section 3)."""

from typing import Any

from pydantic import Field

from gameservices.api.schemas.common import RequestModel
from gameservices.services.scoring.event import MAX_EVENTS_PER_CALL


class EventSend(RequestModel):
    """``event/send``: up to 10,000 flat events; each is checked on its own and reported when refused."""

    events: list[Any] = Field(max_length=MAX_EVENTS_PER_CALL)


class Refusal(RequestModel):
    """An event of the batch that was refused."""

    index: int
    code: str
    message: str


class Skip(RequestModel):
    """A rule that could not use an accepted event of the batch (the other rules saw it)."""

    index: int
    ruleId: str
    message: str


class EventSendResult(RequestModel):
    """What happened to the batch; ``skipped`` lists the first 100 rules' skips."""

    accepted: int
    duplicates: int
    rejected: list[Refusal]
    skipped: list[Skip]
