"""Sub-rules' buckets are keyed by the sub-rule's stored id, `<root rule id>/<sub-rule id>`, instead of its
position, `<root rule id>/<position>`: removing a sub-rule before others handed its buckets (its progress) to the
one after it. Existing buckets and seen values move to the key of the sub-rule that holds the position now
(replacing any left under that key; going down, those of a position left behind by a removed sub-rule).

Revision ID: 0020
Revises: 0019
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"

_rules = sa.table("rules", sa.column("id"), sa.column("partner_id"), sa.column("data", sa.JSON))
_TABLES = ("buckets", "bucket_values")


def _renames() -> list[tuple[int, str, str]]:
    """(partner, position key, id key) of every stored sub-rule with an id."""
    renames: list[tuple[int, str, str]] = []
    for rule_id, partner_id, data in op.get_bind().execute(
        sa.select(_rules.c.id, _rules.c.partner_id, _rules.c.data)
    ):
        sub_rules: Any = data.get("subRules") if isinstance(data, dict) else None
        if not isinstance(sub_rules, list):
            continue
        seen: set[str] = set()
        for index, sub_rule in enumerate(sub_rules):
            given = sub_rule.get("id") if isinstance(sub_rule, dict) else None
            # As the rules engine names them (domain.rules._sub_rule_id): an id used twice keeps its position.
            if isinstance(given, str) and given and given not in seen:
                seen.add(given)
                renames.append((partner_id, f"{rule_id}/{index}", f"{rule_id}/{given}"))
    return renames


def _move(renames: list[tuple[int, str, str]], *, forward: bool) -> None:
    bind = op.get_bind()
    for name in _TABLES:
        table = sa.table(name, sa.column("partner_id"), sa.column("rule_id"))
        for partner_id, by_position, by_id in renames:
            old, new = (by_position, by_id) if forward else (by_id, by_position)
            # Rows already under the new key are stale: going down, those of a position whose sub-rule was
            # removed while buckets were keyed by position, now the key of the sub-rule holding the position.
            # (The keys moved from and to never meet: positions are digits, stored ids are not.)
            bind.execute(
                sa.delete(table).where((table.c.partner_id == partner_id) & (table.c.rule_id == new))
            )
            bind.execute(
                sa.update(table)
                .where((table.c.partner_id == partner_id) & (table.c.rule_id == old))
                .values(rule_id=new)
            )


def upgrade() -> None:
    _move(_renames(), forward=True)


def downgrade() -> None:
    _move(_renames(), forward=False)
