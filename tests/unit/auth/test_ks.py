"""KS v1/v2 verification and minting: official-client KSs, golden vectors, expiry, secrets, edge cases."""

import base64
import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from KalturaClient import KalturaClient

from gameservices.auth import ks_format
from gameservices.auth.ks import (
    KS_TYPE_ADMIN,
    KS_TYPE_USER,
    KsErrorCode,
    KsInvalid,
    Session,
    mint_ks,
    mint_ks_v1,
    peek_partner_id,
    verify_ks,
)
from gameservices.auth.privileges import Privileges

SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
OTHER_SECRET = "0f9e8d7c6b5a49382716051f2e3d4c5b"
NOW = 1_700_000_000.0

# Made by KalturaClient 23.10.0 with time.time() = 1700000000.7, random bytes 00..0f and rand 4242.
GOLDEN_V2_ADMIN = (
    "djJ8MTIzNDU2N3yJ4dgtkqfBdkVU6gGPAd_XqGgFumlaqIBH4VuezMbGNZ4FgRpyNEAkuaMDh_8_Rem5o7AfQlX24XnqXZnPymV5sZWgz-_C"
    "a4oGSiEDXGL0oKjhErnCnC43vawOngiGbx8YcZn8x_uprbaCaVLYA-JhXqc4t38R36E-B5RlV3UlDp--H-qRBVVdS8fPiSuAycMq1_8sGk_3"
    "62G95oDbahw1"
)
GOLDEN_V2_USER = (
    "djJ8NDJ8Ttdh8TAeADPOU8ab4OVZSaiPtMZkmDp4_GKZXGEN_chKgEsKdW-XcIYKL5YhsZ37sLF6Xs6TED0YKvrc9oCVyw=="
)
GOLDEN_V1_ADMIN = (
    "YzY4MTc2YTFjY2NlN2EwZWZlNDA3MDEwMGExMzg4OTZlZmMxMWM5OXwxMjM0NTY3OzEyMzQ1Njc7MTcwMDA4NjQwMDsyOzQyNDI7YWxp"
    "Y2VAZXhhbXBsZS5jb207c2V0cm9sZTo3LGlwcmVzdHJpY3Q6MTAuMC4wLjE="
)
GOLDEN_V1_USER = "NWJiMjE1NDBjMzNkODdlNTkwNjdjODlkOTQxMWQ5YmRkMDA3M2UwNXw0Mjs0MjsxNzAwMDAzNjAwOzA7NDI0Mjs7"


def _v1_from_info(info: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hashlib.sha1(secret.encode() + info).hexdigest().encode() + b"|" + info).decode()


def _v2_from_query(query: bytes, partner_id: int = 42, secret: str = SECRET) -> str:
    # A random part without zero bytes, so that the server's stripping of trailing zeros cannot eat into it.
    return ks_format.seal_v2(partner_id, secret.encode(), b"R" * 16 + query)


def _reason(ks: str, *, secrets: list[str] | None = None, now: float = NOW) -> tuple[int, str]:
    with pytest.raises(KsInvalid) as caught:
        verify_ks(ks, secrets=[SECRET] if secrets is None else secrets, now=now)
    return caught.value.code, caught.value.description


@pytest.mark.parametrize(
    ("ks", "version", "partner_id", "user_id", "type_", "expiry", "privileges"),
    [
        (
            GOLDEN_V2_ADMIN,
            2,
            1234567,
            "alice@example.com",
            2,
            1700086400,
            "setrole:7,iprestrict:10.0.0.1,urirestrict:/api/v1/*,disableentitlement",
        ),
        (GOLDEN_V2_USER, 2, 42, "", 0, 1700003600, ""),
        (GOLDEN_V1_ADMIN, 1, 1234567, "alice@example.com", 2, 1700086400, "setrole:7,iprestrict:10.0.0.1"),
        (GOLDEN_V1_USER, 1, 42, "", 0, 1700003600, ""),
    ],
)
def test_golden_ks_from_official_client_is_read_back(
    ks: str, version: int, partner_id: int, user_id: str, type_: int, expiry: int, privileges: str
) -> None:
    session = verify_ks(ks, secrets=[SECRET], now=NOW)
    assert session == Session(
        partner_id=partner_id,
        user_id=user_id,
        type=type_,
        expiry=expiry,
        privileges=Privileges.parse(privileges),
        version=version,
        raw=ks,
    )
    assert session.privileges.raw == privileges
    assert peek_partner_id(ks) == partner_id


def test_golden_v2_privileges_are_parsed() -> None:
    privileges = verify_ks(GOLDEN_V2_ADMIN, secrets=[SECRET], now=NOW).privileges
    assert privileges.role_ids == ("7",)
    assert privileges.ip_restrict == ("10.0.0.1",)
    assert privileges.uri_restrict == ("/api/v1/*",)
    assert privileges.get("disableentitlement") == ()


@pytest.mark.parametrize("generate", [KalturaClient.generateSessionV2, KalturaClient.generateSession])
@pytest.mark.parametrize(
    ("user_id", "type_", "privileges"),
    [
        ("alice@example.com", KS_TYPE_ADMIN, "setrole:3,iprestrict:1.2.3.4,urirestrict:/api/*"),
        ("josé", KS_TYPE_USER, "disableentitlement"),
        ("", KS_TYPE_ADMIN, ""),
    ],
)
def test_live_official_client_ks_is_accepted(
    generate: Callable[..., bytes], user_id: str, type_: int, privileges: str
) -> None:
    ks = generate(SECRET, user_id, type_, 777, 600, privileges).decode()
    session = verify_ks(ks, secrets=[SECRET], now=NOW)
    assert (session.partner_id, session.user_id, session.type) == (777, user_id, type_)
    assert session.privileges.raw == privileges
    assert session.expiry > NOW


def test_v2_user_id_with_query_characters_survives_the_official_client() -> None:
    ks = KalturaClient.generateSessionV2(SECRET, "a&b=c+d%20 é", 2, 777, 600, "").decode()
    assert verify_ks(ks, secrets=[SECRET], now=NOW).user_id == "a&b=c+d%20 é"


@pytest.mark.parametrize("mint", [mint_ks, mint_ks_v1])
def test_minted_ks_round_trips(mint: Callable[..., str]) -> None:
    ks = mint(
        partner_id=4321,
        secret=SECRET,
        user_id="bob@example.com",
        type=KS_TYPE_USER,
        expiry_seconds=120,
        privileges="setrole:5,iprestrict:10.1.1.1/10.1.1.2,disableentitlement",
        now=NOW + 0.9,
    )
    session = verify_ks(ks, secrets=[SECRET], now=NOW)
    assert (session.partner_id, session.user_id, session.type, session.expiry) == (
        4321,
        "bob@example.com",
        KS_TYPE_USER,
        1700000120,
    )
    assert session.privileges.raw == "setrole:5,iprestrict:10.1.1.1/10.1.1.2,disableentitlement"
    assert session.privileges.ip_restrict == ("10.1.1.1", "10.1.1.2")
    assert session.version == (2 if mint is mint_ks else 1)
    assert peek_partner_id(ks) == 4321


def test_minted_defaults_are_an_admin_ks_for_a_day() -> None:
    session = verify_ks(mint_ks(partner_id=1, secret=SECRET, now=NOW), secrets=[SECRET], now=NOW)
    assert (session.user_id, session.type, session.expiry, session.privileges.raw) == ("", 2, 1700086400, "")


def test_two_minted_v2_ks_differ_by_their_random_part() -> None:
    first = mint_ks(partner_id=1, secret=SECRET, now=NOW)
    assert first != mint_ks(partner_id=1, secret=SECRET, now=NOW)


def test_v2_minting_normalises_privileges_as_the_official_client_does() -> None:
    ks = mint_ks(partner_id=1, secret=SECRET, privileges=" setrole:3 ,, * ,setrole:4", now=NOW)
    assert verify_ks(ks, secrets=[SECRET], now=NOW).privileges.raw == "setrole:4,all:*"
    only_all = mint_ks(partner_id=1, secret=SECRET, privileges="*", now=NOW)
    assert verify_ks(only_all, secrets=[SECRET], now=NOW).privileges.raw == "*"


@pytest.mark.parametrize(
    "fields", [{"user_id": "a;b"}, {"privileges": "setrole:1;x"}], ids=["user", "privileges"]
)
def test_v1_minting_refuses_the_field_separator(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="';'"):
        mint_ks_v1(partner_id=1, secret=SECRET, now=NOW, **fields)


@pytest.mark.parametrize("mint", [mint_ks, mint_ks_v1])
def test_minting_refuses_a_negative_partner_id(mint: Callable[..., str]) -> None:
    with pytest.raises(ValueError, match="partner id"):
        mint(partner_id=-1, secret=SECRET, now=NOW)


@pytest.mark.parametrize("ks", [GOLDEN_V2_ADMIN, GOLDEN_V1_ADMIN])
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (1700086399.99, None),
        (1700086400.0, (-5, "EXPIRED")),
        (1800000000.0, (-5, "EXPIRED")),
    ],
)
def test_expiry_is_reached_at_the_expiry_second(
    ks: str, now: float, expected: tuple[int, str] | None
) -> None:
    if expected is None:
        assert verify_ks(ks, secrets=[SECRET], now=now).expiry == 1700086400
    else:
        assert _reason(ks, now=now) == expected


@pytest.mark.parametrize("ks", [GOLDEN_V2_ADMIN, GOLDEN_V1_ADMIN])
def test_another_secret_is_refused_as_invalid_str(ks: str) -> None:
    assert _reason(ks, secrets=[OTHER_SECRET]) == (-1, "INVALID_STR")
    assert _reason(ks, secrets=[]) == (-1, "INVALID_STR")


@pytest.mark.parametrize("ks", [GOLDEN_V2_ADMIN, GOLDEN_V1_ADMIN])
def test_each_secret_is_tried(ks: str) -> None:
    assert verify_ks(ks, secrets=[OTHER_SECRET, "x", SECRET], now=NOW).partner_id == 1234567
    assert verify_ks(ks, secrets=[SECRET, OTHER_SECRET], now=NOW).partner_id == 1234567


def test_bad_signature_is_reported_before_expiry() -> None:
    assert _reason(GOLDEN_V2_ADMIN, secrets=[OTHER_SECRET], now=2e9) == (-1, "INVALID_STR")


def test_v1_with_bytes_appended_is_refused() -> None:
    decoded = base64.b64decode(GOLDEN_V1_ADMIN)
    for extra in (b";", b";123", b"x", b"\x00", b",setrole:1"):
        assert _reason(base64.b64encode(decoded + extra).decode()) == (-1, "INVALID_STR")
    for suffix in ("A", "AAAA", "QQ==", "=", "==", "\x00"):
        assert _reason(GOLDEN_V1_ADMIN + suffix) == (-1, "INVALID_STR")


def test_v1_signature_is_compared_exactly() -> None:
    signature, _, info = base64.b64decode(GOLDEN_V1_ADMIN).partition(b"|")
    upper = base64.b64encode(signature.upper() + b"|" + info).decode()
    assert _reason(upper) == (-1, "INVALID_STR")


@pytest.mark.parametrize(
    ("info", "user_id", "type_", "privileges"),
    [
        (b"42;42;1700003600", "", 0, ""),
        (b"42;42;1700003600;2", "", 2, ""),
        (b"42;42;1700003600;2;1;carol;setrole:9;99;extra data;more", "carol", 2, "setrole:9"),
        (b"42;*;1700003600;;;;", "", 0, ""),
    ],
)
def test_v1_optional_fields(info: bytes, user_id: str, type_: int, privileges: str) -> None:
    session = verify_ks(_v1_from_info(info), secrets=[SECRET], now=NOW)
    assert (session.partner_id, session.user_id, session.type, session.expiry) == (
        42,
        user_id,
        type_,
        1700003600,
    )
    assert session.privileges.raw == privileges


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (b"42;42", (-1, "INVALID_STR")),
        (b"42;42;soon;2", (-1, "INVALID_STR")),
        (b"42;42;1700003600;admin", (-1, "INVALID_STR")),
        (b"42;42;1700003600;2;1;\xff\xfe", (-1, "INVALID_STR")),
        (b"042x;42;1700003600", (-1, "INVALID_STR")),
        (b"042;042;1700003600", (-1, "INVALID_STR")),
        (b"-42;-42;1700003600", (-1, "INVALID_STR")),
        (b"42;42;;2", (-5, "EXPIRED")),
    ],
)
def test_v1_malformed_signed_fields(info: bytes, expected: tuple[int, str]) -> None:
    assert _reason(_v1_from_info(info)) == expected


@pytest.mark.parametrize(
    ("query", "user_id", "type_", "expiry", "privileges"),
    [
        (b"_e=1700003600&_t=2&_u=dave", "dave", 2, 1700003600, ""),
        (
            b"setrole=3&disableentitlement=&_e=1700003600&_t=2&_u=",
            "",
            2,
            1700003600,
            "setrole:3,disableentitlement",
        ),
        (b"_e=1700003600&_t=0&_u=a+b%26c%3Dd", "a b&c=d", 0, 1700003600, ""),
        (b"_e=1700003600&_u=x&_m=99&_d=extra", "x", 0, 1700003600, ""),
        (b"all=%2A&_e=1700003600&_t=2&_u=", "", 2, 1700003600, "*"),
        (b"all=%2A&setrole=1&_e=1700003600&_t=2", "", 2, 1700003600, "all:*,setrole:1"),
        (b"setrole=1&setrole=2&_e=1&_e=1700003600&_t=2", "", 2, 1700003600, "setrole:2"),
        (b"&&=ignored&flag&_e=1700003600&_t=2", "", 2, 1700003600, "flag"),
        (b"urirestrict=%2Fapi%2F%2A&_e=1700003600&_t=2", "", 2, 1700003600, "urirestrict:/api/*"),
    ],
)
def test_v2_fields(query: bytes, user_id: str, type_: int, expiry: int, privileges: str) -> None:
    session = verify_ks(_v2_from_query(query), secrets=[SECRET], now=NOW)
    assert (session.partner_id, session.user_id, session.type, session.expiry, session.version) == (
        42,
        user_id,
        type_,
        expiry,
        2,
    )
    assert session.privileges.raw == privileges


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"_t=2&_u=x", (-5, "EXPIRED")),
        (b"", (-5, "EXPIRED")),
        (b"_e=tomorrow&_t=2", (-1, "INVALID_STR")),
        (b"_e=1700003600&_t=2.0", (-1, "INVALID_STR")),
        (b"_e=1700003600&_t=2&_u=%FF", (-1, "INVALID_STR")),
        (b"_e=99999999999999999999&_t=2", (-1, "INVALID_STR")),
    ],
)
def test_v2_malformed_signed_fields(query: bytes, expected: tuple[int, str]) -> None:
    assert _reason(_v2_from_query(query)) == expected


def test_v2_partner_id_is_not_signed_but_selects_the_secret() -> None:
    # Swapping the partner id of a v2 KS only works if both partners share a secret.
    decoded = base64.urlsafe_b64decode(GOLDEN_V2_ADMIN)
    moved = base64.urlsafe_b64encode(decoded.replace(b"v2|1234567|", b"v2|7654321|", 1)).decode()
    assert peek_partner_id(moved) == 7654321
    assert _reason(moved, secrets=[OTHER_SECRET]) == (-1, "INVALID_STR")
    assert verify_ks(moved, secrets=[SECRET], now=NOW).partner_id == 7654321


@pytest.mark.parametrize(
    "ks",
    [
        "",
        "not a ks",
        "djJ8",  # "v2|"
        "djJ8NDI=",  # "v2|42"
        "djJ8YWJjfHh4",  # "v2|abc|xx"
        "djJ8LTF8eHh4",  # "v2|-1|xxx"
        "djJ8MTIzNDU2Nzg5MDEyMzQ1Njc4OTB8eA==",  # "v2|12345678901234567890|x"
        "djJ8MDQyfHh4eA==",  # "v2|042|xxx"
        "djJ8fHh4eA==",  # "v2||xxx"
        "YWJjfDQyOzQy",  # "abc|42;42"
        "NDI7NDI7MQ==",  # "42;42;1" (no "|")
        "eHxhYmM7NDI7MQ==",  # "x|abc;42;1"
        "MA==",  # "0"
        "é",
    ],
)
def test_unreadable_ks_has_no_partner(ks: str) -> None:
    with pytest.raises(KsInvalid) as caught:
        peek_partner_id(ks)
    assert (caught.value.code, caught.value.description) == (-1, "INVALID_STR")
    assert _reason(ks) == (-1, "INVALID_STR")


def test_v2_ciphertext_of_wrong_length_is_refused() -> None:
    decoded = base64.urlsafe_b64decode(GOLDEN_V2_ADMIN)
    for cut in (1, 15, 16, len(decoded) - len(b"v2|1234567|")):
        truncated = base64.urlsafe_b64encode(decoded[:-cut]).decode()
        assert _reason(truncated) == (-1, "INVALID_STR")


def test_both_base64_alphabets_and_missing_padding_are_read_as_the_server_does() -> None:
    expected = replace(verify_ks(GOLDEN_V2_USER, secrets=[SECRET], now=NOW), raw="")
    for variant in (GOLDEN_V2_USER.rstrip("="), GOLDEN_V2_USER.replace("-", "+").replace("_", "/")):
        assert replace(verify_ks(variant, secrets=[SECRET], now=NOW), raw="") == expected


def test_error_codes_are_numbered_as_on_the_kaltura_server() -> None:
    assert {code.name: int(code) for code in KsErrorCode} == {
        "INVALID_STR": -1,
        "INVALID_PARTNER": -2,
        "INVALID_USER": -3,
        "INVALID_TYPE": -4,
        "EXPIRED": -5,
        "LOGOUT": -6,
        "EXCEEDED_ACTIONS_LIMIT": -8,
        "EXCEEDED_RESTRICTED_IP": -9,
        "EXCEEDED_RESTRICTED_URI": -11,
    }
    error = KsInvalid(KsErrorCode.LOGOUT)
    assert (error.code, error.description, str(error)) == (-6, "LOGOUT", "LOGOUT")
    assert type(error.code) is int
