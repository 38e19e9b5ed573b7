"""Participation policies: whether a user's activity on a game object is saved, and whether it is shown.

Policies evaluate in order and the first match wins; a user matching none gets `userDefaultPolicy`, and so
does a user without a profile. `byEmailDomain` compares the profile e-mail's domain exactly and without
regard to case; `byGroup` matches when the profile lists one of the groups.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from gameservices.domain.errors import DomainValidationError
from gameservices.domain.inputs import parse_enum


class Participation(StrEnum):
    """What a policy decides for a user."""

    DISPLAY = "display"
    DO_NOT_DISPLAY = "do_not_display"
    DO_NOT_SAVE = "do_not_save"


class MatchCriteria(StrEnum):
    """Which profile fact a policy entry reads."""

    BY_GROUP = "byGroup"
    BY_EMAIL_DOMAIN = "byEmailDomain"


@dataclass(frozen=True, slots=True)
class UserFacts:
    """The profile facts policies read."""

    email: str | None = None
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PolicyEntry:
    """One entry of `participationPolicy.policies`; `values` are lower-cased for e-mail domains."""

    policy: Participation
    match_criteria: MatchCriteria
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class ParticipationPolicy:
    """A game object's participation policy."""

    user_default_policy: Participation = Participation.DISPLAY
    policies: tuple[PolicyEntry, ...] = ()

    def decide(self, facts: UserFacts | None) -> Participation:
        """Return the participation of a user with these profile facts (None: no profile)."""
        if facts is None:
            return self.user_default_policy
        domain = _email_domain(facts.email)
        for entry in self.policies:
            if entry.match_criteria is MatchCriteria.BY_GROUP:
                if not entry.values.isdisjoint(facts.groups):
                    return entry.policy
            elif domain is not None and domain in entry.values:
                return entry.policy
        return self.user_default_policy

    @property
    def is_uniform(self) -> bool:
        """True when every user gets the default policy, so no profile needs to be read."""
        return not self.policies


DEFAULT_POLICY = ParticipationPolicy()


def _email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower()


def parse_participation_policy(raw: object, *, field: str = "participationPolicy") -> ParticipationPolicy:
    """Validate the API's participationPolicy value (None: everyone displayed)."""
    if raw is None:
        return DEFAULT_POLICY
    if not isinstance(raw, Mapping):
        raise DomainValidationError(field, "must be an object")
    default = raw.get("userDefaultPolicy")
    user_default = (
        Participation.DISPLAY
        if default is None
        else parse_enum(Participation, default, f"{field}.userDefaultPolicy")
    )
    entries = raw.get("policies")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise DomainValidationError(f"{field}.policies", "must be a list")
    return ParticipationPolicy(
        user_default,
        tuple(_parse_entry(entry, f"{field}.policies[{index}]") for index, entry in enumerate(entries)),
    )


def _parse_entry(raw: object, path: str) -> PolicyEntry:
    if not isinstance(raw, Mapping):
        raise DomainValidationError(path, "must be an object")
    policy = parse_enum(Participation, raw.get("policy"), f"{path}.policy")
    criteria = parse_enum(MatchCriteria, raw.get("matchCriteria"), f"{path}.matchCriteria")
    values = raw.get("values")
    if not isinstance(values, list) or not all(isinstance(value, str) and value.strip() for value in values):
        raise DomainValidationError(f"{path}.values", "must be a list of non-empty strings")
    if criteria is MatchCriteria.BY_EMAIL_DOMAIN:
        # "@internal.com" and "Internal.com" name the same domain as "internal.com".
        normalised = frozenset(value.strip().lstrip("@").lower() for value in values)
    else:
        normalised = frozenset(values)
    return PolicyEntry(policy, criteria, normalised)
