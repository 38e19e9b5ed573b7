"""The live fragments the `DisplayHub` keeps current: each is a frozen value (equal views share one render) that
knows its partner and renders itself through the services the API uses."""

from dataclasses import dataclass
from typing import Any, Protocol

from gameservices import feed
from gameservices.console.pages import render_text
from gameservices.domain.timefmt import format_ms
from gameservices.errors import NotFound
from gameservices.feed.changes import (
    BADGE_ACHIEVED,
    CERTIFICATE_ISSUED,
    LEAD_GROUP_CHANGED,
    PERIOD_CLOSED,
    SCORE_CHANGED,
    STATUS_CHANGED,
)
from gameservices.projection.live import LiveState
from gameservices.services.standings import activity
from gameservices.services.standings import display_link as display_service
from gameservices.services.standings.display_link import Screen
from gameservices.storage.database import Connection

# The dashboard's figures over the last minute move while nothing is appended: rendered at least this often.
ACTIVITY_REFRESH_SECONDS = 5.0


class LiveView(Protocol):
    """A live fragment of a page."""

    @property
    def partner_id(self) -> int:
        """Whose changes move it."""

    @property
    def refresh_seconds(self) -> float | None:
        """Render it at least this often even without a change (None: only on changes)."""

    def alive(self, conn: Connection, now_ms: int) -> bool:
        """Whether it may still be shown (checked every round)."""

    def render(self, conn: Connection, live: LiveState, now_ms: int) -> str | None:
        """Its HTML, or None once it is gone."""

    def changes_at(self, conn: Connection, now_ms: int) -> int | None:
        """When it changes without any write (ms; asked after each render), or None: only writes change it."""


@dataclass(frozen=True)
class StandingsView:
    """A big screen's (or the console's live top N) standings."""

    screen: Screen
    refresh_seconds: float | None = None

    @property
    def partner_id(self) -> int:
        """The leaderboard's partner."""
        return self.screen.partner_id

    def alive(self, conn: Connection, now_ms: int) -> bool:
        """A shared screen ends when its link is revoked or expires."""
        if self.screen.share_id is None:
            return True
        return display_service.is_shared(conn, share_id=self.screen.share_id, now_ms=now_ms)

    def render(self, conn: Connection, live: LiveState, now_ms: int) -> str | None:
        """The standings fragment (None once the leaderboard is gone)."""
        try:
            standings = display_service.standings(conn, live=live, link=self.screen)
        except NotFound:
            return None
        return render_text("fragments/standings.html", {"standings": standings})

    def changes_at(self, conn: Connection, now_ms: int) -> int | None:
        """The end of the current period of a recurring leaderboard: the next period is shown from then."""
        return display_service.changes_at(conn, link=self.screen, now_ms=now_ms)


@dataclass(frozen=True)
class ActivityView:
    """The dashboard's live panel: events per second, users scored, the newest changes of the feed."""

    partner_id: int
    refresh_seconds: float | None = ACTIVITY_REFRESH_SECONDS

    def alive(self, conn: Connection, now_ms: int) -> bool:
        """Always (it ends with its stream)."""
        return True

    def render(self, conn: Connection, live: LiveState, now_ms: int) -> str | None:
        """The panel's fragment."""
        return render_text("fragments/activity.html", activity_context(conn, live, self.partner_id, now_ms))

    def changes_at(self, conn: Connection, now_ms: int) -> int | None:
        """Never by itself (its figures over the last minute are rendered every `refresh_seconds`)."""
        return None


@dataclass(frozen=True)
class EventsTailView:
    """The events screen's tail: the newest events received, newest first."""

    partner_id: int
    refresh_seconds: float | None = None

    def alive(self, conn: Connection, now_ms: int) -> bool:
        """Always (it ends with its stream)."""
        return True

    def render(self, conn: Connection, live: LiveState, now_ms: int) -> str | None:
        """The tail's fragment."""
        return render_text("fragments/events_tail.html", tail_context(conn, self.partner_id))

    def changes_at(self, conn: Connection, now_ms: int) -> int | None:
        """Never: only received events change it."""
        return None


def activity_context(conn: Connection, live: LiveState, partner_id: int, now_ms: int) -> dict[str, Any]:
    """What the activity panel shows (the dashboard renders it in place, then the stream keeps it current)."""
    changes = activity.recent_changes(conn, partner_id)
    ids = {change.game_object_id for change in changes if change.game_object_id}
    names = activity.object_names(conn, live=live, partner_id=partner_id, ids=ids)
    return {
        "rate": activity.event_rate(conn, partner_id, now_ms=now_ms),
        "scored": activity.scored_users(conn, live=live, partner_id=partner_id),
        "changes": [shown_change(change, names) for change in changes],
    }


def _was(before: Any, after: Any) -> str:
    return f"{'none' if before is None else before} → {after}"


def shown_change(change: feed.Change, names: dict[str, str]) -> dict[str, str]:
    """A change as the recent-changes panel lists it: when, what, who, on which game object."""
    data = change.data
    if change.type == SCORE_CHANGED:
        what = f"score {_was(data.get('previousScore'), data.get('score'))}"
        if data.get("rank") is not None:
            what += f", rank {_was(data.get('previousRank'), data.get('rank'))}"
    elif change.type == LEAD_GROUP_CHANGED:
        what = f"group {_was(data.get('previousScoreGroup'), data.get('scoreGroup'))}"
    elif change.type == CERTIFICATE_ISSUED:
        what = f"certified, {data.get('credits')} credits"
    elif change.type == STATUS_CHANGED:
        what = f"{data.get('gameObjectType')} {data.get('status')}"
    elif change.type == PERIOD_CLOSED:
        what = f"period {data.get('periodIndex')} closed"
    else:
        what = "achieved" if change.type == BADGE_ACHIEVED else ""
    object_id = change.game_object_id or ""
    return {
        "id": change.id,
        "at": format_ms(change.at_ms),
        "type": change.type,
        "user": str(data.get("userId") or ""),
        "object": names.get(object_id, object_id),
        "what": what,
    }


def tail_context(conn: Connection, partner_id: int) -> dict[str, Any]:
    """What the events tail shows."""
    return {"events": activity.recent_events(conn, partner_id)}
