"""Repository of big-screen share links (``displayLink``)."""

from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select

from gameservices.storage.schema import display_links


@dataclass(frozen=True)
class DisplayLinkRecord:
    """A share link of a leaderboard's big screen."""

    id: str
    partner_id: int
    share_id: str
    game_object_id: str
    top: int
    title: str | None
    anonymize: bool
    sub_leaderboard_id: str | None
    expires_at: int | None
    created_at: int


_COLUMNS = (
    display_links.c.id,
    display_links.c.partner_id,
    display_links.c.share_id,
    display_links.c.game_object_id,
    display_links.c.top,
    display_links.c.title,
    display_links.c.anonymize,
    display_links.c.sub_leaderboard_id,
    display_links.c.expires_at,
    display_links.c.created_at,
)


def _record(row: tuple[object, ...]) -> DisplayLinkRecord:
    (link_id, partner_id, share_id, object_id, top, title, anonymize, sub_id, expires_at, created_at) = row
    return DisplayLinkRecord(
        id=str(link_id),
        partner_id=int(str(partner_id)),
        share_id=str(share_id),
        game_object_id=str(object_id),
        top=int(str(top)),
        title=None if title is None else str(title),
        anonymize=bool(anonymize),
        sub_leaderboard_id=None if sub_id is None else str(sub_id),
        expires_at=None if expires_at is None else int(str(expires_at)),
        created_at=int(str(created_at)),
    )


def insert_link(conn: Connection, record: DisplayLinkRecord) -> None:
    """Store a new link."""
    conn.execute(
        insert(display_links).values(
            id=record.id,
            partner_id=record.partner_id,
            share_id=record.share_id,
            game_object_id=record.game_object_id,
            top=record.top,
            title=record.title,
            anonymize=record.anonymize,
            sub_leaderboard_id=record.sub_leaderboard_id,
            expires_at=record.expires_at,
            created_at=record.created_at,
        )
    )


def get_link(conn: Connection, *, partner_id: int, link_id: str) -> DisplayLinkRecord | None:
    """A partner's link by id."""
    statement = select(*_COLUMNS).where(
        display_links.c.partner_id == partner_id, display_links.c.id == link_id
    )
    row = conn.execute(statement).first()
    return None if row is None else _record(tuple(row))


def get_by_share_id(conn: Connection, share_id: str) -> DisplayLinkRecord | None:
    """The link a public URL names, whoever's it is."""
    row = conn.execute(select(*_COLUMNS).where(display_links.c.share_id == share_id)).first()
    return None if row is None else _record(tuple(row))


def list_links(
    conn: Connection, *, partner_id: int, game_object_id: str | None, offset: int, limit: int
) -> tuple[int, list[DisplayLinkRecord]]:
    """A page of a partner's links, newest first, and how many there are."""
    clauses = [display_links.c.partner_id == partner_id]
    if game_object_id is not None:
        clauses.append(display_links.c.game_object_id == game_object_id)
    total = conn.execute(select(func.count()).select_from(display_links).where(*clauses)).scalar_one()
    statement = (
        select(*_COLUMNS)
        .where(*clauses)
        .order_by(display_links.c.created_at.desc(), display_links.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return int(total), [_record(tuple(row)) for row in conn.execute(statement)]


def delete_link(conn: Connection, *, partner_id: int, link_id: str) -> bool:
    """Revoke a link; whether it existed."""
    result = conn.execute(
        delete(display_links).where(display_links.c.partner_id == partner_id, display_links.c.id == link_id)
    )
    return bool(result.rowcount)
