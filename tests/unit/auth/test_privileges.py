"""KS privileges: parsing as the Kaltura server does, and the iprestrict / urirestrict checks."""

import pytest

from gameservices.auth.ks import KsInvalid, Session, check_restrictions
from gameservices.auth.privileges import MAX_ACTIONS_LIMIT, Privileges, ip_allowed, uri_allowed


@pytest.mark.parametrize(
    ("raw", "entries"),
    [
        ("", ()),
        ("setrole:3", (("setrole", ("3",)),)),
        ("setrole:3,setrole:4", (("setrole", ("3", "4")),)),
        ("disableentitlement", (("disableentitlement", ()),)),
        ("iprestrict:", (("iprestrict", ()),)),
        ("*", (("*", ()),)),
        ("iprestrict:1.2.3.4/5.6.7.8", (("iprestrict", ("1.2.3.4", "5.6.7.8")),)),
        ("urirestrict:/api/*", (("urirestrict", ("", "api", "*")),)),
        ("privacycontext:a:b", (("privacycontext", ("a:b",)),)),
        (",,setrole:3,,", (("setrole", ("3",)),)),
        (":orphan,edit:1", (("edit", ("1",)),)),
        (" setrole:3", ((" setrole", ("3",)),)),
        (
            "setrole:3,iprestrict:1.2.3.4,urirestrict:/api/*,disableentitlement,setrole:ADMIN",
            (
                ("setrole", ("3", "ADMIN")),
                ("iprestrict", ("1.2.3.4",)),
                ("urirestrict", ("", "api", "*")),
                ("disableentitlement", ()),
            ),
        ),
    ],
)
def test_parse(raw: str, entries: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
    privileges = Privileges.parse(raw)
    assert privileges.entries == entries
    assert privileges.raw == raw


@pytest.mark.parametrize(
    ("raw", "role_ids", "ip_restrict", "uri_restrict"),
    [
        ("", (), None, None),
        ("setrole:3", ("3",), None, None),
        ("setrole", (), None, None),
        (" setrole:3", (), None, None),
        ("iprestrict:10.0.0.1/10.0.0.2", (), ("10.0.0.1", "10.0.0.2"), None),
        ("iprestrict", (), (), None),
        ("urirestrict:/api/v1/*|/health", (), None, ("/api/v1/*", "/health")),
        ("urirestrict", (), None, ("",)),
    ],
)
def test_named_privileges(
    raw: str,
    role_ids: tuple[str, ...],
    ip_restrict: tuple[str, ...] | None,
    uri_restrict: tuple[str, ...] | None,
) -> None:
    privileges = Privileges.parse(raw)
    assert (privileges.role_ids, privileges.ip_restrict, privileges.uri_restrict) == (
        role_ids,
        ip_restrict,
        uri_restrict,
    )


def test_get_and_has() -> None:
    privileges = Privileges.parse("edit:1_abc/1_def,disableentitlement")
    assert privileges.get("edit") == ("1_abc", "1_def")
    assert privileges.get("disableentitlement") == ()
    assert privileges.get("view") is None
    assert (privileges.has("disableentitlement"), privileges.has("view")) == (True, False)


@pytest.mark.parametrize(
    ("raw", "client_ip", "allowed"),
    [
        ("", "203.0.113.9", True),
        ("iprestrict:203.0.113.9", "203.0.113.9", True),
        ("iprestrict:203.0.113.9", "203.0.113.10", False),
        ("iprestrict:203.0.113.9/198.51.100.1", "198.51.100.1", True),
        ("iprestrict:203.0.113.0", "203.0.113.9", False),
        ("iprestrict:", "203.0.113.9", False),
        ("iprestrict:2001:db8::1", "2001:db8::1", True),
    ],
)
def test_ip_allowed(raw: str, client_ip: str, allowed: bool) -> None:
    assert ip_allowed(Privileges.parse(raw), client_ip) is allowed


@pytest.mark.parametrize(
    ("raw", "uri", "allowed"),
    [
        ("", "/api/v1/badge/list", True),
        ("urirestrict:/api/*", "/api/v1/badge/list", True),
        ("urirestrict:/api/*", "/api/", True),
        ("urirestrict:/api/*", "/api", False),
        ("urirestrict:/api/*", "/apix/v1", False),
        ("urirestrict:/api/v1/health", "/api/v1/health", True),
        ("urirestrict:/api/v1/health", "/api/v1/health?x=1", False),
        ("urirestrict:/api/v1/health", "/api/v1/healthz", False),
        ("urirestrict:*", "/anything", True),
        ("urirestrict:/a/*|/b", "/a/x", True),
        ("urirestrict:/a/*|/b", "/b", True),
        ("urirestrict:/a/*|/b", "/bc", False),
        ("urirestrict:/a*b", "/a-b", False),
        ("urirestrict:", "/", False),
    ],
)
def test_uri_allowed(raw: str, uri: str, allowed: bool) -> None:
    assert uri_allowed(Privileges.parse(raw), uri) is allowed


def _session(privileges: str) -> Session:
    return Session(
        partner_id=1,
        user_id="",
        type=2,
        expiry=2_000_000_000,
        privileges=Privileges.parse(privileges),
        version=2,
        raw="ks",
    )


@pytest.mark.parametrize(
    ("privileges", "client_ip", "uri", "expected"),
    [
        ("", "10.0.0.9", "/api/v1/badge/list", None),
        ("iprestrict:10.0.0.9,urirestrict:/api/*", "10.0.0.9", "/api/v1/badge/list", None),
        ("iprestrict:10.0.0.9", "10.0.0.1", "/api/v1/badge/list", (-9, "EXCEEDED_RESTRICTED_IP")),
        (
            "urirestrict:/api/v1/leaderboard/*",
            "10.0.0.9",
            "/api/v1/badge/list",
            (-11, "EXCEEDED_RESTRICTED_URI"),
        ),
        (
            "iprestrict:10.0.0.9,urirestrict:/x",
            "10.0.0.1",
            "/api/v1/badge/list",
            (-9, "EXCEEDED_RESTRICTED_IP"),
        ),
    ],
)
def test_check_restrictions(
    privileges: str, client_ip: str, uri: str, expected: tuple[int, str] | None
) -> None:
    if expected is None:
        check_restrictions(_session(privileges), client_ip=client_ip, uri=uri)
        return
    with pytest.raises(KsInvalid) as caught:
        check_restrictions(_session(privileges), client_ip=client_ip, uri=uri)
    assert (caught.value.code, caught.value.description) == expected


@pytest.mark.parametrize(
    ("raw", "limit"),
    [
        ("", None),
        ("setrole:3", None),
        ("actionslimit:3", 3),
        ("actionslimit:0", 0),
        ("actionslimit:3/5,setrole:x", 3),
        ("actionslimit", 0),
        ("actionslimit:-1", 0),
        ("actionslimit:x", 0),
        ("actionslimit:٣", 0),  # a digit, but not an ASCII one
        ("actionslimit:" + "9" * 5000, MAX_ACTIONS_LIMIT),
        ("actionslimit:" + "0" * 30 + "2", 2),  # leading zeros make no number larger
        ("actionslimit:" + "0" * 5000, 0),
    ],
)
def test_actions_limit_reads_a_non_negative_decimal_or_allows_nothing(raw: str, limit: int | None) -> None:
    assert Privileges.parse(raw).actions_limit == limit
