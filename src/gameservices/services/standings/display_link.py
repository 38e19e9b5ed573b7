"""The ``displayLink`` controller: public share links of a leaderboard's big screen, and what such a screen
shows (the same ranking ``userScore/list`` answers)."""

import re
import secrets
from dataclasses import dataclass
from typing import Any

from gameservices.domain.ids import new_object_id
from gameservices.domain.timefmt import format_ms
from gameservices.errors import NotFound, ObjectNotFound, ValidationFailed
from gameservices.projection.live import LiveState
from gameservices.services.periods import recurrence
from gameservices.services.standings import user_score
from gameservices.storage import display_links as repository
from gameservices.storage import game_objects as object_repository
from gameservices.storage import partners as partner_repository
from gameservices.storage.database import Connection
from gameservices.storage.display_links import DisplayLinkRecord

DEFAULT_TOP = 10
MAX_TOP = 100
# 32 URL-safe characters: 192 random bits, beyond guessing.
SHARE_ID_BYTES = 24
_SHARE_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class DisplayLinkInput:
    """What ``displayLink/create`` asks for (already checked for shape by the API layer)."""

    game_object_id: str
    top: int = DEFAULT_TOP
    title: str | None = None
    anonymize: bool = False
    sub_leaderboard_id: str | None = None
    expires_at: int | None = None


@dataclass(frozen=True)
class Screen:
    """What one big screen (or the console's live top N) shows; screens with equal values share one render."""

    partner_id: int
    game_object_id: str
    top: int
    anonymize: bool = False
    sub_leaderboard_id: str | None = None
    title: str | None = None
    # The public link the screen is shown through: it stops when the link is revoked or expires.
    share_id: str | None = None


def screen_of(link: DisplayLinkRecord) -> Screen:
    """The screen a link shows."""
    return Screen(
        partner_id=link.partner_id,
        game_object_id=link.game_object_id,
        top=link.top,
        anonymize=link.anonymize,
        sub_leaderboard_id=link.sub_leaderboard_id,
        title=link.title,
        share_id=link.share_id,
    )


@dataclass(frozen=True)
class Row:
    """One line of a big screen: a user (or a team, on a sub-leaderboard) and its score."""

    rank: int
    name: str
    score: float | int


@dataclass(frozen=True)
class Standings:
    """What a big screen shows."""

    title: str
    rows: tuple[Row, ...]
    total: int
    teams: bool


def create(conn: Connection, *, partner_id: int, fields: DisplayLinkInput, now_ms: int) -> DisplayLinkRecord:
    """A new share link of one of the partner's leaderboards."""
    record = user_score.game_object(
        conn, partner_id=partner_id, game_object_id=fields.game_object_id, game_object_type=None
    )
    if record.object_type != "leaderboard":
        raise ValidationFailed("gameObjectId", "a display link shows a leaderboard")
    if fields.sub_leaderboard_id is not None and not _has_sub_leaderboard(
        record.data, fields.sub_leaderboard_id
    ):
        raise ValidationFailed(
            "subLeaderboardId", f"the leaderboard has no sub-leaderboard {fields.sub_leaderboard_id}"
        )
    if fields.expires_at is not None and fields.expires_at <= now_ms:
        raise ValidationFailed("expiresAt", "must be in the future")
    link = DisplayLinkRecord(
        id=new_object_id(),
        partner_id=partner_id,
        share_id=secrets.token_urlsafe(SHARE_ID_BYTES),
        game_object_id=record.id,
        top=fields.top,
        title=fields.title,
        anonymize=fields.anonymize,
        sub_leaderboard_id=fields.sub_leaderboard_id,
        expires_at=fields.expires_at,
        created_at=now_ms,
    )
    repository.insert_link(conn, link)
    return link


def _has_sub_leaderboard(data: dict[str, Any], sub_leaderboard_id: str) -> bool:
    return any(str(sub.get("id")) == sub_leaderboard_id for sub in data.get("subLeaderboards") or ())


def get(conn: Connection, *, partner_id: int, link_id: str) -> DisplayLinkRecord:
    """One of the partner's links."""
    link = repository.get_link(conn, partner_id=partner_id, link_id=link_id)
    if link is None:
        raise ObjectNotFound(link_id, "Display link")
    return link


def list_page(
    conn: Connection, *, partner_id: int, game_object_id: str | None, offset: int, limit: int
) -> tuple[int, list[DisplayLinkRecord]]:
    """A page of the partner's links, newest first."""
    return repository.list_links(
        conn, partner_id=partner_id, game_object_id=game_object_id, offset=offset, limit=limit
    )


def delete(conn: Connection, *, partner_id: int, link_id: str) -> dict[str, Any]:
    """Revoke a link: its page answers 404 from now on."""
    if not repository.delete_link(conn, partner_id=partner_id, link_id=link_id):
        raise ObjectNotFound(link_id, "Display link")
    return {"id": link_id, "deleted": True}


def view(link: DisplayLinkRecord, *, base_url: str) -> dict[str, Any]:
    """The API form of a link; ``url`` is its public page under ``base_url``."""
    return {
        "id": link.id,
        "objectType": "DisplayLink",
        "gameObjectId": link.game_object_id,
        "url": f"{base_url.rstrip('/')}/display/{link.share_id}",
        "top": link.top,
        "title": link.title,
        "anonymize": link.anonymize,
        "subLeaderboardId": link.sub_leaderboard_id,
        "expiresAt": None if link.expires_at is None else format_ms(link.expires_at),
        "createdAt": format_ms(link.created_at),
    }


def shared(conn: Connection, *, share_id: str, now_ms: int) -> DisplayLinkRecord:
    """The live link a public URL names; revoked, expired and unknown links are all simply not found, and so are
    the links of a partner that is disabled or whose game services are (as its API and widget refuse it)."""
    link = repository.get_by_share_id(conn, share_id) if _SHARE_ID.match(share_id) else None
    if link is None or (link.expires_at is not None and link.expires_at <= now_ms):
        raise NotFound("Display not found", code="DISPLAY_NOT_FOUND")
    if not partner_repository.serves_game_services(conn, link.partner_id):
        raise NotFound("Display not found", code="DISPLAY_NOT_FOUND")
    return link


def is_shared(conn: Connection, *, share_id: str, now_ms: int) -> bool:
    """Whether a public link still answers."""
    try:
        shared(conn, share_id=share_id, now_ms=now_ms)
    except NotFound:
        return False
    return True


def standings(conn: Connection, *, live: LiveState, link: Screen) -> Standings:
    """The top of the screen's leaderboard (or of its sub-leaderboard's teams), ready to show."""
    try:
        record = user_score.game_object(
            conn, partner_id=link.partner_id, game_object_id=link.game_object_id, game_object_type=None
        )
    except ObjectNotFound as error:
        raise NotFound("Display not found", code="DISPLAY_NOT_FOUND") from error
    common: dict[str, Any] = {"live": live, "partner_id": link.partner_id, "record": record}
    title = link.title or record.name
    if link.sub_leaderboard_id is not None:
        if not _has_sub_leaderboard(record.data, link.sub_leaderboard_id):
            # The leaderboard no longer has the sub-leaderboard the link shows: the screen is gone.
            raise NotFound("Display not found", code="DISPLAY_NOT_FOUND")
        page = user_score.team_standings(
            conn, **common, sub_game_id=link.sub_leaderboard_id, offset=0, limit=link.top
        )
        rows = tuple(Row(item["rank"], str(item["option"]), item["score"]) for item in page["objects"])
        return Standings(title, rows, page["totalCount"], teams=True)
    page = user_score.list_page(conn, **common, offset=0, limit=link.top)
    rows = tuple(
        Row(item["rank"], initials(item["userId"]) if link.anonymize else item["userId"], item["score"])
        for item in page["objects"]
    )
    return Standings(title, rows, page["totalCount"], teams=False)


def changes_at(conn: Connection, *, link: Screen, now_ms: int) -> int | None:
    """When what a screen shows changes without any write: the end of the current period of a recurring
    leaderboard (the screen then shows the next period, as ``userScore/list`` answers it); None otherwise."""
    record = object_repository.get_game_object(
        conn, partner_id=link.partner_id, object_id=link.game_object_id
    )
    timeline = None if record is None else recurrence.stored_timeline(conn, record)
    if timeline is None:
        return None
    return timeline.bounds(timeline.index_of(now_ms))[1]


def initials(name: str) -> str:
    """A name shown anonymously: the first letter of each of its words ("ann.lee@x.org" -> "A. L. X. O.")."""
    words = [word for word in re.split(r"[\W_]+", name) if word]
    return " ".join(f"{word[0].upper()}." for word in words[:4]) or "?"
