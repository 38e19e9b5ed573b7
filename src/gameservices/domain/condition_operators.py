"""Condition operators: each `{fact, operator, value}` leaf compiled into a predicate over event fields.

List facts (`categories`) match `in`/`contains` when they share at least one value with the condition's
value (a single value, a list, or a comma string); scalar facts match `in` when they are one of the values
and `contains` when the value is a substring. `equal` on a list fact compares the two sets of values.
Numbers compare numerically when both sides parse. The negative operators match a missing fact.
"""

from collections.abc import Callable, Mapping, Sequence

from gameservices.domain.values import (
    NUMBER_START,
    MatchKey,
    Scalar,
    has_key_in,
    id_string,
    key_set,
    match_key,
    parse_number,
    split_items,
)

Fields = Mapping[str, object]
Predicate = Callable[[Fields], bool]

OPERATORS = frozenset(
    {"equal", "notEqual", "lessThan", "greaterThan", "in", "notIn", "contains", "doesNotContain"}
)
_LIST_TYPES = (list, tuple)


def compile_operator(fact: str, operator: str, value: Scalar | tuple[Scalar, ...]) -> Predicate:
    """Compile one validated leaf into a predicate."""
    builder, negated = _BUILDERS[operator]
    predicate = builder(fact, value)
    if negated:
        # A missing fact fails the positive test, so the negation matches it, as the contract wants.
        return lambda fields: not predicate(fields)
    return predicate


def _build_equal(fact: str, value: Scalar | tuple[Scalar, ...]) -> Predicate:
    assert not isinstance(value, tuple)
    key = match_key(value)
    text = value if isinstance(value, str) else None
    items = frozenset(match_key(item) for item in split_items(value))

    def equal(fields: Fields) -> bool:
        found = fields.get(fact)
        if found is None:
            return False
        if found.__class__ is str:
            return found == text or match_key(found) == key
        if isinstance(found, _LIST_TYPES):
            return frozenset(match_key(item) for item in found) == items
        return match_key(found) == key  # type: ignore[arg-type]

    return equal


def _build_in(fact: str, value: Scalar | tuple[Scalar, ...]) -> Predicate:
    keys = key_set(split_items(value))

    def is_in(fields: Fields) -> bool:
        found = fields.get(fact)
        if found is None:
            return False
        if isinstance(found, _LIST_TYPES):
            return _shares_key(found, keys)
        return has_key_in(found, keys)  # type: ignore[arg-type]

    return is_in


def _build_contains(fact: str, value: Scalar | tuple[Scalar, ...]) -> Predicate:
    keys = key_set(split_items(value))
    needles = tuple(id_string(item) for item in (value if isinstance(value, tuple) else (value,)))

    def contains(fields: Fields) -> bool:
        found = fields.get(fact)
        if found is None:
            return False
        if isinstance(found, _LIST_TYPES):
            return _shares_key(found, keys)
        text = found if isinstance(found, str) else id_string(found)  # type: ignore[arg-type]
        return any(needle in text for needle in needles)

    return contains


def _shares_key(items: Sequence[Scalar], keys: frozenset[MatchKey]) -> bool:
    # A plain loop with an exact-text shortcut: list facts are tested on nearly every event. Text that does
    # not start like a number has no match key but itself, so the general test is skipped for it.
    for item in items:
        if item.__class__ is str:
            if item in keys:
                return True
            if not item or item[0] not in NUMBER_START:
                continue
        if has_key_in(item, keys):
            return True
    return False


def _build_less_than(fact: str, value: Scalar | tuple[Scalar, ...]) -> Predicate:
    bound = parse_number(value)
    assert bound is not None

    def less_than(fields: Fields) -> bool:
        number = parse_number(fields.get(fact))
        return number is not None and number < bound

    return less_than


def _build_greater_than(fact: str, value: Scalar | tuple[Scalar, ...]) -> Predicate:
    bound = parse_number(value)
    assert bound is not None

    def greater_than(fields: Fields) -> bool:
        number = parse_number(fields.get(fact))
        return number is not None and number > bound

    return greater_than


_Builder = Callable[[str, Scalar | tuple[Scalar, ...]], Predicate]
_BUILDERS: dict[str, tuple[_Builder, bool]] = {
    "equal": (_build_equal, False),
    "notEqual": (_build_equal, True),
    "lessThan": (_build_less_than, False),
    "greaterThan": (_build_greater_than, False),
    "in": (_build_in, False),
    "notIn": (_build_in, True),
    "contains": (_build_contains, False),
    "doesNotContain": (_build_contains, True),
}
