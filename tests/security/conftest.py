"""Fixtures of the security suite: a partner populated with every kind of data, and a checksum of its rows."""

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gameservices.storage import schema
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner

# Distinctive text stored only in the owner's data: finding it in an intruder's answer is a leak.
MARKER = "owner-private-7f3a"
OWNER_USERS = ("owner-ann", "owner-ben", "owner-cal")
OWNER_ENTRIES = ("owner-e1", "owner-e2", "owner-e3")


@dataclass
class Populated:
    """A partner with objects, rules, profiles, scores, achievements, certificates and schedules."""

    partner: Partner
    objects: dict[str, str]
    rules: list[str]
    schedules: list[str]
    certificate_records: list[str]
    users: tuple[str, ...] = OWNER_USERS
    entries: tuple[str, ...] = OWNER_ENTRIES
    extra: dict[str, Any] = field(default_factory=dict)


def _event(user: str, entry: str, seconds: int, minute: int) -> dict[str, Any]:
    return {
        "eventType": "viewPeriod",
        "userId": user,
        "entryId": entry,
        "playTime": seconds,
        "eventTime": f"2025-06-02T10:{minute:02d}:00.000Z",
        "eventId": f"{user}-{entry}-{minute}",
        "entryName": f"{MARKER} {entry}",
    }


def _objects(api: Api) -> dict[str, str]:
    named = {"name": f"{MARKER} object", "description": f"{MARKER} description"}
    leaderboard = api.ok("leaderboard/create", {**guide.leaderboard_4_4(), **named, "status": "enabled"})
    leaderboard = api.ok("leaderboard/update", {"id": leaderboard["id"], "endDate": "2025-06-03T00:00:00Z"})
    # Daily periods (docs/periods.md): leaderboard/closePeriod has a period to close on A's leaderboard.
    recurrence = {"unit": "day", "anchor": "2025-06-01T00:00:00", "timezone": "UTC"}
    leaderboard = api.ok(
        "leaderboard/update",
        {"id": leaderboard["id"], "endDate": "2100-01-01T00:00:00Z", "recurrence": recurrence},
    )
    badge = api.ok("badge/create", {**guide.badge_7_1(), **named})
    certificate = api.ok("certificate/create", {**guide.certificate_8_2(), **named})
    lead = api.ok("leadScoring/create", {**guide.lead_scoring_9_3(), **named, "status": "enabled"})
    return {
        "leaderboard": leaderboard["id"],
        "badge": badge["id"],
        "certificate": certificate["id"],
        "leadScoring": lead["id"],
    }


def populate(api: Api, partner: Partner) -> Populated:
    """Give a partner one object of each type with rules, profiles, events and a schedule."""
    objects = _objects(api)
    rules = [
        api.ok("rule/create", {**guide.rule_6_7(objects["leaderboard"]), "name": f"{MARKER} rule"})["id"],
        api.ok("rule/create", guide.certificate_rule_8_4(objects["certificate"]))["id"],
        api.ok("rule/create", guide.lead_scoring_rule_9_3(objects["leadScoring"]))["id"],
    ]
    rules += [rule["id"] for rule in api.ok("badge/get", {"id": objects["badge"]})["rules"]]
    api.ok(
        "certificate/update",
        {
            "id": objects["certificate"],
            "status": "enabled",
            "creditsMapping": f"credits,{rules[1]}\n1,1",
            "certifiedCreditsThreshold": 1,
        },
    )
    for index, user in enumerate(OWNER_USERS):
        api.ok(
            "userProfile/create",
            {
                "userId": user,
                "email": f"{user}@{MARKER}.example",
                "fullName": f"{MARKER} {user}",
                "groups": [f"{MARKER}-group"],
                "profileData": {"country": f"{MARKER}-land", "company": f"co{index}"},
            },
        )
    events = [
        _event(user, entry, 90, minute)
        for minute, (user, entry) in enumerate(
            (user, entry) for user in OWNER_USERS for entry in OWNER_ENTRIES
        )
    ]
    sent = api.ok("event/send", {"events": events})
    assert sent["accepted"] == len(events), sent
    api.ok("entry/upsert", {"entryId": OWNER_ENTRIES[0], "categories": [MARKER], "virtualEventId": MARKER})
    schedules = [
        api.ok(
            "scheduledGameObject/create",
            {**guide.schedule_13(objects[kind], "disable", "2031-01-01T00:00:00Z"), "gameObjectType": kind},
        )["id"]
        for kind in ("leaderboard", "certificate")
    ]
    report = api.ok(
        "userCertificateReport/list", {"gameObjectId": objects["certificate"], "pager": {"pageSize": 100}}
    )
    records = [row["id"] for row in report["objects"]]
    links = [
        api.ok("displayLink/create", {"gameObjectId": objects["leaderboard"], "title": f"{MARKER} screen"})[
            "id"
        ]
        for _ in range(2)
    ]
    hooks = [
        api.ok(
            "webhook/create",
            {
                "url": f"https://93.184.216.34/{MARKER}/{index}",
                "eventTypes": ["score.changed", "badge.achieved"],
                "gameObjectIds": [objects["leaderboard"]],
                "description": f"{MARKER} hook",
            },
        )["id"]
        for index in range(2)
    ]
    deliveries = [api.ok("webhook/test", {"id": hooks[0]})["id"]]
    extra = {"display_links": links, "webhooks": hooks, "webhook_deliveries": deliveries}
    return Populated(partner, objects, rules, schedules, records, extra=extra)


def partner_tables() -> list[Any]:
    """Every table holding a partner's data (the partner row itself included)."""
    tables = [table for table in schema.metadata.sorted_tables if "partner_id" in table.columns]
    return [schema.partners, *tables]


def checksum(engine: Engine, partner_id: int) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of the partner, per table."""
    sums: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in partner_tables():
            column = table.c.id if table is schema.partners else table.c.partner_id
            query = select(table).where(column == partner_id)
            rows = sorted(repr(tuple(row)) for row in conn.execute(query))
            sums[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return sums


@pytest.fixture
def owner(app_client: Any, new_partner: Any) -> Populated:
    """A partner populated with every kind of data."""
    made: Partner = new_partner("owner")
    return populate(Api(app_client, made.ks), made)


@pytest.fixture
def sqlite_only(database_url: str) -> None:
    """For properties of the API layer, which issues the same queries on both databases: run them once, on
    SQLite, to keep the suite fast (tenancy at the SQL level is covered on PostgreSQL by tests/api/test_tenancy.py)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("an API-layer property, checked on SQLite")
