"""Rule conditions: parse the API's JSON into a tree, then compile the tree into one fast predicate.

`conditions` is a list (all must match) or `{"all": [...]}` / `{"any": [...]}`, nestable up to 8 levels with
at most 100 leaves; each leaf is `{fact, operator, value}` and a fact names an event field. What each
operator means is in `condition_operators`.
"""

from dataclasses import dataclass
from typing import Literal

from gameservices.domain.condition_operators import OPERATORS, Fields, Predicate, compile_operator
from gameservices.domain.errors import MISSING_MANDATORY_PARAMETER, DomainValidationError
from gameservices.domain.values import Scalar, is_scalar, looks_numeric, parse_number, split_items

__all__ = [
    "OPERATORS",
    "Fields",
    "Group",
    "Leaf",
    "Predicate",
    "compile_conditions",
    "parse_conditions",
    "split_event_type_pin",
]

MAX_DEPTH = 8
MAX_LEAVES = 100
MAX_FACT_CHARS = 128
_NUMERIC_OPERATORS = frozenset({"lessThan", "greaterThan"})
_SCALAR_OPERATORS = frozenset({"equal", "notEqual", "lessThan", "greaterThan"})


@dataclass(frozen=True, slots=True)
class Leaf:
    """One `{fact, operator, value}` test on an event field."""

    fact: str
    operator: str
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """All or any of the children must match; an empty `all` always matches, an empty `any` never."""

    kind: Literal["all", "any"]
    children: tuple["Leaf | Group", ...]


def parse_conditions(raw: object, *, field: str = "conditions") -> Group:
    """Validate the API's conditions value and return its tree; errors name the field path."""
    counter = [0]
    if isinstance(raw, list):
        return _parse_children("all", raw, field, 1, counter)
    if isinstance(raw, dict):
        return _parse_group_object(raw, field, 1, counter)
    raise DomainValidationError(field, "must be a list of conditions or an object with 'all' or 'any'")


def _parse_group_object(raw: dict[str, object], path: str, depth: int, counter: list[int]) -> Group:
    kinds = [kind for kind in ("all", "any") if kind in raw]
    if len(kinds) != 1:
        raise DomainValidationError(path, "must have exactly one of 'all' or 'any'")
    kind: Literal["all", "any"] = "all" if kinds[0] == "all" else "any"
    children = raw[kind]
    if not isinstance(children, list):
        raise DomainValidationError(f"{path}.{kind}", "must be a list of conditions")
    return _parse_children(kind, children, f"{path}.{kind}", depth, counter)


def _parse_children(
    kind: Literal["all", "any"], raw: list[object], path: str, depth: int, counter: list[int]
) -> Group:
    if depth > MAX_DEPTH:
        raise DomainValidationError(path, f"conditions may nest at most {MAX_DEPTH} levels deep")
    children: list[Leaf | Group] = []
    for index, item in enumerate(raw):
        item_path = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise DomainValidationError(item_path, "must be a condition object")
        if "all" in item or "any" in item:
            children.append(_parse_group_object(item, item_path, depth + 1, counter))
        else:
            counter[0] += 1
            if counter[0] > MAX_LEAVES:
                raise DomainValidationError(item_path, f"a rule may have at most {MAX_LEAVES} conditions")
            children.append(_parse_leaf(item, item_path))
    return Group(kind, tuple(children))


def _parse_leaf(raw: dict[str, object], path: str) -> Leaf:
    fact = raw.get("fact")
    if fact is None:
        raise DomainValidationError(f"{path}.fact", "is required", code=MISSING_MANDATORY_PARAMETER)
    if not isinstance(fact, str) or not fact.strip() or len(fact) > MAX_FACT_CHARS:
        raise DomainValidationError(
            f"{path}.fact", f"must be a field name of 1 to {MAX_FACT_CHARS} characters"
        )
    operator = raw.get("operator")
    if operator is None:
        raise DomainValidationError(f"{path}.operator", "is required", code=MISSING_MANDATORY_PARAMETER)
    # Checked as text first: a list or an object cannot be looked up in the operator table.
    if not isinstance(operator, str) or operator not in OPERATORS:
        raise DomainValidationError(f"{path}.operator", f"must be one of {', '.join(sorted(OPERATORS))}")
    return Leaf(fact, operator, _parse_value(raw, operator, f"{path}.value"))


def _parse_value(raw: dict[str, object], operator: str, path: str) -> Scalar | tuple[Scalar, ...]:
    if "value" not in raw:
        raise DomainValidationError(path, "is required", code=MISSING_MANDATORY_PARAMETER)
    value = raw["value"]
    if isinstance(value, list):
        if operator in _SCALAR_OPERATORS:
            raise DomainValidationError(path, f"must be a single value for {operator}")
        if not all(is_scalar(item) for item in value):
            raise DomainValidationError(path, "list items must be strings, numbers or booleans")
        return tuple(value)
    if not is_scalar(value):
        raise DomainValidationError(path, "must be a string, a number, a boolean or a list of them")
    if operator in _NUMERIC_OPERATORS and parse_number(value) is None:
        raise DomainValidationError(path, f"must be a number for {operator}")
    assert isinstance(value, str | int | float | bool)
    return value


def compile_conditions(group: Group) -> Predicate | None:
    """Compile a tree into one predicate over event fields; None means it always matches."""
    return _compile_node(group)


def _compile_node(node: Leaf | Group) -> Predicate | None:
    if isinstance(node, Leaf):
        return _compile_leaf(node)
    compiled = [_compile_node(child) for child in node.children]
    if node.kind == "all":
        return _all_of([predicate for predicate in compiled if predicate is not None])
    if any(predicate is None for predicate in compiled):
        return None
    return _any_of([predicate for predicate in compiled if predicate is not None])


def _all_of(predicates: list[Predicate]) -> Predicate | None:
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda fields: first(fields) and second(fields)
    frozen = tuple(predicates)

    # Plain loops: faster than all()/any() over a generator, and this runs for every event.
    def all_match(fields: Fields) -> bool:
        for predicate in frozen:  # noqa: SIM110
            if not predicate(fields):
                return False
        return True

    return all_match


def _any_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    frozen = tuple(predicates)

    def any_match(fields: Fields) -> bool:
        for predicate in frozen:  # noqa: SIM110
            if predicate(fields):
                return True
        return False

    return any_match


def _compile_leaf(leaf: Leaf) -> Predicate:
    return compile_operator(leaf.fact, leaf.operator, leaf.value)


def split_event_type_pin(group: Group) -> tuple[frozenset[str] | None, Group]:
    """Split a top-level `eventType` equal/in test off an `all` group: (event types, remaining group).

    The rule index files a rule under those event types, so the remaining group is all that is left to test.
    Returns (None, group) when the conditions do not pin the event type.
    """
    if group.kind != "all":
        return None, group
    for index, child in enumerate(group.children):
        if isinstance(child, Leaf) and child.fact == "eventType":
            pins = _pinned_event_types(child)
            if pins is not None:
                return pins, Group("all", group.children[:index] + group.children[index + 1 :])
    return None, group


def _pinned_event_types(leaf: Leaf) -> frozenset[str] | None:
    if leaf.operator == "equal":
        items: tuple[Scalar, ...] = (leaf.value,) if not isinstance(leaf.value, tuple) else leaf.value
    elif leaf.operator == "in":
        items = split_items(leaf.value)
    else:
        return None
    # A numeric-looking event type would also match other spellings of the number: leave it to the predicate.
    if not all(isinstance(item, str) and not looks_numeric(item) for item in items):
        return None
    return frozenset(str(item) for item in items)
