"""The errors of gameservices, each with a stable Kaltura error code.

Errors carry meaning, not HTTP: the API layer maps each class to a status in one table.

    GameServicesError
    ├── InvalidInput                 bad request content
    │   ├── MissingParameter         MISSING_MANDATORY_PARAMETER
    │   ├── InvalidEnumValue         INVALID_ENUM_VALUE
    │   └── ValidationFailed         VALIDATION_ERROR (and more specific codes such as INVALID_CSV)
    ├── AuthenticationFailed         MISSING_KS, INVALID_KS
    ├── PermissionDenied             SERVICE_FORBIDDEN
    ├── NotFound                     OBJECT_NOT_FOUND, USER_ID_NOT_FOUND, SERVICE/ACTION_DOES_NOT_EXISTS
    ├── Conflict                     CONFLICT
    ├── PayloadTooLarge              PAYLOAD_TOO_LARGE
    └── RateLimited                  RATE_LIMITED
"""

from typing import Any


class GameServicesError(Exception):
    """Base of every error the service reports to a caller."""

    default_code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, code: str | None = None, args: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.arguments: dict[str, Any] = args or {}


class InvalidInput(GameServicesError):
    """The request content is wrong."""

    default_code = "VALIDATION_ERROR"


class MissingParameter(InvalidInput):
    """A mandatory field is absent."""

    def __init__(self, field: str) -> None:
        super().__init__(
            f'Missing parameter "{field}"', code="MISSING_MANDATORY_PARAMETER", args={"PARAM_NAME": field}
        )


class InvalidEnumValue(InvalidInput):
    """A field holds a value outside its enumeration."""

    def __init__(self, field: str, value: object, allowed: list[str]) -> None:
        super().__init__(
            f"Invalid enumeration value [{value}] for parameter [{field}], expecting one of [{', '.join(allowed)}]",
            code="INVALID_ENUM_VALUE",
            args={"PARAM_NAME": field, "VALUE": str(value)},
        )


class ValidationFailed(InvalidInput):
    """A field holds a value of the wrong shape or range."""

    def __init__(self, field: str, message: str, *, code: str = "VALIDATION_ERROR") -> None:
        text = f'Invalid value for field "{field}": {message}' if field else message
        super().__init__(text, code=code, args={"PARAM_NAME": field} if field else {})


class AuthenticationFailed(GameServicesError):
    """No KS, or a KS that is not valid."""

    default_code = "INVALID_KS"


class PermissionDenied(GameServicesError):
    """A valid KS that may not perform this action."""

    default_code = "SERVICE_FORBIDDEN"


class NotFound(GameServicesError):
    """An object, user, controller or action that does not exist for this partner."""

    default_code = "OBJECT_NOT_FOUND"


class ObjectNotFound(NotFound):
    """An object id unknown to the calling partner."""

    def __init__(self, object_id: object, object_type: str = "Object") -> None:
        super().__init__(
            f"{object_type} with id [{object_id}] not found",
            code="OBJECT_NOT_FOUND",
            args={"ID": str(object_id)},
        )


class PartnerNotFound(NotFound):
    """A partner id no partner has (the command line names one)."""

    def __init__(self, partner_id: int) -> None:
        super().__init__(f"Partner [{partner_id}] not found", args={"PARTNER_ID": partner_id})


class Conflict(GameServicesError):
    """The request conflicts with the current state."""

    default_code = "CONFLICT"


class PayloadTooLarge(GameServicesError):
    """The request is larger than the service accepts."""

    default_code = "PAYLOAD_TOO_LARGE"


class RateLimited(GameServicesError):
    """The partner sends requests faster than allowed."""

    default_code = "RATE_LIMITED"


class Unavailable(GameServicesError):
    """The service cannot answer this request now; the same request may succeed a moment later."""

    default_code = "SERVICE_TEMPORARILY_UNAVAILABLE"
