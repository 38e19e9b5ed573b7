"""Errors raised by the domain package.

    Exception
    ├── DomainValidationError  a rule, condition or policy definition is invalid (names the field)
    ├── EventRejected          one incoming event is refused (carries a stable code)
    └── EventSkipped           one rule cannot use an otherwise valid event (the other rules still see it)

Neither knows about HTTP: the API layer maps them to a status and the Kaltura error body.
"""

VALIDATION_ERROR = "VALIDATION_ERROR"
MISSING_MANDATORY_PARAMETER = "MISSING_MANDATORY_PARAMETER"
INVALID_ENUM_VALUE = "INVALID_ENUM_VALUE"


class DomainValidationError(Exception):
    """A definition sent by the API user is invalid; `field` is the path of the offending value."""

    def __init__(self, field: str, message: str, *, code: str = VALIDATION_ERROR) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code


class EventRejected(Exception):
    """An event cannot be applied; `code` is MISSING_MANDATORY_PARAMETER or VALIDATION_ERROR."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EventSkipped(Exception):
    """A rule cannot use an event (a metric, points or cap field it needs is missing or not a number).

    Only that rule ignores the event; `rule_id` names the rule (or sub-rule) that needed the value.
    """

    def __init__(self, rule_id: str, message: str) -> None:
        super().__init__(f"{rule_id}: {message}")
        self.rule_id = rule_id
        self.message = message
