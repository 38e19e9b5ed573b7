"""The buckets of a `gameObject.rebuild` entry, as the engine names them now (revision 0020): entries written when
sub-rules' buckets were keyed by position name the sub-rule that held the position then."""

from gameservices.projection.apply import rebuilt_buckets
from gameservices.storage.rules import RuleRecord


def _rule(rule_id: str, sub_rules: list[dict[str, str]]) -> RuleRecord:
    data = {"type": "count", "subRules": sub_rules}
    return RuleRecord(rule_id, 1, "leaderboard", "board", "R", "enabled", 0, data, 0, 0)


def _row(rule_id: str) -> list[object]:
    return [rule_id, ["ann"], "ann", 1.0, 1.0, None, None, 1.0]


def test_positions_of_old_entries_name_the_sub_rule_that_held_them() -> None:
    a_id, b_id = "a" * 24, "b" * 24
    rules = {"root": _rule("root", [{"id": a_id}, {"id": b_id}]), "bare": _rule("bare", [{"name": "no id"}])}
    rows = [
        _row("root"),
        _row("root/0"),
        _row("root/1"),
        _row(f"root/{b_id}"),
        _row("root/7"),
        _row("bare/0"),
    ]
    found = rebuilt_buckets(rows, rules)
    assert sorted(rule_id for rule_id, _ in found) == sorted(
        ["root", f"root/{a_id}", f"root/{b_id}", "root/7", "bare/0"]
    )
    # Without its rule (deleted since), a bucket keeps the name it was written with.
    assert [rule_id for rule_id, _ in rebuilt_buckets([_row("gone/0")], {})] == ["gone/0"]
