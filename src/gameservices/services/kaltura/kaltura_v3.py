"""The errors of Kaltura API v3 as the Kaltura server words them (code, arguments, message), for the services
behind ``/api_v3``.

Each function builds one of the service's own errors (so the error table still decides what kind it is) with
the v3 code, the argument names the official clients read and the server's message template filled in.
Arguments are text, as the server sends them.
"""

from gameservices.errors import (
    AuthenticationFailed,
    GameServicesError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


def missing_parameter(name: str) -> InvalidInput:
    """A mandatory action parameter is absent."""
    return InvalidInput(
        f'Missing parameter "{name}"', code="MISSING_MANDATORY_PARAMETER", args={"PARAM_NAME": name}
    )


def invalid_enum_value(value: object, name: str, enum_type: str) -> InvalidInput:
    """A value outside its enumeration."""
    return InvalidInput(
        f'Invalid enumeration value "{value}" for parameter "{name}", expecting enumeration type "{enum_type}"',
        code="INVALID_ENUM_VALUE",
        args={"ENUM_VAL": str(value), "PARAM_NAME": name, "ENUM_TYPE": enum_type},
    )


def not_numeric(name: str) -> InvalidInput:
    """A number parameter that does not hold a number."""
    return InvalidInput(
        f'The property "{name}" must be numeric',
        code="PROPERTY_VALIDATION_NUMERIC_VALUE",
        args={"PROP_NAME": name},
    )


def below_minimum(name: str, minimum: int) -> InvalidInput:
    """A number under its smallest allowed value."""
    return InvalidInput(
        f'The property "{name}" must have a min value of {minimum}',
        code="PROPERTY_VALIDATION_MIN_VALUE",
        args={"PROP_NAME": name, "MIN_VAL": str(minimum)},
    )


def above_maximum(name: str, maximum: int) -> InvalidInput:
    """A number over its largest allowed value."""
    return InvalidInput(
        f'The property "{name}" must have a max value of {maximum}',
        code="PROPERTY_VALIDATION_MAX_VALUE",
        args={"PROP_NAME": name, "MAX_VAL": str(maximum)},
    )


def too_long(name: str, max_length: int) -> InvalidInput:
    """A text longer than allowed."""
    return InvalidInput(
        f'The property "{name}" cannot have more than {max_length} characters',
        code="PROPERTY_VALIDATION_MAX_LENGTH",
        args={"PROP_NAME": name, "MAX_LEN": str(max_length)},
    )


def wrong_format(name: str, expected: str) -> InvalidInput:
    """A parameter of the wrong shape (an object where text is expected, or the reverse)."""
    return InvalidInput(
        f'The property "{name}" must match format {expected}',
        code="PROPERTY_VALIDATION_WRONG_FORMAT",
        args={"PROP_NAME": name, "FORMAT": expected},
    )


def invalid_character(name: str) -> InvalidInput:
    """A text holding a character XML cannot carry (NUL and other control characters)."""
    return InvalidInput(
        f'Invalid char in "{name}" field', code="INVALID_PARAMETER_CHAR", args={"XML_FIELD": name}
    )


def game_object_id_required() -> InvalidInput:
    """The game plugin's filter names no game object."""
    return InvalidInput("gameObjectId is required", code="GAME_OBJECT_ID_REQUIRED")


def game_object_type_required() -> InvalidInput:
    """The game plugin's filter names no game-object type."""
    return InvalidInput("gameObjectType is required", code="GAME_OBJECT_TYPE_REQUIRED")


def user_id_required() -> InvalidInput:
    """The game plugin's update or delete names no user."""
    return InvalidInput("userIdEqual is required", code="USER_ID_EQUAL_REQUIRED")


def user_id_not_found(user_id: str) -> NotFound:
    """The user has no score on the game object."""
    return NotFound(f"userId [{user_id}] not found", code="USER_ID_NOT_FOUND", args={"USER_ID": user_id})


def start_session_error(partner_id: object) -> AuthenticationFailed:
    """``session.start`` with an unknown partner or a secret that is not the partner's."""
    shown = "" if partner_id is None else str(partner_id)
    return AuthenticationFailed(
        f"Error while starting session for partner [{shown}]", code="START_SESSION_ERROR", args={"PID": shown}
    )


def service_forbidden(service: str) -> PermissionDenied:
    """The KS may not call this action (``service->action``)."""
    return PermissionDenied(
        f"The access to service [{service}] is forbidden", code="SERVICE_FORBIDDEN", args={"SERVICE": service}
    )


def service_not_specified() -> InvalidInput:
    """A request without a service name."""
    return InvalidInput("Service name was not specified, please specify one", code="SERVICE_NOT_SPECIFIED")


def action_not_specified() -> InvalidInput:
    """A request without an action name."""
    return InvalidInput("Action name was not specified, please specify one", code="ACTION_NOT_SPECIFIED")


def service_does_not_exist(service: str) -> NotFound:
    """An unknown service."""
    return NotFound(
        f'Service "{service}" does not exists', code="SERVICE_DOES_NOT_EXISTS", args={"SRV_NAME": service}
    )


def action_does_not_exist(service: str, action: str) -> NotFound:
    """An unknown action of a known service."""
    return NotFound(
        f'Action "{action}" does not exists for service "{service}"',
        code="ACTION_DOES_NOT_EXISTS",
        args={"ACTION_NAME": action, "SERVICE_NAME": service},
    )


def unknown_response_format(format_: str) -> InvalidInput:
    """A ``format`` other than 1 (JSON) or 2 (XML)."""
    return InvalidInput(
        f"Response format provided [{format_}] not recognized by server",
        code="UNKNOWN_RESPONSE_FORMAT",
        args={"FORMAT": format_},
    )


def internal_error() -> GameServicesError:
    """A failure the caller cannot fix (the server's own code, typo included)."""
    return GameServicesError("Internal server error occurred", code="INTERNAL_SERVERL_ERROR")
