"""Odd input to the front end: every form field of every console POST route, every query parameter of the console's
pages, the big screen and the widget, and every id in their paths, given odd values one at a time (NUL, very long
text, deep JSON, digits int() refuses, huge numbers, nothing), answers without a server error, and a refused form
writes nothing (the partner's rows are the same before and after).

The routes come from the front end's own routers (`console.app.ROUTERS`), so a new route is fuzzed without being
listed here. A handler that reads its form itself must say which fields it reads (`FIELDS_READ_BY_HANDLER`), and an
id this suite cannot fill with one of the partner's real ids (`REAL_IDS`) fails the test until it is added.
"""

import inspect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gameservices.console import app as front_end
from gameservices.console import leaderboard
from tests.api import guide_bodies as guide
from tests.conftest import Api, Partner
from tests.console.conftest import ConsoleClient
from tests.security.conftest import checksum

ODD_TEXT = (
    "a\x00b",
    "x" * 100_000,
    "\u00b2",  # a digit to str.isdigit(), not to int()
    "\u0661\u0662",  # Arabic-Indic digits: int() takes them, a database id does not
    "",
    " ",
    "9" * 400,
    "9999999999",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "[" * 5_000,
)
# What a JSON editor is given besides: JSON whose strings hold unstorable text, nesting past the parser's limit,
# numbers past any integer type, JSON that is not an object.
ODD_JSON = (
    "[" * 50_000 + "]" * 50_000,
    '{"name": "a\\u0000b"}',
    '{"name": "a\\ud800b"}',
    '{"\\u0000": 1}',
    '{"name": "x", "goal": ' + "9" * 400 + ', "points": 1e400}',
    '"\u00b2"',
    "null",
)
ODD_FILES = (
    b"userId,eventType,score\nu\x00,like,1\n",
    b"\xff\xfe\xed\xa0\x80",
    b"userId,score\nu," + b"9" * 400,
)
VALID_FILE = ("events.csv", b"userId,eventType,score\nu1,like,1\n", "text/csv")
ODD_IDS = ("a\x00b", "x" * 5_000, "\u00b2", "..", "%")
JSON_FIELDS = {"body"}
_PARAMETER = re.compile(r"\{(\w+)\}")
EXCLUDED = {"/console/signout"}  # signing out would end the fuzzing session


@dataclass(frozen=True)
class Target:
    """One route of the front end and the parameters it declares."""

    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    form_fields: tuple[str, ...]
    file_fields: tuple[str, ...]


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def targets() -> list[Target]:
    """Every route of the front end's routers, with the parameters of the route and of its dependencies."""
    found = []
    for router in front_end.ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            parts = list(_walk(route.dependant))
            body = [field for part in parts for field in part.body_params if field.alias != "csrf_token"]
            files = tuple(field.alias for field in body if isinstance(field.field_info, params.File))
            fields = tuple(field.alias for field in body if field.alias not in files)
            for method in sorted(route.methods):
                found.append(
                    Target(
                        method,
                        route.path,
                        tuple(field.alias for part in parts for field in part.path_params),
                        tuple(field.alias for part in parts for field in part.query_params),
                        fields + FIELDS_READ_BY_HANDLER.get(route.path, ()),
                        files,
                    )
                )
            if "request.form(" in inspect.getsource(route.endpoint):
                assert route.path in FIELDS_READ_BY_HANDLER, f"list the fields {route.path} reads"
    return found


FIELDS_READ_BY_HANDLER: dict[str, tuple[str, ...]] = {
    "/console/leaderboards": leaderboard.FIELDS,
    "/console/leaderboards/{object_id}": leaderboard.FIELDS,
    "/console/leaderboards/{object_id}/displayLinks": (
        "top",
        "title",
        "anonymize",
        "subLeaderboardId",
        "expiresAt",
    ),
}
# Which of the partner's objects an id in a path names, by the path segment before it.
REAL_IDS = {
    ("leaderboards", "object_id"): "leaderboard",
    ("badges", "object_id"): "badge",
    ("certificates", "object_id"): "certificate",
    ("leadScorings", "object_id"): "leadScoring",
    ("rules", "rule_id"): "rule",
    ("schedules", "schedule_id"): "schedule",
    ("displayLinks", "link_id"): "link",
    ("webhooks", "webhook_id"): "webhook",
    ("deliveries", "delivery_id"): "delivery",
    ("issued", "record_id"): "record",
    ("display", "share_id"): "share",
}


def _objects(api: Api) -> dict[str, str]:
    dates = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2040-01-01T00:00:00Z"}
    board = api.ok("leaderboard/create", {**guide.leaderboard_4_4(), **dates, "status": "enabled"})["id"]
    link = api.ok("displayLink/create", {"gameObjectId": board})
    hook = api.ok("webhook/create", {"url": "https://93.184.216.34/x", "eventTypes": ["score.changed"]})["id"]
    schedule = guide.schedule_13(board, "disable", "2035-01-01T00:00:00Z")
    return {
        "leaderboard": board,
        "badge": api.ok("badge/create", guide.badge_7_1())["id"],
        "certificate": api.ok("certificate/create", guide.certificate_8_2())["id"],
        "leadScoring": api.ok("leadScoring/create", guide.lead_scoring_9_3())["id"],
        "rule": api.ok("rule/create", guide.rule_6_7(board))["id"],
        "schedule": api.ok("scheduledGameObject/create", schedule)["id"],
        "link": link["id"],
        "share": str(link["url"]).rsplit("/", 1)[1],
        "webhook": hook,
        "delivery": api.ok("webhook/test", {"id": hook})["id"],
        "record": "no-record",
    }


def _baselines(ids: dict[str, str], partner: Partner) -> dict[tuple[str, str], dict[str, str]]:
    """Valid values of each route's other parameters, so that an odd value reaches past the first check."""
    return {
        ("POST", "/console/signin"): {"partnerId": str(partner.id), "secret": "not the secret"},
        ("POST", "/console/leaderboards"): {
            "name": "Fuzz",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2040-01-01T00:00:00Z",
            "virtualEventIds": "",
        },
        ("POST", "/console/leaderboards/{object_id}"): {"name": "Fuzz"},
        ("POST", "/console/leaderboards/{object_id}/displayLinks"): {"top": "5", "title": "Hall"},
        ("GET", "/console/leaderboards/{object_id}/user"): {"userId": "u1"},
        ("POST", "/console/rules"): {
            "body": json.dumps(guide.rule_6_7(ids["leaderboard"])),
            "gameObjectId": ids["leaderboard"],
        },
        ("POST", "/console/schedules"): {
            "gameObjectType": "leaderboard",
            "gameObjectId": ids["leaderboard"],
            "scheduledAction": "enable",
            "scheduledDate": "2035-01-01T00:00:00Z",
        },
        ("POST", "/console/webhooks"): {"url": "https://93.184.216.34/y", "eventTypes": "score.changed"},
        ("POST", "/console/widget"): {"origins": "https://events.example.org"},
        ("POST", "/console/import"): {"eventAction": "delta", "commit": "1"},
        ("GET", "/console/reports/download"): {"gameObjectId": ids["leaderboard"], "reportType": "userScore"},
        ("GET", "/widget/rank"): {"partnerId": str(partner.id), "gameObjectId": ids["leaderboard"]},
        ("GET", "/widget/rank/data"): {"gameObjectId": ids["leaderboard"]},
    }


def _real_path(path: str, ids: dict[str, str], odd: tuple[str, str] | None = None) -> str:
    """The path with the partner's real ids, or with one odd id in place of the parameter ``odd`` names."""
    parts = path.split("/")
    for index, part in enumerate(parts):
        found = _PARAMETER.search(part)
        if found is None:
            continue
        name = found.group(1)
        value = odd[1] if odd is not None and odd[0] == name else ids[_kind(parts[index - 1], name)]
        parts[index] = part.replace(found.group(), quote(value, safe=""))
    return "/".join(parts)


def _kind(segment: str, name: str) -> str:
    kind = REAL_IDS.get((segment, name))
    if kind is None:
        pytest.fail(f"add ({segment!r}, {name!r}) to REAL_IDS")
    return kind


def _odd_values(field: str) -> tuple[str, ...]:
    return ODD_TEXT + ODD_JSON if field in JSON_FIELDS else ODD_TEXT


def _requests(
    target: Target, ids: dict[str, str], baseline: dict[str, str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(url, options) of each odd request of a route: one odd value at a time, the others from the baseline."""
    if target.method == "POST":
        form = {**baseline}
        files = dict.fromkeys(target.file_fields, VALID_FILE)
        for field in target.form_fields:
            for value in _odd_values(field):
                yield _real_path(target.path, ids), {"data": {**form, field: value}, "files": files or None}
        for name in target.file_fields:
            for content in ODD_FILES:
                yield (
                    _real_path(target.path, ids),
                    {"data": form, "files": {name: ("e.csv", content, "text/csv")}},
                )
        for name in target.path_params:
            for value in ODD_IDS:
                yield _real_path(target.path, ids, (name, value)), {"data": form, "files": files or None}
        return
    for name in target.query_params:
        for value in ODD_TEXT:
            yield _real_path(target.path, ids), {"params": {**baseline, name: value}}
    for name in target.path_params:
        for value in ODD_IDS:
            yield _real_path(target.path, ids, (name, value)), {"params": baseline}


def test_every_front_end_route_is_fuzzed() -> None:
    found = targets()
    posts = {target.path for target in found if target.method == "POST"}
    assert {"/console/leaderboards", "/console/rules", "/console/import", "/console/widget"} <= posts
    gets = {target.path for target in found if target.method == "GET"}
    assert {"/display/{share_id}", "/display/{share_id}/stream", "/widget/rank", "/widget/rank/data"} <= gets
    assert all(
        target.form_fields or target.path_params or target.path in EXCLUDED
        for target in found
        if target.method == "POST"
    )


def test_odd_input_to_the_front_end_never_gives_a_server_error(
    app_client: TestClient, api: Api, partner: Partner, engine: Engine
) -> None:
    console = ConsoleClient(TestClient(app_client.app, raise_server_exceptions=False))
    console.sign_in(partner)
    ids = _objects(api)
    baselines = _baselines(ids, partner)
    user_ks = partner.mint(type=0, user_id="u1")
    rows = checksum(engine, partner.id)
    sent = 0
    failures: list[Any] = []
    for target in targets():
        if target.path in EXCLUDED:
            continue
        for url, options in _requests(target, ids, baselines.get((target.method, target.path), {})):
            if target.method == "POST":
                response = console.post(url, follow_redirects=False, **options)
            else:
                headers = {"Authorization": f"Bearer {user_ks}"} if url.startswith("/widget/") else {}
                response = console.get(url, headers=headers, follow_redirects=False)
            sent += 1
            shown = (target.method, url[:100], {key: str(value)[:100] for key, value in options.items()})
            if response.status_code >= 500:
                failures.append((*shown, response.status_code, response.text[:200]))
            if target.method != "POST":
                continue
            if response.status_code < 400:
                rows = checksum(engine, partner.id)
            elif checksum(engine, partner.id) != rows:
                failures.append((*shown, "a refused form wrote"))
                rows = checksum(engine, partner.id)
    assert not failures, "\n".join(map(repr, failures))
    assert sent > 800
    print(f"\nconsole fuzz: {sent} odd requests, no server error, no write from a refused form")
