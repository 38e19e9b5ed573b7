"""The change feed: typed changes stored with the log entries that made them, read in order by the SSE stream,
the webhook dispatcher and the console (DESIGN.md section 9, "Change feed, SSE and webhooks")."""

from gameservices.feed.changes import END, TYPES, Change, Changes, Position, change_id, parse_id
from gameservices.feed.reading import Page, head, head_of, read, scan

__all__ = [
    "END",
    "TYPES",
    "Change",
    "Changes",
    "Page",
    "Position",
    "change_id",
    "head",
    "head_of",
    "parse_id",
    "read",
    "scan",
]
