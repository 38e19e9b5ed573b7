"""Tenancy (OWASP API1, broken object level authorisation): partner B naming partner A's ids gets exactly what a
twin partner C gets for ids nobody has, and A's rows do not change.

Hypothesis writes request templates whose ids are tokens. B's copy of a request names A's real ids; C's copy
names unknown ids of the same shape. B and C start empty and receive the same requests in the same order, so
their answers must be identical once the tokens and the values the server makes up (new ids, times, partner
ids) are put back in the same form.
"""

import json
import re
import threading
from collections.abc import Callable
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from gameservices.api.app import create_app
from gameservices.api.schemas.report import ReportType
from gameservices.auth.ks import peek_partner_id
from gameservices.services.reports.formats import MEDIA_TYPES
from gameservices.settings import Settings
from tests.api import guide_bodies as guide
from tests.api.beacons import send_beacon
from tests.conftest import Partner
from tests.console.conftest import ConsoleClient
from tests.security.conftest import MARKER, Populated, checksum

pytestmark = pytest.mark.usefixtures("sqlite_only")
KINDS = ("leaderboard", "badge", "certificate", "leadScoring")
OBJECTS = tuple(f"<obj:{kind}>" for kind in KINDS)
RULES = tuple(f"<rule:{index}>" for index in range(4))
SCHEDULES = tuple(f"<schedule:{index}>" for index in range(2))
RECORDS = tuple(f"<record:{index}>" for index in range(3))
USERS = tuple(f"<user:{index}>" for index in range(3))
ENTRIES = tuple(f"<entry:{index}>" for index in range(3))
EXAMPLES_PER_GROUP = 1430  # eleven groups: 15,730 requests
LINKS = tuple(f"<link:{index}>" for index in range(2))
WEBHOOKS = tuple(f"<webhook:{index}>" for index in range(2))
DELIVERIES = ("<delivery:0>",)
# Partner ids in beacons: A's for B, one nobody has for C (not among the tokens that answers are searched for:
# a short number would match inside any other number).
OWNER_PARTNER = "<partner:owner>"
NOBODYS_PARTNER = "2000000000"
SELF = "<partner:self>"
# The sender's own admin secret, and a spare KS of the sender's (``session.end`` ends it, not the one in use).
OWN_SECRET = "<secret:self>"
SPARE_KS = "<ks:spare>"
_SERVER_ID = re.compile(r"\b[0-9a-f]{24}\b")
_SHARE_URL = re.compile(r"/display/[A-Za-z0-9_-]+")
_TIME_KEYS = {
    "createdAt",
    "updatedAt",
    "executedAt",
    "certificationDate",
    "achievedTimestamp",
    "time",
    "nextAttemptAt",
    "previousSecretExpiresAt",
}
# Values made up anew for every caller (a webhook's signing secret).
_SECRET_KEYS = {"secret"}

Template = tuple[str, str, dict[str, Any]]  # (api, path, body) with tokens in place of ids


def real_values(owner: Populated) -> dict[str, str]:
    """Each token's value in partner A's data."""
    values = {f"<obj:{kind}>": owner.objects[kind] for kind in KINDS}
    values.update(zip(RULES, owner.rules, strict=True))
    values.update(zip(SCHEDULES, owner.schedules, strict=True))
    values.update(zip(RECORDS, owner.certificate_records, strict=True))
    values.update(zip(USERS, owner.users, strict=True))
    values.update(zip(ENTRIES, owner.entries, strict=True))
    values.update(zip(LINKS, owner.extra["display_links"], strict=True))
    values.update(zip(WEBHOOKS, owner.extra["webhooks"], strict=True))
    values.update(zip(DELIVERIES, owner.extra["webhook_deliveries"], strict=True))
    return values


def unknown_values(real: dict[str, str]) -> dict[str, str]:
    """Each token's stand-in that no partner has: same shape, same order among tokens."""
    return {
        token: ("0" * 12 + value[12:]) if _SERVER_ID.fullmatch(value) else value + "0"
        for token, value in real.items()
    }


def render(template: Any, values: dict[str, str]) -> Any:
    """The template with every token replaced by its value."""
    text = json.dumps(template)
    for token, value in values.items():
        text = text.replace(token, value)
    return json.loads(text)


def normalise(body: Any, values: dict[str, str]) -> Any:
    """An answer with the tokens put back and the server's own ids, times and partner ids made neutral."""
    text = json.dumps(body, sort_keys=True)
    for token, value in sorted(values.items(), key=lambda item: -len(item[1])):
        text = text.replace(value, token)
    made_up: dict[str, str] = {}
    text = _SHARE_URL.sub("/display/<share>", text)
    text = _SERVER_ID.sub(lambda match: made_up.setdefault(match.group(), f"<new:{len(made_up)}>"), text)
    return _neutral(json.loads(text))


def _neutral(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "<time>"
            if key in _TIME_KEYS and item
            else "<secret>"
            if key in _SECRET_KEYS
            else "<partner>"
            if key == "partnerId"
            else _neutral(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_neutral(item) for item in value]
    return value


words = st.text(alphabet="ABCDEFGHIJ0123456789", min_size=1, max_size=8)
objects = st.sampled_from(OBJECTS)
any_id = st.sampled_from(OBJECTS + RULES + SCHEDULES + RECORDS + LINKS)
users = st.sampled_from(USERS)
entries = st.sampled_from(ENTRIES)
kinds = st.sampled_from(KINDS)
pagers = st.fixed_dictionaries({"pageSize": st.integers(1, 50), "pageIndex": st.integers(1, 3)})
periods = st.sampled_from(["current", "previous", "all", 0, 1])  # A's leaderboard has daily periods
REPORT_TYPES = get_args(ReportType)
# Answers that are files, compared by type and length: a certificate's PDF, a report's CSV or XLSX.
FILE_TYPES = ("application/pdf", "text/csv", MEDIA_TYPES["xlsx"])


def _v1(action: str, body: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Template]:
    return body.map(lambda made: ("v1", action, made))


def _create_body(kind: str, name: str) -> dict[str, Any]:
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "leaderboard": guide.leaderboard_4_2,
        "badge": guide.badge_7_1,
        "certificate": guide.certificate_8_2,
        "leadScoring": guide.lead_scoring_9_3,
    }
    return {**bodies[kind](), "name": name}


def game_object_requests() -> st.SearchStrategy[Template]:
    """get, update, delete, clone, list (filtered by A's ids) and create of the four game-object controllers."""
    by_id = st.tuples(kinds, st.sampled_from(["get", "delete", "clone", "rebuild"]), any_id).map(
        lambda made: ("v1", f"{made[0]}/{made[1]}", {"id": made[2]})
    )
    update = st.tuples(kinds, any_id, words, st.sampled_from(["enabled", "disabled"])).map(
        lambda made: ("v1", f"{made[0]}/update", {"id": made[1], "name": made[2], "status": made[3]})
    )
    listed = st.tuples(kinds, st.lists(any_id, min_size=1, max_size=4), pagers).map(
        lambda made: ("v1", f"{made[0]}/list", {"idIn": made[1], "pager": made[2]})
    )
    create = st.tuples(kinds, st.sampled_from(OBJECTS + USERS)).map(
        lambda made: ("v1", f"{made[0]}/create", _create_body(made[0], made[1]))
    )
    close = _v1("leaderboard/closePeriod", st.fixed_dictionaries({"id": any_id}))
    return st.one_of(by_id, update, listed, create, close)


def rule_requests() -> st.SearchStrategy[Template]:
    """Rules attached to, read from, changed on and listed from A's objects."""
    create = st.tuples(kinds, objects).map(
        lambda made: ("v1", "rule/create", {**guide.rule_6_7(made[1]), "gameObjectType": made[0]})
    )
    return st.one_of(
        create,
        _v1("rule/get", st.fixed_dictionaries({"id": any_id})),
        _v1("rule/update", st.fixed_dictionaries({"id": any_id, "name": words})),
        _v1("rule/delete", st.fixed_dictionaries({"id": any_id})),
        _v1("rule/list", st.fixed_dictionaries({"gameObjectId": objects})),
        _v1(
            "rule/simulate",
            st.fixed_dictionaries(
                {"gameObjectId": objects},
                optional={
                    "removeRuleIds": st.lists(any_id, max_size=2),
                    "rules": st.lists(
                        st.fixed_dictionaries({"id": any_id, "points": st.just("3")}), max_size=1
                    ),
                },
            ),
        ),
    )


def schedule_requests() -> st.SearchStrategy[Template]:
    """Schedules of A's objects, and A's schedules by id."""
    create = st.tuples(kinds, objects, st.sampled_from(["enable", "disable"])).map(
        lambda made: (
            "v1",
            "scheduledGameObject/create",
            {**guide.schedule_13(made[1], made[2], "2032-01-01T00:00:00Z"), "gameObjectType": made[0]},
        )
    )
    return st.one_of(
        create,
        _v1("scheduledGameObject/get", st.fixed_dictionaries({"id": any_id})),
        _v1(
            "scheduledGameObject/update",
            st.fixed_dictionaries({"id": any_id, "scheduledAction": st.just("enable")}),
        ),
        _v1("scheduledGameObject/delete", st.fixed_dictionaries({"id": any_id})),
        _v1("scheduledGameObject/list", st.fixed_dictionaries({"gameObjectId": objects, "pager": pagers})),
    )


def profile_requests() -> st.SearchStrategy[Template]:
    """A's users named in B's profile actions."""
    return st.one_of(
        *(
            _v1(f"userProfile/{action}", st.fixed_dictionaries({"userId": users, "fullName": words}))
            for action in ("create", "upsert", "update")
        ),
        _v1("userProfile/get", st.fixed_dictionaries({"userId": users})),
        _v1("userProfile/delete", st.fixed_dictionaries({"userId": users})),
        _v1("userProfile/list", st.fixed_dictionaries({"userIdEqual": users})),
        _v1("userProfile/list", st.fixed_dictionaries({"idIn": st.lists(users, min_size=1, max_size=3)})),
        profile_uploads(),
    )


def profile_uploads() -> st.SearchStrategy[Template]:
    """``userProfile/importFromCSV`` (and its ``importFromCsv`` spelling) files naming A's users (B's import
    upserts B's profiles only)."""
    rows = st.lists(st.tuples(users, words, words), min_size=1, max_size=3).map(
        lambda made: (
            "userId,fullName,groups,company\n"
            + "".join(f"{user},{name},{name},{company}\n" for user, name, company in made)
        )
    )
    upload = st.fixed_dictionaries({"csvFile": rows}, optional={"dryRun": st.sampled_from(["true", "false"])})
    paths = st.sampled_from(["userProfile/importFromCSV", "userProfile/importFromCsv"])
    return st.tuples(paths, upload).map(lambda made: ("upload", made[0], made[1]))


def score_requests() -> st.SearchStrategy[Template]:
    """Scores, progress, badges, certificates and lead scores of A's objects and users."""
    target = {"gameObjectId": objects, "userId": users}
    listed = {"gameObjectId": objects, "pager": pagers}
    return st.one_of(
        _v1("userScore/get", st.fixed_dictionaries(target, optional={"period": periods})),
        _v1("userScore/ruleProgress", st.fixed_dictionaries(target, optional={"period": periods})),
        _v1("userScore/explain", st.fixed_dictionaries(target, optional={"pager": pagers})),
        _v1("userScore/clear", st.fixed_dictionaries({"gameObjectId": objects})),
        _v1(
            "userScore/list",
            st.fixed_dictionaries(listed, optional={"userIdEqual": users}),
        ),
        _v1(
            "userScore/getSubGameOptions",
            st.fixed_dictionaries({"gameObjectId": objects, "subGameId": st.integers(0, 2)}),
        ),
        _v1(
            "userBadge/list",
            st.fixed_dictionaries(listed, optional={"userIdEqual": users}),
        ),
        _v1(
            "userCertificateReport/list",
            st.fixed_dictionaries(listed, optional={"userId": users}),
        ),
        _v1("userCertificateReport/serveCertificate", st.fixed_dictionaries({"id": any_id})),
        _v1(
            "userCertificateReport/revoke",
            st.fixed_dictionaries({"id": any_id}, optional={"reason": words}),
        ),
        _v1("userCertificateReport/unrevoke", st.fixed_dictionaries({"id": any_id})),
        _v1(
            "userLeadScoring/list",
            st.fixed_dictionaries(listed, optional={"userIdEqual": users}),
        ),
        _v1(
            "report/generate",
            st.fixed_dictionaries(
                {"gameObjectId": objects, "reportType": st.sampled_from(REPORT_TYPES)},
                optional={
                    "gameObjectType": kinds,
                    "format": st.sampled_from(["csv", "xlsx", "json"]),
                    "summary": st.booleans(),
                },
            ),
        ),
    )


def event_requests() -> st.SearchStrategy[Template]:
    """Events naming A's users and entries (B's own rules, if any, score them for B only)."""
    event = st.fixed_dictionaries(
        {
            "eventType": st.just("viewPeriod"),
            "userId": users,
            "entryId": entries,
            "playTime": st.integers(1, 200),
        },
        optional={"eventId": words},
    )
    return st.one_of(
        _v1("event/send", st.fixed_dictionaries({"events": st.lists(event, min_size=1, max_size=3)})),
        event_uploads(),
    )


def event_uploads() -> st.SearchStrategy[Template]:
    """``event/sendExternalEventsFromCSV`` (and its ``...FromCsv`` spelling) files naming A's users and entries."""
    rows = st.lists(st.tuples(users, st.integers(0, 50), entries, words), min_size=1, max_size=3).map(
        lambda made: (
            "userId,score,eventType,entryId,eventId\n"
            + "".join(f"{user},{score},boothVisit,{entry},{key}\n" for user, score, entry, key in made)
        )
    )
    upload = st.fixed_dictionaries(
        {"csvFile": rows, "eventAction": st.sampled_from(["delta", "upsert"])},
        optional={"dryRun": st.sampled_from(["true", "false"])},
    )
    paths = st.sampled_from(["event/sendExternalEventsFromCSV", "event/sendExternalEventsFromCsv"])
    return st.tuples(paths, upload).map(lambda made: ("upload", made[0], made[1]))


def v3_requests() -> st.SearchStrategy[Template]:
    """API v3 ``game_userscore`` (and ``leaderboard_userscore``) list, update and delete on A's leaderboard and
    users; ``session.start`` for A's partner id with the sender's own secret, ``session.end`` naming A's."""
    lists = st.fixed_dictionaries(
        {"filter[gameObjectId]": objects, "filter[gameObjectType]": st.just("1")},
        optional={"filter[userIdEqual]": users},
    )
    update = st.fixed_dictionaries(
        {
            "gameObjectId": objects,
            "gameObjectType": st.just("1"),
            "userId": users,
            "score": st.integers(-5, 500).map(str),
        }
    )
    delete = st.fixed_dictionaries({"gameObjectId": objects, "gameObjectType": st.just("1"), "userId": users})
    start = st.fixed_dictionaries(
        {"partnerId": st.just(OWNER_PARTNER), "secret": st.sampled_from([OWN_SECRET, "wrong"])},
        optional={"userId": users, "type": st.sampled_from(["0", "2"]), "privileges": st.just("setrole:1")},
    )
    end = st.fixed_dictionaries({"ks": st.just(SPARE_KS)}, optional={"partnerId": st.just(OWNER_PARTNER)})
    return st.one_of(
        *(
            _v3(f"{service}/{name}", strategy)
            for service in ("game_userscore", "leaderboard_userscore")
            for name, strategy in (("list", lists), ("update", update), ("delete", delete))
        ),
        _v3("session/start", start),
        _v3("session/end", end),
    )


def _v3(action: str, params: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Template]:
    return params.map(lambda made: ("v3", action, made))


def entry_requests() -> st.SearchStrategy[Template]:
    """A's entries named in B's entry actions."""
    return st.one_of(
        _v1("entry/get", st.fixed_dictionaries({"entryId": entries})),
        _v1("entry/delete", st.fixed_dictionaries({"entryId": entries})),
        _v1(
            "entry/upsert",
            st.fixed_dictionaries(
                {"entryId": entries}, optional={"name": words, "categories": st.lists(words)}
            ),
        ),
        _v1("entry/list", st.fixed_dictionaries({"entryIdIn": st.lists(entries, min_size=1, max_size=3)})),
    )


def beacon_requests() -> st.SearchStrategy[Template]:
    """The player's beacons naming A's entries and users: for A's partner id with B's KS (not scored), or for
    B's own partner (scored for B only, if at all)."""
    beacon = st.fixed_dictionaries(
        {
            "eventType": st.sampled_from([1, 3, 11, 14, 99]),
            "entryId": entries,
            "sessionId": words,
            "eventIndex": st.integers(1, 20),
            "playTimeSum": st.integers(0, 100),
        },
        optional={"userId": users, "virtualEventId": words},
    )
    for_owner = beacon.map(lambda made: {**made, "partnerId": OWNER_PARTNER, "ks": "<ks>"})
    for_self = st.tuples(beacon, st.booleans()).map(
        lambda made: {**made[0], "partnerId": SELF, **({"ks": "<ks>"} if made[1] else {})}
    )
    method = st.sampled_from(["GET", "POST"])
    return st.tuples(method, st.one_of(for_owner, for_self)).map(lambda made: ("beacon", made[0], made[1]))


def display_link_requests() -> st.SearchStrategy[Template]:
    """Big-screen links of A's objects, and A's links by id."""
    create = st.fixed_dictionaries(
        {"gameObjectId": objects},
        optional={"top": st.integers(1, 100), "title": words, "anonymize": st.booleans()},
    )
    return st.one_of(
        _v1("displayLink/create", create),
        _v1("displayLink/get", st.fixed_dictionaries({"id": any_id})),
        _v1("displayLink/delete", st.fixed_dictionaries({"id": any_id})),
        _v1(
            "displayLink/list",
            st.fixed_dictionaries({"pager": pagers}, optional={"gameObjectIdEqual": objects}),
        ),
    )


def webhook_requests() -> st.SearchStrategy[Template]:
    """A's webhooks and deliveries by id, and webhooks filtered on A's objects."""
    hook_ids = st.sampled_from(WEBHOOKS + DELIVERIES + LINKS)
    create = st.fixed_dictionaries(
        {"url": st.just("https://93.184.216.34/hook"), "eventTypes": st.just(["score.changed"])},
        optional={"gameObjectIds": st.lists(objects, max_size=2), "description": words},
    )
    by_id = st.tuples(st.sampled_from(["get", "delete", "rotateSecret", "test"]), hook_ids).map(
        lambda made: ("v1", f"webhook/{made[0]}", {"id": made[1]})
    )
    update = st.fixed_dictionaries(
        {"id": hook_ids},
        optional={
            "status": st.sampled_from(["enabled", "disabled"]),
            "description": words,
            "gameObjectIds": st.lists(objects, max_size=2),
        },
    )
    deliveries = st.fixed_dictionaries(
        {"pager": pagers},
        optional={"webhookId": hook_ids, "status": st.sampled_from(["pending", "delivered", "failed"])},
    )
    return st.one_of(
        _v1("webhook/create", create),
        by_id,
        _v1("webhook/update", update),
        _v1("webhook/list", st.fixed_dictionaries({"pager": pagers})),
        _v1("webhookDelivery/list", deliveries),
        _v1("webhookDelivery/retry", st.fixed_dictionaries({"id": hook_ids})),
    )


GROUPS: dict[str, Callable[[], st.SearchStrategy[Template]]] = {
    "entries": entry_requests,
    "beacons": beacon_requests,
    "game_objects": game_object_requests,
    "rules": rule_requests,
    "schedules": schedule_requests,
    "profiles": profile_requests,
    "scores": score_requests,
    "events": event_requests,
    "v3": v3_requests,
    "display_links": display_link_requests,
    "webhooks": webhook_requests,
}


def send(client: Any, ks: str, template: Template) -> tuple[int, Any]:
    """Send one rendered request as the partner of ``ks``; the answer's status and decoded body."""
    kind, path, body = template
    if kind == "beacon":
        own = {SELF: str(peek_partner_id(ks)), "<ks>": ks}
        response = send_beacon(
            client, {key: own.get(value, value) for key, value in body.items()}, method=path
        )
        return response.status_code, response.json()
    if kind == "v1":
        response = client.post(f"/api/v1/{path}", json=body, headers={"Authorization": f"Bearer {ks}"})
    elif kind == "upload":
        form = {key: value for key, value in body.items() if key != "csvFile"}
        files = {"csvFile": ("upload.csv", body["csvFile"].encode(), "text/csv")}
        response = client.post(
            f"/api/v1/{path}", data=form, files=files, headers={"Authorization": f"Bearer {ks}"}
        )
    else:
        service, action = path.split("/")
        form = {"format": "1", "ks": ks, **body}
        response = client.post(f"/api_v3/service/{service}/action/{action}", data=form)
    content_type = response.headers.get("content-type", "")
    if content_type.startswith(FILE_TYPES):
        return response.status_code, {content_type: len(response.content)}
    return response.status_code, response.json()


def _own(sender: Partner) -> dict[str, str]:
    """The sender's own values of the tokens that stand for them."""
    return {OWN_SECRET: sender.secret, SPARE_KS: sender.mint()}


def _partner_named(answer: Any, partner_id: str) -> Any:
    """A ``session.start`` answer with the partner id it names put back as its token."""
    return json.loads(json.dumps(answer).replace(partner_id, OWNER_PARTNER))


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_intruder_gets_what_unknown_ids_get(
    app_client: Any, new_partner: Any, engine: Engine, owner: Populated, group: str
) -> None:
    intruder: Partner = new_partner("intruder")
    twin: Partner = new_partner("twin")
    real = real_values(owner)
    unknown = unknown_values(real)
    before = checksum(engine, owner.partner.id)
    sent: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_GROUP,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(template=GROUPS[group]())
    def exchange(template: Template) -> None:
        kind, path, body = template
        mine = {**real, OWNER_PARTNER: str(owner.partner.id), **_own(intruder)}
        status, answer = send(app_client, intruder.ks, (kind, path, render(body, mine)))
        nobodys = {**unknown, OWNER_PARTNER: NOBODYS_PARTNER, **_own(twin)}
        twin_status, twin_answer = send(app_client, twin.ks, (kind, path, render(body, nobodys)))
        sent.append(path)
        if path == "session/start":  # its error names the partner asked for: A, or nobody
            answer = _partner_named(answer, str(owner.partner.id))
            twin_answer = _partner_named(twin_answer, NOBODYS_PARTNER)
        assert MARKER not in json.dumps(answer), (path, answer)
        assert status == twin_status and normalise(answer, real) == normalise(twin_answer, unknown), (
            template,
            (status, answer),
            (twin_status, twin_answer),
        )

    while len(sent) < EXAMPLES_PER_GROUP:
        exchange()  # a group whose requests hypothesis exhausts early runs again
    assert checksum(engine, owner.partner.id) == before
    print(
        f"\nBOLA {group}: {len(sent)} requests with the intruder's KS naming the owner's ids "
        f"({len(set(sent))} actions), 0 leaks, 0 differences from unknown ids, owner's rows unchanged"
    )


CONSOLE_READS = (
    "/console/leaderboards/{obj:leaderboard}",
    "/console/leaderboards/{obj:leaderboard}/user?userId={user}",
    "/console/leaderboards/{obj:leaderboard}/stream",
    "/console/rules/{rule}",
    "/console/rules?gameObjectId={obj:leaderboard}",
    "/console/badges/{obj:badge}",
    "/console/certificates/{obj:certificate}",
    "/console/certificates/{obj:certificate}/preview.pdf?userId={user}",
    "/console/leadScorings/{obj:leadScoring}",
    "/console/users?userId={user}",
    "/console/reports/download?gameObjectId={obj:leaderboard}&reportType=userScore",
    "/console/displayLinks",
    "/console/schedules",
    "/console/webhooks",
    "/console/webhooks/deliveries?webhookId={webhook}",
    "/console/certificates/issued/{record}.pdf",
    "/console/widget",
)
# The create forms name the owner's ids where a form can name an id (a rule's game object, a certificate's
# credits mapping, a webhook's game objects, an imported event's user): each must act on the intruder's data only.
CONSOLE_CREATES = (
    (
        "/console/leaderboards",
        {
            "name": "{obj:leaderboard}",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2040-01-01T00:00:00Z",
            "virtualEventIds": "",
        },
    ),
    ("/console/badges", {"body": json.dumps({**guide.badge_7_1(), "name": "{obj:badge}"})}),
    (
        "/console/certificates",
        {"body": json.dumps({**guide.certificate_8_2(), "creditsMapping": "credits,{rule}\n1,1"})},
    ),
    (
        "/console/leadScorings",
        {"body": json.dumps({**guide.lead_scoring_9_3(), "name": "{obj:leadScoring}"})},
    ),
    (
        "/console/rules",
        {"body": json.dumps(guide.rule_6_7("{obj:leaderboard}")), "gameObjectId": "{obj:leaderboard}"},
    ),
    (
        "/console/webhooks",
        {
            "url": "https://93.184.216.34/hook",
            "eventTypes": "score.changed",
            "gameObjectIds": "{obj:leaderboard}",
            "description": "{webhook}",
        },
    ),
    ("/console/widget", {"origins": "https://{obj:leaderboard}.example.org"}),
    (
        "/console/import",
        {"csvFile": "userId,eventType,score,entryId\n{user},like,1,{entry}\n", "commit": "1"},
    ),
)
CONSOLE_WRITES = (
    ("/console/leaderboards/{obj:leaderboard}/status", {"status": "disabled"}),
    ("/console/leaderboards/{obj:leaderboard}/clone", {}),
    ("/console/leaderboards/{obj:leaderboard}", {"name": "x"}),
    ("/console/leaderboards/{obj:leaderboard}/displayLinks", {"top": "3"}),
    ("/console/leaderboards/{obj:leaderboard}/displayLinks/{link}/revoke", {}),
    ("/console/displayLinks/{link}/revoke", {}),
    ("/console/rules/{rule}/status", {"status": "disabled"}),
    ("/console/rules/{rule}", {"body": '{"name": "x"}'}),
    ("/console/badges/{obj:badge}/status", {"status": "disabled"}),
    ("/console/badges/{obj:badge}", {"body": '{"name": "x"}'}),
    ("/console/certificates/{obj:certificate}/status", {"status": "disabled"}),
    ("/console/certificates/{obj:certificate}", {"body": '{"name": "x"}'}),
    ("/console/leadScorings/{obj:leadScoring}/status", {"status": "disabled"}),
    ("/console/leadScorings/{obj:leadScoring}", {"body": '{"name": "x"}'}),
    ("/console/schedules/{schedule}/cancel", {}),
    ("/console/webhooks/{webhook}/test", {}),
    ("/console/webhooks/{webhook}/rotate", {}),
    ("/console/webhooks/{webhook}/status", {"status": "disabled"}),
    ("/console/webhooks/{webhook}/delete", {}),
    ("/console/webhooks/deliveries/{delivery}/retry", {}),
    (
        "/console/schedules",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": "{obj:leaderboard}",
            "scheduledAction": "enable",
            "scheduledDate": "2035-01-01T00:00:00Z",
        },
    ),
)


def _console_values(values: dict[str, str]) -> dict[str, str]:
    return {
        "obj:leaderboard": values["<obj:leaderboard>"],
        "obj:badge": values["<obj:badge>"],
        "obj:certificate": values["<obj:certificate>"],
        "obj:leadScoring": values["<obj:leadScoring>"],
        "rule": values["<rule:0>"],
        "schedule": values["<schedule:0>"],
        "link": values["<link:0>"],
        "record": values["<record:0>"],
        "user": values["<user:0>"],
        "entry": values["<entry:0>"],
        "webhook": values["<webhook:0>"],
        "delivery": values["<delivery:0>"],
    }


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _console_post(client: ConsoleClient, path: str, form: dict[str, str], values: dict[str, str]) -> Any:
    """POST a console form with its tokens filled in (a ``csvFile`` field is sent as an uploaded file)."""
    filled = {key: _fill(value, values) for key, value in form.items()}
    files = {}
    if "csvFile" in filled:
        files["csvFile"] = ("events.csv", filled.pop("csvFile").encode(), "text/csv")
    return client.post(path, filled, files=files or None, follow_redirects=False)


def test_console_and_widget_answer_an_intruder_like_unknown_ids(
    app_client: Any, new_partner: Any, engine: Engine, owner: Populated
) -> None:
    real = _console_values(real_values(owner))
    unknown = _console_values(unknown_values(real_values(owner)))
    before = checksum(engine, owner.partner.id)
    clients = []
    for name in ("intruder", "twin"):
        client = ConsoleClient(TestClient(app_client.app, raise_server_exceptions=False))
        client.sign_in(new_partner(name))
        clients.append(client)
    intruder, twin = clients
    for template in CONSOLE_READS:
        mine, theirs = intruder.get(_fill(template, real)), twin.get(_fill(template, unknown))
        assert mine.status_code == theirs.status_code, template
        assert MARKER not in mine.text, template
    for template, form in CONSOLE_CREATES + CONSOLE_WRITES:
        mine = _console_post(intruder, _fill(template, real), form, real)
        theirs = _console_post(twin, _fill(template, unknown), form, unknown)
        assert mine.status_code == theirs.status_code, (template, mine.text[:300], theirs.text[:300])
        assert MARKER not in mine.text, template
    widget_ks = new_partner("widget user").mint(type=0, user_id=real["user"])
    for object_id in (real["obj:leaderboard"], unknown["obj:leaderboard"]):
        answer = app_client.get(
            f"/widget/rank/data?gameObjectId={object_id}", headers={"Authorization": f"Bearer {widget_ks}"}
        )
        assert answer.status_code == 404 and MARKER not in answer.text
    assert checksum(engine, owner.partner.id) == before


CONSOLE_STREAMS = ("/console/events/stream", "/console/activity/stream")


def _first_view(client: ConsoleClient, path: str) -> str:
    """The first view a console stream sends (its ``data:`` lines up to the blank line ending the event)."""
    shown: list[str] = []
    with client.client.stream("GET", path) as stream:
        assert stream.status_code == 200, path
        for line in stream.iter_lines():
            if line.startswith("data:"):
                shown.append(line)
            elif not line and shown:
                return "\n".join(shown)
    raise AssertionError(f"{path} ended before its first view")


def test_console_streams_show_an_intruder_nothing_of_another_partner(
    app_client: Any, new_partner: Any, owner: Populated
) -> None:
    intruder = ConsoleClient(TestClient(app_client.app, raise_server_exceptions=False))
    intruder.sign_in(new_partner("intruder"))
    watcher = ConsoleClient(TestClient(app_client.app, raise_server_exceptions=False))
    watcher.sign_in(owner.partner)
    for path in CONSOLE_STREAMS:
        assert owner.users[0] in _first_view(watcher, path), path  # the owner's events are there to leak
        shown = _first_view(intruder, path)
        assert MARKER not in shown and not any(user in shown for user in owner.users), (path, shown[:500])


def _streamed(engine: Engine, settings: Settings, ks: str, params: dict[str, str]) -> str:
    """`/api/v1/stream` from the oldest change (Last-Event-ID 0-0) until the server stops streaming (3 s: long
    enough on a loaded machine for the owner's changes to show)."""
    application = create_app(settings, engine)
    threading.Timer(3.0, application.state.feed_hub.close).start()
    with TestClient(application) as client:
        headers = {"Authorization": f"Bearer {ks}", "Last-Event-ID": "0-0"}
        response = client.get("/api/v1/stream", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def test_no_stream_carries_another_partners_changes(
    new_partner: Any, engine: Engine, settings: Settings, owner: Populated
) -> None:
    intruder: Partner = new_partner("intruder")
    board = owner.objects["leaderboard"]
    own = _streamed(engine, settings, owner.partner.ks, {"gameObjectId": board})
    assert "event: score.changed" in own  # the owner's own changes are there to leak
    for params in ({}, {"gameObjectId": board}, {"types": "score.changed,badge.achieved,certificate.issued"}):
        text = _streamed(engine, settings, intruder.ks, params)
        assert "event:" not in text and "data:" not in text, (params, text[:500])
