"""Profile facts for participation policies, read from the database as the engine asks for them."""

from gameservices.domain.policies import UserFacts
from gameservices.storage import user_profiles as profile_repository
from gameservices.storage.database import Connection
from gameservices.storage.user_profiles import ProfileRecord


def facts_of(record: ProfileRecord) -> UserFacts:
    """The facts policies read from a profile: e-mail and groups."""
    groups = record.data.get("groups") or ()
    return UserFacts(email=record.email, groups=frozenset(str(group) for group in groups))


class DatabaseProfiles:
    """The engine's ProfileLookup over one transaction: the batch's users read together when the first of them
    is asked for (never, when no policy needs a profile), any other user on its own."""

    def __init__(self, conn: Connection, partner_id: int, preload: list[str]) -> None:
        self._conn = conn
        self._partner_id = partner_id
        self._preload: list[str] | None = preload
        self._facts: dict[str, UserFacts | None] = {}

    def facts(self, user_id: str) -> UserFacts | None:
        """The user's profile facts, or None when the user has no profile."""
        if self._preload is not None:
            preload, self._preload = self._preload, None
            found = profile_repository.get_profiles(self._conn, partner_id=self._partner_id, user_ids=preload)
            self._facts.update(dict.fromkeys(preload))
            self._facts.update({key: facts_of(record) for key, record in found.items()})
        if user_id not in self._facts:
            record = profile_repository.get_profile(self._conn, partner_id=self._partner_id, user_id=user_id)
            self._facts[user_id] = None if record is None else facts_of(record)
        return self._facts[user_id]
