"""The ``userScore`` controller."""

from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from gameservices.api.deps import Api, ReadApi, WriteApi
from gameservices.api.json import render_json, rendered
from gameservices.api.paging import page_bounds
from gameservices.api.replay import add_explain_route
from gameservices.api.responses import ErrorStatuses, ListResult, ObjectResult
from gameservices.api.schemas.user_score import (
    GameObjectRequest,
    RuleProgressRequest,
    SubGameOptionsRequest,
    UserScoreGet,
    UserScoreList,
)
from gameservices.api.targets import target_of
from gameservices.services.standings import user_score as service

router = APIRouter(prefix="/userScore", tags=["userScore"], responses=ErrorStatuses)
add_explain_route(router)


@router.post("/get", response_model=None, responses={200: {"model": ObjectResult}})
def get(body: UserScoreGet, api: ReadApi) -> dict[str, Any]:
    """A user's score and rank."""
    with api.read() as conn:
        record = target_of(conn, api, body)
        return service.get(
            conn,
            live=api.live,
            partner_id=api.partner_id,
            record=record,
            user_id=body.userId,
            period=body.period,
        )


@router.post("/list", response_model=None, responses={200: {"model": ListResult}})
async def list_(body: UserScoreList, api: ReadApi) -> dict[str, Any] | Response:
    """Ranked users, a user's neighbourhood, or a sub-leaderboard's standings."""
    offset, size = page_bounds(body.pager)
    if body.subGameProperties is not None:
        return await run_in_threadpool(_sub_game_list, body, api, offset, size)
    # The polled page, rendered once per change of the scores: a page already rendered for a fresh enough
    # state is answered right here on the event loop; anything else is worked out on a worker thread.
    query = service.PageQuery(
        body.gameObjectId,
        body.gameObjectType,
        offset,
        size,
        body.userIdEqual,
        body.placesAboveUser,
        body.placesBelowUser,
        body.includeHidden,
        body.period,
    )
    page = service.cached_page(api.live, partner_id=api.partner_id, versions=api.versions, query=query)
    if page is None:
        page = await run_in_threadpool(
            service.ranking,
            api.live,
            api.engine,
            partner_id=api.partner_id,
            versions=api.versions,
            query=query,
            render=render_json,
        )
    return rendered(page)


def _sub_game_list(body: UserScoreList, api: Api, offset: int, size: int) -> dict[str, Any]:
    sub = body.subGameProperties
    assert sub is not None
    with api.read() as conn:
        record = target_of(conn, api, body)
        common: dict[str, Any] = {
            "live": api.live,
            "partner_id": api.partner_id,
            "record": record,
            "period": body.period,
            "field": "subGameProperties.id",
        }
        if sub.option is not None:
            return service.segment_ranking(
                conn, **common, sub_game_id=str(sub.id), option=sub.option, offset=offset, limit=size
            )
        return service.team_standings(conn, **common, sub_game_id=str(sub.id), offset=offset, limit=size)


@router.post("/ruleProgress", response_model=None, responses={200: {"model": ListResult}})
def rule_progress(body: RuleProgressRequest, api: ReadApi) -> dict[str, Any]:
    """A user's progress on each rule of the game object (all-time, or in a period)."""
    with api.read_tables() as conn:
        record = target_of(conn, api, body)
        return service.rule_progress(
            conn, partner_id=api.partner_id, record=record, user_id=body.userId, period=body.period
        )


@router.post("/clear", response_model=None, responses={200: {"model": ObjectResult}})
def clear(body: GameObjectRequest, api: WriteApi) -> dict[str, Any]:
    """Remove every score, bucket and progress of the game object."""
    with api.write() as conn:
        record = target_of(conn, api, body)
        return service.clear(conn, partner_id=api.partner_id, record=record)


@router.post("/getSubGameOptions", response_model=None, responses={200: {"model": ListResult}})
def get_sub_game_options(body: SubGameOptionsRequest, api: ReadApi) -> dict[str, Any]:
    """The segments of a sub-leaderboard and their user counts."""
    with api.read() as conn:
        record = target_of(conn, api, body)
        return service.sub_game_options(
            conn,
            live=api.live,
            partner_id=api.partner_id,
            record=record,
            sub_game_id=str(body.subGameId),
            period=body.period,
        )
