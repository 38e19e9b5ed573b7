"""Routes built on replays of the event log: `rule/simulate`, `<game object>/rebuild` and `userScore/explain`."""

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from gameservices.api.deps import ReadApi, WriteApi
from gameservices.api.paging import page_bounds
from gameservices.api.responses import ListResult, ObjectResult
from gameservices.api.schemas.common import Id, NotBoolean, Pager, RequestModel, Whole, required_fields
from gameservices.api.schemas.rule import RuleCreate, RuleUpdate
from gameservices.api.schemas.user_score import GameObjectUserRequest
from gameservices.api.targets import target_of
from gameservices.domain.timefmt import TimeFormatError, parse_seconds
from gameservices.errors import ValidationFailed
from gameservices.projection.simulate import Window
from gameservices.services.catalog import game_objects as object_service
from gameservices.services.catalog.game_objects import GameObjectKind
from gameservices.services.replay import explain as explain_service
from gameservices.services.replay import rebuild as rebuild_service
from gameservices.services.replay import simulation
from gameservices.services.standings import user_score as user_score_service

_REQUIRED = required_fields(RuleCreate)
TimeValue = Annotated[float | int | Annotated[str, Field(max_length=64)], NotBoolean]


class RuleCandidate(RuleUpdate):  # type: ignore[misc,valid-type]
    """A candidate rule: a new one (no `id`, the `rule/create` fields) or a change of one (`id`)."""

    id: Id | None = None


class SimulateRequest(RequestModel):
    """``rule/simulate``."""

    gameObjectId: Id
    rules: list[RuleCandidate] = Field(default_factory=list, max_length=100)
    removeRuleIds: list[Id] = Field(default_factory=list, max_length=100)
    fromTime: TimeValue | None = None
    toTime: TimeValue | None = None
    top: Whole = Field(25, ge=1, le=100)


class RebuildRequest(RequestModel):
    """``<game object>/rebuild``."""

    id: Id
    revokeUnearned: bool = False


class ExplainRequest(GameObjectUserRequest):
    """``userScore/explain``."""

    pager: Pager | None = None


def _seconds(field: str, value: float | str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_seconds(value)
    except TimeFormatError as error:
        raise ValidationFailed(field, str(error)) from error


def add_simulate_route(router: APIRouter) -> None:
    """`rule/simulate` on the rule router."""

    @router.post("/simulate", response_model=None, responses={200: {"model": ObjectResult}})
    def simulate(body: SimulateRequest, api: ReadApi) -> dict[str, Any]:
        """What the game object's standings would be with these rule changes, replayed over the log."""
        window = Window(_seconds("fromTime", body.fromTime), _seconds("toTime", body.toTime))
        if window.start is not None and window.end is not None and window.start > window.end:
            raise ValidationFailed("toTime", "must not be before fromTime")
        candidates = [candidate.model_dump(exclude_unset=True) for candidate in body.rules]
        with api.read() as conn:
            record = user_score_service.game_object(
                conn, partner_id=api.partner_id, game_object_id=body.gameObjectId, game_object_type=None
            )
            return simulation.simulate(
                conn,
                live=api.live,
                partner_id=api.partner_id,
                record=record,
                candidates=candidates,
                remove_rule_ids=body.removeRuleIds,
                window=window,
                top=body.top,
                required=_REQUIRED,
            )


def add_rebuild_route(router: APIRouter, kind: GameObjectKind) -> None:
    """`<controller>/rebuild` on a game-object router."""

    @router.post("/rebuild", response_model=None, responses={200: {"model": ObjectResult}})
    def rebuild(body: RebuildRequest, api: WriteApi) -> dict[str, Any]:
        """Recompute the game object from the event log under its current rules (one logged change)."""
        with api.write() as conn:
            record = object_service.get(conn, partner_id=api.partner_id, kind=kind, object_id=body.id)
            return rebuild_service.rebuild(
                conn,
                live=api.live,
                partner_id=api.partner_id,
                record=record,
                revoke_unearned=body.revokeUnearned,
            )


def add_explain_route(router: APIRouter) -> None:
    """`userScore/explain` on the userScore router."""

    @router.post("/explain", response_model=None, responses={200: {"model": ListResult}})
    def explain(body: ExplainRequest, api: ReadApi) -> dict[str, Any]:
        """Every award behind the user's score, newest first, with the running total."""
        offset, size = page_bounds(body.pager)
        with api.read() as conn:
            record = target_of(conn, api, body)
            return explain_service.explain(
                conn,
                partner_id=api.partner_id,
                record=record,
                user_id=body.userId,
                offset=offset,
                limit=size,
            )
