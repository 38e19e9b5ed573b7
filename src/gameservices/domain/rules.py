"""Rules: validation of the API's rule JSON into an immutable `Rule`.

`parse_rule` serves `rule/create`, where the guide's section 6.1 fields are required. `parse_badge_rule`
serves rules inline in `badge/create`, which may omit `mode` (distribute_points), `conditions` (match every
event), `points` (1) and `maxPoints` (unlimited). Sub-rules may omit the same fields; their conditions
default to the root's, their mode to `block_root_rule_if_exhausted`, and they share the root's recipient.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum, StrEnum

from gameservices.domain.conditions import Group, parse_conditions
from gameservices.domain.errors import DomainValidationError
from gameservices.domain.inputs import E, parse_enum, parse_field_name, parse_text, require
from gameservices.domain.rule_values import MaxPoints, Points, parse_group_by, parse_max_points, parse_points
from gameservices.domain.values import MAX_SCORE, parse_number

MAX_NAME_CHARS = 256
MAX_SUB_RULES = 10


class RuleType(StrEnum):
    """How a rule turns events into bucket progress."""

    SUM = "sum"
    COUNT = "count"
    COUNT_UNIQUE = "countUnique"
    COUNT_BOOLEAN = "countBoolean"
    EXTERNAL = "external"
    OVERRIDE = "override"


class RuleMode(StrEnum):
    """What a rule does with its progress."""

    DISTRIBUTE_POINTS = "distribute_points"
    DONT_DISTRIBUTE_POINTS = "dont_distribute_points"
    BLOCK_ROOT_RULE_WHILE_IN_PROGRESS = "block_root_rule_while_in_progress"
    BLOCK_ROOT_RULE_IF_EXHAUSTED = "block_root_rule_if_exhausted"


class RuleStatus(StrEnum):
    """Whether a rule sees events."""

    ENABLED = "enabled"
    DISABLED = "disabled"


class ReportFormat(StrEnum):
    """How reports show a rule's progress."""

    DEFAULT = "default"
    IN_MINUTES = "in_minutes"


def progress_as_shown(progress: float, report_format: object) -> float:
    """A rule's progress as it is reported: in minutes (seconds / 60, two decimals) for `in_minutes` rules."""
    if report_format == ReportFormat.IN_MINUTES:
        return round(progress / 60, 2)
    return progress


ROOT_MODES = frozenset({RuleMode.DISTRIBUTE_POINTS, RuleMode.DONT_DISTRIBUTE_POINTS})


@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule. `goal` and `points` do not shape the contribution of external/override rules.

    Sub-rules have ids `<root id>/<sub-rule id>` (the id the rule service stores with each sub-rule; its position
    when it has none), so each keeps its own buckets, whatever becomes of the other sub-rules.
    """

    id: str
    game_object_id: str
    name: str
    type: RuleType
    mode: RuleMode
    metric: str
    group_by: tuple[str, ...]
    goal: float
    points: Points
    max_points: MaxPoints
    conditions: Group
    status: RuleStatus = RuleStatus.ENABLED
    user_id_override: str | None = None
    report_format: ReportFormat = ReportFormat.DEFAULT
    sub_rules: tuple["Rule", ...] = ()
    inherits_conditions: bool = False

    @property
    def enabled(self) -> bool:
        """True when the rule sees events."""
        return self.status is RuleStatus.ENABLED


class _Kind(Enum):
    CREATE = "rule/create"
    BADGE = "badge rule"
    SUB = "sub-rule"


_EVERY_EVENT = Group("all", ())


def parse_rule(raw: object, *, rule_id: str, game_object_id: str, field: str = "") -> Rule:
    """Validate a `rule/create` body (every section 6.1 field required) into a Rule."""
    return _parse(raw, rule_id, game_object_id, _Kind.CREATE, field, None)


def parse_badge_rule(raw: object, *, rule_id: str, game_object_id: str, field: str = "") -> Rule:
    """Validate a rule inline in `badge/create`; mode, conditions, points and maxPoints may be omitted."""
    return _parse(raw, rule_id, game_object_id, _Kind.BADGE, field, None)


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _parse(
    raw: object, rule_id: str, game_object_id: str, kind: _Kind, prefix: str, root: Rule | None
) -> Rule:
    if not isinstance(raw, Mapping):
        raise DomainValidationError(prefix or "rule", "must be an object")
    rule_type = parse_enum(RuleType, raw.get("type"), _path(prefix, "type"))
    metric = parse_field_name(require(raw, "metric", _path(prefix, "metric")), _path(prefix, "metric"))
    if rule_type is RuleType.EXTERNAL and metric != "score":
        raise DomainValidationError(_path(prefix, "metric"), "must be 'score' for an external rule")
    points = _parse_points(raw, kind, prefix)
    conditions, inherited = _parse_rule_conditions(raw, kind, prefix, root)
    rule = Rule(
        id=rule_id,
        game_object_id=game_object_id,
        name=parse_text(
            require(raw, "name", _path(prefix, "name")), _path(prefix, "name"), max_chars=MAX_NAME_CHARS
        ),
        type=rule_type,
        mode=_parse_mode(raw, kind, prefix),
        metric=metric,
        group_by=parse_group_by(require(raw, "groupBy", _path(prefix, "groupBy")), _path(prefix, "groupBy")),
        goal=_parse_goal(raw, prefix),
        points=points,
        max_points=parse_max_points(raw.get("maxPoints"), _path(prefix, "maxPoints")),
        conditions=conditions,
        status=_parse_optional_enum(RuleStatus, raw, "status", prefix, RuleStatus.ENABLED),
        user_id_override=_parse_override(raw, kind, prefix, root),
        report_format=_parse_optional_enum(ReportFormat, raw, "reportFormat", prefix, ReportFormat.DEFAULT),
        inherits_conditions=inherited,
    )
    sub_rules = _parse_sub_rules(raw.get("subRules"), rule, kind, prefix)
    return replace(rule, sub_rules=sub_rules) if sub_rules else rule


def _parse_goal(raw: Mapping[str, object], prefix: str) -> float:
    path = _path(prefix, "goal")
    goal = parse_number(require(raw, "goal", path))
    if goal is None or goal <= 0:
        raise DomainValidationError(path, "must be a number greater than 0")
    if goal > MAX_SCORE:
        raise DomainValidationError(path, f"must be at most {MAX_SCORE} (2^53, the score limit)")
    return goal


def _parse_points(raw: Mapping[str, object], kind: _Kind, prefix: str) -> Points:
    path = _path(prefix, "points")
    if kind is _Kind.CREATE:
        return parse_points(require(raw, "points", path), path)
    value = raw.get("points")
    return Points(amount=1.0) if value is None else parse_points(value, path)


def _parse_mode(raw: Mapping[str, object], kind: _Kind, prefix: str) -> RuleMode:
    path = _path(prefix, "mode")
    value = raw.get("mode")
    if value is None and kind is _Kind.BADGE:
        return RuleMode.DISTRIBUTE_POINTS
    if value is None and kind is _Kind.SUB:
        return RuleMode.BLOCK_ROOT_RULE_IF_EXHAUSTED
    mode = parse_enum(RuleMode, value, path)
    if kind is not _Kind.SUB and mode not in ROOT_MODES:
        raise DomainValidationError(path, f"{mode.value} is only valid on a sub-rule")
    return mode


def _parse_rule_conditions(
    raw: Mapping[str, object], kind: _Kind, prefix: str, root: Rule | None
) -> tuple[Group, bool]:
    path = _path(prefix, "conditions")
    value = raw.get("conditions")
    if value is not None:
        return parse_conditions(value, field=path), False
    if root is not None:
        return root.conditions, True
    if kind is _Kind.BADGE:
        return _EVERY_EVENT, False
    return parse_conditions(require(raw, "conditions", path), field=path), False


def _parse_override(raw: Mapping[str, object], kind: _Kind, prefix: str, root: Rule | None) -> str | None:
    path = _path(prefix, "userIdOverride")
    value = raw.get("userIdOverride")
    if root is not None:
        if value not in (None, "", root.user_id_override):
            raise DomainValidationError(path, "a sub-rule scores the same user as its root rule")
        return root.user_id_override
    if value is None or value == "":
        return None
    return parse_field_name(value, path)


def _parse_optional_enum(kind: type[E], raw: Mapping[str, object], name: str, prefix: str, default: E) -> E:
    value = raw.get(name)
    return default if value is None else parse_enum(kind, value, _path(prefix, name))


def _parse_sub_rules(value: object, root: Rule, kind: _Kind, prefix: str) -> tuple[Rule, ...]:
    path = _path(prefix, "subRules")
    if value is None:
        return ()
    if kind is _Kind.SUB:
        raise DomainValidationError(path, "a sub-rule cannot have sub-rules")
    if not isinstance(value, list) or len(value) > MAX_SUB_RULES:
        raise DomainValidationError(path, f"must be a list of at most {MAX_SUB_RULES} rules")
    ids = sub_rule_ids(root.id, value)
    return tuple(
        _parse(item, ids[index], root.game_object_id, _Kind.SUB, f"{path}[{index}]", root)
        for index, item in enumerate(value)
    )


def sub_rule_ids(root_id: str, sub_rules: Sequence[object]) -> tuple[str, ...]:
    """The ids of a rule's sub-rules, in order, which key their buckets: `<root id>/<its stored id>`, so a
    sub-rule keeps its progress when others are added or removed before it; `<root id>/<position>` for one
    without an id of its own, or with an id an earlier one has (the rule service stores none so)."""
    ids: list[str] = []
    for index, raw in enumerate(sub_rules):
        given = raw.get("id") if isinstance(raw, Mapping) else None
        by_id = f"{root_id}/{given}" if isinstance(given, str) and given else None
        ids.append(by_id if by_id is not None and by_id not in ids else f"{root_id}/{index}")
    return tuple(ids)
