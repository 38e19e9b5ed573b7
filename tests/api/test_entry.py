"""The ``entry`` controller: upsert, get, list and delete, scoped to the partner; events keep the last name and
duration they name."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event

from gameservices.storage import entries as entry_repository
from gameservices.storage.database import write_transaction
from gameservices.storage.entries import EntryRecord
from tests.conftest import Api, Partner


def test_upsert_creates_then_changes_only_the_fields_given(api: Api) -> None:
    created = api.ok(
        "entry/upsert",
        {
            "entryId": "0_keynote",
            "name": "Keynote",
            "duration": 3600,
            "categories": [301, "17"],
            "virtualEventId": 7001,
        },
    )
    assert created["objectType"] == "Entry" and created["id"] == created["entryId"] == "0_keynote"
    assert (created["name"], created["duration"], created["categories"], created["virtualEventId"]) == (
        "Keynote",
        3600.0,
        ["301", "17"],
        "7001",
    )
    changed = api.ok("entry/upsert", {"entryId": "0_keynote", "categories": "5, 6", "name": None})
    assert (changed["name"], changed["duration"], changed["categories"]) == (None, 3600.0, ["5", "6"])
    assert changed["createdAt"] == created["createdAt"]
    assert api.ok("entry/get", {"entryId": "0_keynote"}) == changed


def test_events_keep_updating_name_and_duration(api: Api) -> None:
    api.ok("entry/upsert", {"entryId": "0_talk", "name": "Old title", "categories": ["9"]})
    event = {"eventType": "viewPeriod", "userId": "kim", "entryId": "0_talk", "playTime": 10}
    api.ok("event/send", {"events": [{**event, "entryName": "New title", "duration": 1800}]})
    entry = api.ok("entry/get", {"entryId": "0_talk"})
    assert (entry["name"], entry["duration"], entry["categories"]) == ("New title", 1800.0, ["9"])
    # An entry only events have named is listed too.
    api.ok("event/send", {"events": [{**event, "entryId": "0_other", "entryName": "Other"}]})
    assert api.ok("entry/get", {"entryId": "0_other"})["name"] == "Other"


def test_delete_then_get_is_404(api: Api) -> None:
    api.ok("entry/upsert", {"entryId": "0_gone"})
    assert api.ok("entry/delete", {"entryId": "0_gone"}) == {
        "id": "0_gone",
        "entryId": "0_gone",
        "deleted": True,
    }
    status, error = api.call("entry/get", {"entryId": "0_gone"})
    assert (status, error["code"], error["args"]) == (404, "OBJECT_NOT_FOUND", {"ID": "0_gone"})
    assert api.call("entry/delete", {"entryId": "0_gone"})[0] == 404


def test_list_filters_orders_and_pages(api: Api) -> None:
    for index in range(5):
        api.ok(
            "entry/upsert",
            {"entryId": f"0_e{index}", "name": f"Entry {4 - index}", "virtualEventId": str(index % 2)},
        )
    listed = api.ok("entry/list", {"orderBy": "+name", "pager": {"pageSize": 2, "pageIndex": 2}})
    assert listed["totalCount"] == 5
    assert [item["name"] for item in listed["objects"]] == ["Entry 2", "Entry 3"]
    by_event = api.ok("entry/list", {"filter": {"virtualEventIdEqual": "1"}, "orderBy": "+entryId"})
    assert [item["entryId"] for item in by_event["objects"]] == ["0_e1", "0_e3"]
    by_id = api.ok("entry/list", {"entryIdIn": "0_e0,0_e4,0_none"})
    assert {item["entryId"] for item in by_id["objects"]} == {"0_e0", "0_e4"}
    newest = api.ok("entry/list", {})["objects"]
    assert newest[0]["entryId"] == "0_e4"


def test_entries_without_a_name_sort_first_by_name_on_every_database(api: Api) -> None:
    api.ok("entry/upsert", {"entryId": "0_b", "name": "B"})
    api.ok("entry/upsert", {"entryId": "0_none"})
    api.ok("entry/upsert", {"entryId": "0_a", "name": "A"})
    ascending = api.ok("entry/list", {"orderBy": "+name"})["objects"]
    assert [item["entryId"] for item in ascending] == ["0_none", "0_a", "0_b"]
    descending = api.ok("entry/list", {"orderBy": "-name"})["objects"]
    assert [item["entryId"] for item in descending] == ["0_b", "0_a", "0_none"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "entryId"),
        ({"entryId": ""}, "entryId"),
        ({"entryId": "  "}, "entryId"),
        ({"entryId": "0_e", "categories": ["301", " "]}, "categories"),
        ({"entryId": "e" * 257}, "entryId"),
        ({"entryId": "0_e", "duration": -1}, "duration"),
        ({"entryId": "0_e", "duration": "long"}, "duration"),
        ({"entryId": "0_e", "categories": [{"id": 1}]}, "categories"),
        ({"entryId": "0_e", "categories": [str(n) for n in range(101)]}, "categories"),
        ({"entryId": "0_e", "virtualEventId": ""}, "virtualEventId"),
        ({"entryId": "0_e", "unknown": 1}, "unknown"),
    ],
)
def test_bad_upserts_are_refused_and_write_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    status, error = api.call("entry/upsert", body)
    assert status == 400 and field in error["message"] + str(error["args"]), error
    assert api.ok("entry/list", {})["totalCount"] == 0


def test_entries_are_the_partners_own(api: Api, app_client: Any, new_partner: Any) -> None:
    api.ok("entry/upsert", {"entryId": "0_mine", "name": "Mine"})
    other: Partner = new_partner("other")
    theirs = Api(app_client, other.ks)
    assert theirs.call("entry/get", {"entryId": "0_mine"})[0] == 404
    assert theirs.call("entry/delete", {"entryId": "0_mine"})[0] == 404
    assert theirs.ok("entry/list", {})["totalCount"] == 0
    theirs.ok("entry/upsert", {"entryId": "0_mine", "name": "Theirs"})
    assert api.ok("entry/get", {"entryId": "0_mine"})["name"] == "Mine"
    reader = Api(app_client, api.ks)
    assert reader.call("entry/get", {"entryId": "0_mine"}, ks="")[0] == 401


def test_an_unknown_order_is_refused_naming_order_by_and_every_order(api: Api) -> None:
    # orderBy's values come from two literal members of a union: the error named the field after the first
    # member's type (orderBy.literal['createdAt',...]) and listed only that member's values.
    status, error = api.call("entry/list", {"orderBy": "bogus"})
    assert status == 400 and error["code"] == "INVALID_ENUM_VALUE"
    assert error["args"] == {"PARAM_NAME": "orderBy", "VALUE": "bogus"}
    for order in ("+createdAt", "-updatedAt", "entryId", "-name"):
        assert order in error["message"]


CONTROLLED_IDS = ["0_e\x01", "0\n_e", "\x7f", "0_e\x1b1"]


@pytest.mark.parametrize("entry_id", CONTROLLED_IDS)
def test_every_route_naming_an_entry_refuses_control_characters(api: Api, entry_id: str) -> None:
    # The player's beacons refuse them (domain/beacons.py): the entry controller does too, as does every other
    # route taking an entry id, with a 400 naming the field.
    board = api.ok(
        "leaderboard/create",
        {
            "objectType": "Leaderboard",
            "name": "Board",
            "status": "enabled",
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": "2099-01-01T00:00:00Z",
            "virtualEventIds": [],
        },
    )["id"]
    for path, body in [
        ("entry/upsert", {"entryId": entry_id, "name": "x"}),
        ("entry/get", {"entryId": entry_id}),
        ("entry/delete", {"entryId": entry_id}),
        ("entry/list", {"entryIdIn": [entry_id]}),
        ("entry/list", {"filter": {"entryIdIn": f"0_fine,{entry_id}"}}),
        ("userCertificateReport/list", {"gameObjectId": board, "entryId": entry_id}),
    ]:
        status, error = api.call(path, body)
        assert status == 400, (path, error)
        assert error["code"] == "VALIDATION_ERROR" and "entryId" in error["args"]["PARAM_NAME"], error
        assert "control characters" in error["message"], error
    event = {"eventType": "viewPeriod", "userId": "kim", "entryId": entry_id, "entryName": "x"}
    answer = api.ok("event/send", {"events": [event, {**event, "entryId": "0_fine"}]})
    assert answer["accepted"] == 1
    assert answer["rejected"] == [
        {"index": 0, "code": "VALIDATION_ERROR", "message": "entryId must not contain control characters"}
    ]
    assert [entry["entryId"] for entry in api.ok("entry/list", {})["objects"]] == ["0_fine"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("virtualEventId", "70\x0101"),
        ("sessionId", "s\n1"),
        ("categories", ["301", "3\x7f02"]),
        ("categories", "301,3\x1b02"),
    ],
)
def test_events_refuse_control_characters_in_the_ids_beacons_carry(api: Api, field: str, value: Any) -> None:
    # As in an entry id: only the event holding one is refused; the entry controller refuses it too.
    event = {"eventType": "viewPeriod", "userId": "kim", "entryId": "0_bad", "entryName": "x", field: value}
    answer = api.ok("event/send", {"events": [event, {**event, "entryId": "0_fine", field: "7001"}]})
    assert (answer["accepted"], answer["rejected"]) == (
        1,
        [{"index": 0, "code": "VALIDATION_ERROR", "message": f"{field} must not contain control characters"}],
    )
    assert [entry["entryId"] for entry in api.ok("entry/list", {})["objects"]] == ["0_fine"]
    if field != "sessionId":
        status, error = api.call("entry/upsert", {"entryId": "0_bad", field: value})
        assert (status, error["code"]) == (400, "VALIDATION_ERROR"), error
        assert error["args"]["PARAM_NAME"].startswith(field) and "control characters" in error["message"]
        assert api.call("entry/get", {"entryId": "0_bad"})[0] == 404


OPEN = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"}


def test_events_keep_categories_trimmed_as_entries_do(api: Api) -> None:
    # A rule scoped to category 301 sees [" 301 "] as it sees " 301 " in a comma text and an entry's categories.
    api.ok("entry/upsert", {"entryId": "0_e", "categories": [" 301 "]})
    assert api.ok("entry/get", {"entryId": "0_e"})["categories"] == ["301"]
    board = api.ok(
        "leaderboard/create",
        {"name": "Track 301", "status": "enabled", "virtualEventIds": [], **OPEN},
    )["id"]
    api.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "name": "Likes in track 301",
            "conditions": [{"fact": "categories", "operator": "in", "value": "301"}],
            "type": "count",
            "mode": "distribute_points",
            "metric": "eventId",
            "groupBy": "kuserId",
            "goal": "1",
            "points": "1",
            "maxPoints": "unlimited",
        },
    )
    event = {"eventType": "like", "userId": "kim", "categories": [" 301 ", 17]}
    assert api.ok("event/send", {"events": [event]})["accepted"] == 1
    assert api.ok("userScore/get", {"gameObjectId": board, "userId": "kim"})["score"] == 1
    answer = api.ok("event/send", {"events": [{**event, "categories": ["301", "  "]}]})
    assert answer["rejected"] == [
        {"index": 0, "code": "VALIDATION_ERROR", "message": "categories must not hold an empty category"}
    ]


def test_events_name_an_entry_by_its_trimmed_id(api: Api) -> None:
    # event/send keeps the entry id trimmed, as the entry controller and beacons read it: " 0_e " is "0_e".
    event = {"eventType": "viewPeriod", "userId": "kim", "entryId": " 0_e ", "entryName": "Talk"}
    api.ok("event/send", {"events": [event, {**event, "entryId": "0_e", "duration": 60}]})
    entry = api.ok("entry/get", {"entryId": "0_e"})
    assert (entry["entryId"], entry["name"], entry["duration"]) == ("0_e", "Talk", 60.0)
    assert api.ok("entry/list", {})["totalCount"] == 1
    answer = api.ok("event/send", {"events": [{**event, "entryId": "  "}]})
    assert answer["rejected"] == [
        {"index": 0, "code": "VALIDATION_ERROR", "message": "entryId must not be empty"}
    ]
    assert api.ok("entry/delete", {"entryId": " 0_e"})["entryId"] == "0_e"
    assert api.call("entry/get", {"entryId": "0_e"})[0] == 404


def test_an_entry_stored_with_spaces_before_ids_were_trimmed_stays_reachable(
    api: Api, engine: Engine, partner: Partner
) -> None:
    with write_transaction(engine) as conn:
        record = EntryRecord(partner.id, " 0_old ", "Old talk", 30.0, None, None, None, 1_700_000_000.0)
        entry_repository.put_entry(conn, record)
    found = api.ok("entry/get", {"entryId": "0_old"})
    assert (found["entryId"], found["name"]) == (" 0_old ", "Old talk")
    assert api.ok("entry/delete", {"entryId": "0_old"})["entryId"] == " 0_old "
    assert api.call("entry/get", {"entryId": "0_old"})[0] == 404
    assert api.ok("entry/list", {})["totalCount"] == 0


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` meanwhile."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


STORED_UNTRIMMED = [
    ("\t0_tab\n", "0_tab"),
    ("\r\n0_crlf", "0_crlf"),
    ("\xa00_nbsp\u3000", "0_nbsp"),
    ("\u20030_em_space\u2028", "0_em_space"),
    ("\x1c0_separator ", "0_separator"),
]


def test_entries_stored_with_any_whitespace_around_their_id_are_found_as_python_trims_it(
    api: Api, engine: Engine, partner: Partner
) -> None:
    with write_transaction(engine) as conn:
        for stored, _ in STORED_UNTRIMMED:
            record = EntryRecord(partner.id, stored, stored, None, None, None, None, 1_700_000_000.0)
            entry_repository.put_entry(conn, record)
    for stored, trimmed in STORED_UNTRIMMED:
        assert api.ok("entry/get", {"entryId": trimmed})["entryId"] == stored
    # Whitespace inside an id is kept: "0_ tab" is not "\t0_tab\n".
    assert api.call("entry/get", {"entryId": "0_ tab"})[0] == 404
    for stored, trimmed in STORED_UNTRIMMED:
        assert api.ok("entry/delete", {"entryId": f" {trimmed}\t"})["entryId"] == stored
    assert api.ok("entry/list", {})["totalCount"] == 0


def test_a_miss_reads_the_partners_entries_once_it_is_known_to_have_no_untrimmed_id_no_more(
    api: Api, engine: Engine, partner: Partner
) -> None:
    api.ok("entry/upsert", {"entryId": "0_kept"})
    with statements(engine) as first:
        assert api.call("entry/get", {"entryId": "0_unknown"})[0] == 404
    # The first miss looks for an untrimmed id and finds the partner has none at all...
    assert sum("trim(" in statement.lower() for statement in first) == 1
    with statements(engine) as later:
        for number in range(5):
            assert api.call("entry/get", {"entryId": f"0_unknown_{number}"})[0] == 404
            assert api.call("entry/delete", {"entryId": f"0_unknown_{number}"})[0] == 404
    # ... so later misses read only the entry asked for.
    assert not [statement for statement in later if "trim(" in statement.lower()]
    # An untrimmed id stored after all (as events stored them before ids were trimmed) is found again.
    with write_transaction(engine) as conn:
        entry_repository.put_entry(
            conn, EntryRecord(partner.id, " 0_late", None, None, None, None, None, 1.0)
        )
    assert api.ok("entry/get", {"entryId": "0_late"})["entryId"] == " 0_late"


def test_the_whitespace_looked_for_is_what_python_trims() -> None:
    python = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert set(entry_repository.WHITESPACE) == python
