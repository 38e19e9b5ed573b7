"""Participation policies: parsing, first match wins, e-mail domains without case, groups, no profile."""

import pytest

from gameservices.domain.errors import DomainValidationError
from gameservices.domain.policies import (
    DEFAULT_POLICY,
    MatchCriteria,
    Participation,
    ParticipationPolicy,
    PolicyEntry,
    UserFacts,
    parse_participation_policy,
)

# Guide section 5, plus a later entry that the first match must shadow.
POLICY = parse_participation_policy(
    {
        "userDefaultPolicy": "display",
        "policies": [
            {"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["internal-company.com"]},
            {"policy": "do_not_display", "matchCriteria": "byGroup", "values": ["speakers"]},
            {"policy": "display", "matchCriteria": "byGroup", "values": ["speakers", "staff"]},
        ],
    }
)

# (email, groups, expected)
DECISIONS = [
    ("ann@internal-company.com", (), Participation.DO_NOT_SAVE),
    ("Ann@Internal-Company.COM", (), Participation.DO_NOT_SAVE),
    ("ann@sub.internal-company.com", (), Participation.DISPLAY),
    ("ann@internal-company.com.evil.org", (), Participation.DISPLAY),
    ("ann@internal-company.com", ("speakers",), Participation.DO_NOT_SAVE),
    ("bob@example.com", ("speakers",), Participation.DO_NOT_DISPLAY),
    ("bob@example.com", ("Speakers",), Participation.DISPLAY),
    ("bob@example.com", ("staff", "speakers"), Participation.DO_NOT_DISPLAY),
    ("bob@example.com", ("staff",), Participation.DISPLAY),
    (None, ("speakers",), Participation.DO_NOT_DISPLAY),
    ("not-an-email", (), Participation.DISPLAY),
    (None, (), Participation.DISPLAY),
]


@pytest.mark.parametrize(("email", "groups", "expected"), DECISIONS)
def test_first_match_wins(email: str | None, groups: tuple[str, ...], expected: Participation) -> None:
    assert POLICY.decide(UserFacts(email, frozenset(groups))) is expected


def test_no_profile_gets_the_default() -> None:
    hidden_by_default = parse_participation_policy({"userDefaultPolicy": "do_not_display", "policies": []})
    assert hidden_by_default.decide(None) is Participation.DO_NOT_DISPLAY
    assert POLICY.decide(None) is Participation.DISPLAY


def test_domain_values_are_normalised() -> None:
    policy = parse_participation_policy(
        {
            "policies": [
                {"policy": "do_not_save", "matchCriteria": "byEmailDomain", "values": ["@Internal.com "]}
            ]
        }
    )
    assert policy == ParticipationPolicy(
        Participation.DISPLAY,
        (PolicyEntry(Participation.DO_NOT_SAVE, MatchCriteria.BY_EMAIL_DOMAIN, frozenset({"internal.com"})),),
    )
    assert policy.decide(UserFacts("x@INTERNAL.com")) is Participation.DO_NOT_SAVE


def test_absent_policy_displays_everyone() -> None:
    assert parse_participation_policy(None) == DEFAULT_POLICY
    assert parse_participation_policy({}) == DEFAULT_POLICY
    assert DEFAULT_POLICY.is_uniform
    assert not POLICY.is_uniform


# (raw, field)
INVALID = [
    ("display", "participationPolicy"),
    ({"userDefaultPolicy": "hide"}, "participationPolicy.userDefaultPolicy"),
    ({"policies": {}}, "participationPolicy.policies"),
    ({"policies": ["x"]}, "participationPolicy.policies[0]"),
    ({"policies": [{"matchCriteria": "byGroup", "values": ["a"]}]}, "participationPolicy.policies[0].policy"),
    (
        {"policies": [{"policy": "display", "matchCriteria": "byCountry", "values": ["a"]}]},
        "participationPolicy.policies[0].matchCriteria",
    ),
    (
        {"policies": [{"policy": "display", "matchCriteria": "byGroup", "values": "speakers"}]},
        "participationPolicy.policies[0].values",
    ),
    (
        {"policies": [{"policy": "display", "matchCriteria": "byGroup", "values": [""]}]},
        "participationPolicy.policies[0].values",
    ),
]


@pytest.mark.parametrize(("raw", "field"), INVALID)
def test_invalid_policies_name_the_field(raw: object, field: str) -> None:
    with pytest.raises(DomainValidationError) as raised:
        parse_participation_policy(raw)
    assert raised.value.field == field
