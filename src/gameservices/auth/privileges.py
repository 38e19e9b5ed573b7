"""KS privileges: the comma-separated `name[:value]` list a KS carries, read as the Kaltura server reads it.

`setrole:3,iprestrict:1.2.3.4,urirestrict:/api/*,disableentitlement` names four privileges. A value is split
on `/` into a list (so `iprestrict:1.2.3.4/5.6.7.8` allows either address), a repeated name collects the
values of every occurrence, and a name without a value is present with no values. Names are taken as
written: the Kaltura server does not trim spaces around them, so neither does this module.
"""

from dataclasses import dataclass

PRIVILEGE_SET_ROLE = "setrole"
PRIVILEGE_IP_RESTRICTION = "iprestrict"
PRIVILEGE_URI_RESTRICTION = "urirestrict"
PRIVILEGE_ACTIONS_LIMIT = "actionslimit"
# A larger `actionslimit` is as good as none, and is read as this many (a count never gets there).
MAX_ACTIONS_LIMIT = 10**18

_VALUE_DELIMITER = "/"
_URI_ALTERNATIVES = "|"
_URI_PREFIX_WILDCARD = "*"


@dataclass(frozen=True)
class Privileges:
    """One KS's privileges: `raw` as the KS states them, `entries` as (name, values) in first-seen order."""

    raw: str = ""
    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def parse(cls, raw: str) -> "Privileges":
        """Parse a privilege string such as `setrole:3,iprestrict:1.2.3.4,disableentitlement`."""
        collected: dict[str, list[str]] = {}
        for privilege in raw.split(","):
            name, separator, value = privilege.partition(":")
            if not name:
                continue
            values = collected.setdefault(name, [])
            if separator and value:
                values.extend(value.split(_VALUE_DELIMITER))
        return cls(raw=raw, entries=tuple((name, tuple(values)) for name, values in collected.items()))

    def get(self, name: str) -> tuple[str, ...] | None:
        """The values of privilege `name` (empty when it has none), or None when the KS lacks it."""
        for entry_name, values in self.entries:
            if entry_name == name:
                return values
        return None

    def has(self, name: str) -> bool:
        """Whether the KS carries privilege `name`, with or without a value."""
        return self.get(name) is not None

    @property
    def role_ids(self) -> tuple[str, ...]:
        """The role ids (or role system names) named by `setrole`; the Kaltura server applies the first."""
        return self.get(PRIVILEGE_SET_ROLE) or ()

    @property
    def ip_restrict(self) -> tuple[str, ...] | None:
        """The client addresses `iprestrict` allows, or None when the KS is not IP-restricted."""
        return self.get(PRIVILEGE_IP_RESTRICTION)

    @property
    def uri_restrict(self) -> tuple[str, ...] | None:
        """The URIs `urirestrict` allows (`|`-separated, trailing `*` = prefix), or None if unrestricted."""
        values = self.get(PRIVILEGE_URI_RESTRICTION)
        if values is None:
            return None
        # The value was split on "/" like every privilege value; a URI list is rejoined and split on "|".
        return tuple(_VALUE_DELIMITER.join(values).split(_URI_ALTERNATIVES))

    @property
    def actions_limit(self) -> int | None:
        """How many requests `actionslimit` allows the KS, or None when it carries no such limit. A value that
        is not a non-negative decimal integer (or no value) allows none: the KS asked for a limit it cannot
        be held to otherwise."""
        values = self.get(PRIVILEGE_ACTIONS_LIMIT)
        if values is None:
            return None
        first = values[0] if values else ""
        if not (first.isascii() and first.isdigit()):
            return 0
        digits = first.lstrip("0") or "0"  # (zeros before the number: its length alone does not bound it)
        return (
            MAX_ACTIONS_LIMIT
            if len(digits) > len(str(MAX_ACTIONS_LIMIT))
            else min(int(digits), MAX_ACTIONS_LIMIT)
        )


def ip_allowed(privileges: Privileges, client_ip: str) -> bool:
    """Whether `client_ip` satisfies the KS's `iprestrict` (exact address match, as Kaltura compares)."""
    allowed = privileges.ip_restrict
    return allowed is None or client_ip in allowed


def uri_allowed(privileges: Privileges, uri: str) -> bool:
    """Whether the request URI satisfies the KS's `urirestrict`: exact match, or prefix match for `x*`."""
    allowed = privileges.uri_restrict
    if allowed is None:
        return True
    return any(uri == pattern or _matches_prefix(uri, pattern) for pattern in allowed)


def _matches_prefix(uri: str, pattern: str) -> bool:
    return pattern.endswith(_URI_PREFIX_WILDCARD) and uri.startswith(pattern[: -len(_URI_PREFIX_WILDCARD)])
