"""The ``userProfile`` controller."""

from tests.conftest import Api

OPEN_WINDOW = {"startDate": "2000-01-01T00:00:00Z", "endDate": "2100-01-01T00:00:00Z"}

PROFILE = {
    "userId": "zoe@example.com",
    "email": "zoe@example.com",
    "firstName": "Zoë",
    "lastName": "Ångström-Łukasiewicz",
    "groups": ["speakers"],
    "profileData": {"company": "Acme", "country": "FR", "address": {"city": "Paris"}},
}


def title_board(api: Api) -> str:
    """A leaderboard of virtual event 1 whose rule gives 100 points to a profile titled CTO; its id."""
    board: str = api.ok(
        "leaderboard/create",
        {"name": "Profiles", "status": "enabled", "virtualEventIds": ["1"], **OPEN_WINDOW},
    )["id"]
    api.ok(
        "rule/create",
        {
            "gameObjectType": "leaderboard",
            "gameObjectId": board,
            "mode": "distribute_points",
            "name": "Job title",
            "conditions": [
                {"fact": "eventType", "operator": "equal", "value": "userProfile"},
                {"fact": "title", "operator": "equal", "value": "CTO"},
            ],
            "type": "count",
            "metric": "kuserId",
            "goal": "1",
            "points": "100",
            "maxPoints": "100",
            "groupBy": "kuserId",
        },
    )
    return board


def test_profile_crud_and_derived_full_name(api: Api) -> None:
    created = api.ok("userProfile/create", PROFILE)
    assert created["fullName"] == "Zoë Ångström-Łukasiewicz" and created["objectType"] == "UserProfile"
    assert api.ok("userProfile/get", {"userId": PROFILE["userId"]}) == created
    assert api.call("userProfile/create", PROFILE)[0] == 409
    updated = api.ok(
        "userProfile/update", {"userId": PROFILE["userId"], "groups": ["attendees"], "firstName": None}
    )
    assert (
        updated["groups"] == ["attendees"]
        and updated["firstName"] is None
        and updated["email"] == PROFILE["email"]
    )
    upserted = api.ok("userProfile/upsert", {"userId": "new@example.com", "fullName": "New User"})
    assert upserted["fullName"] == "New User"
    assert api.ok("userProfile/list", {})["totalCount"] == 2
    assert (
        api.ok("userProfile/list", {"userIdEqual": "new@example.com"})["objects"][0]["userId"]
        == "new@example.com"
    )
    under_filter = api.ok("userProfile/list", {"filter": {"userIdEqual": "new@example.com"}})
    assert [profile["userId"] for profile in under_filter["objects"]] == ["new@example.com"]
    api.ok("userProfile/delete", {"userId": "new@example.com"})
    status, error = api.call("userProfile/get", {"userId": "new@example.com"})
    assert (
        status == 404
        and error["code"] == "USER_ID_NOT_FOUND"
        and error["args"] == {"USER_ID": "new@example.com"}
    )


def test_profile_limits(api: Api) -> None:
    status, error = api.call("userProfile/create", {"userId": "x" * 257})
    assert status == 400 and error["args"]["PARAM_NAME"] == "userId"
    status, error = api.call("userProfile/create", {"userId": "big", "profileData": {"blob": "x" * 70_000}})
    assert status == 400 and error["args"]["PARAM_NAME"] == "profileData"


def test_a_profile_data_value_no_event_field_can_hold_leaves_the_profile_event_whole(api: Api) -> None:
    # A number past the score limit, or an entryId longer than an event's, is kept in the profile: the
    # profile's event leaves that one fact out and still reaches the rules.
    board = title_board(api)
    data = {"title": "CTO", "revenue": 2**60, "entryId": "e" * 5000}
    stored = api.ok("userProfile/create", {"userId": "ceo", "profileData": data})
    assert stored["profileData"] == data
    scores = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert [(row["userId"], row["score"]) for row in scores] == [("ceo", 100)]


def test_profiles_ordered_by_email_put_those_without_one_first_on_every_database(api: Api) -> None:
    for user, email in (("u1", "b@example.com"), ("u2", None), ("u3", "a@example.com")):
        api.ok("userProfile/create", {"userId": user, **({"email": email} if email else {})})

    def order(order_by: str) -> list[str]:
        return [row["userId"] for row in api.ok("userProfile/list", {"orderBy": order_by})["objects"]]

    assert order("+email") == ["u2", "u3", "u1"]
    assert order("-email") == ["u1", "u3", "u2"]


def test_profile_data_does_not_scope_the_profile_event(api: Api) -> None:
    # profileData's virtualEventId and categories are the profile's data, not the scope of its event: a
    # leaderboard of another virtual event (or a rule on categories) still sees the profile's change.
    board = api.ok(
        "leaderboard/create",
        {"name": "Profiles", "status": "enabled", "virtualEventIds": ["7001"], **OPEN_WINDOW},
    )["id"]
    for name, more in (
        ("Profile", []),
        ("Sponsor", [{"fact": "categories", "operator": "in", "value": "301"}]),
    ):
        api.ok(
            "rule/create",
            {
                "gameObjectType": "leaderboard",
                "gameObjectId": board,
                "mode": "distribute_points",
                "name": name,
                "conditions": [{"fact": "eventType", "operator": "equal", "value": "userProfile"}, *more],
                "type": "count",
                "metric": "kuserId",
                "goal": "1",
                "points": "10",
                "maxPoints": "10",
                "groupBy": "kuserId",
            },
        )
    data = {"virtualEventId": "9999", "categories": "301"}
    stored = api.ok("userProfile/create", {"userId": "kim", "profileData": data})
    assert stored["profileData"] == data
    scores = api.ok("userScore/list", {"gameObjectId": board})["objects"]
    assert [(row["userId"], row["score"]) for row in scores] == [("kim", 10)]
