"""Typed reading of an API v3 action's parameters (or of one object parameter's properties), with the
Kaltura server's casts and its errors: a missing mandatory parameter, a number that is not one, text holding
characters XML cannot carry, an object sent as text."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from gameservices.services.kaltura import kaltura_v3 as v3_errors

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
# Integers are 64-bit on the Kaltura server.
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)
MAX_TEXT = 65536


class Arguments:
    """The parameters of one action call, or the properties of one object parameter."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def text(self, name: str, *, max_length: int = MAX_TEXT) -> str:
        """A mandatory text parameter."""
        found = self.optional_text(name, max_length=max_length)
        if found is None:
            raise v3_errors.missing_parameter(name)
        return found

    def optional_text(
        self, name: str, default: str | None = None, *, max_length: int = MAX_TEXT
    ) -> str | None:
        """A text parameter, or the default when it is absent (or sent as null)."""
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, dict | list):
            raise v3_errors.wrong_format(name, "string")
        if isinstance(value, bool):
            text = "1" if value else ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        if _NOT_XML.search(text):
            raise v3_errors.invalid_character(name)
        if len(text) > max_length:
            raise v3_errors.too_long(name, max_length)
        return text

    def integer(self, name: str, *, minimum: int = INT_MIN, maximum: int = INT_MAX) -> int:
        """A mandatory integer parameter."""
        found = self.optional_integer(name, minimum=minimum, maximum=maximum)
        if found is None:
            raise v3_errors.missing_parameter(name)
        return found

    def optional_integer(
        self, name: str, default: int | None = None, *, minimum: int = INT_MIN, maximum: int = INT_MAX
    ) -> int | None:
        """An integer parameter (a fraction is cut off, as the server casts it), or the default."""
        value = self.values.get(name)
        if value is None:
            return default
        number = _integer(name, value)
        if number < minimum:
            raise v3_errors.below_minimum(name, minimum)
        if number > maximum:
            raise v3_errors.above_maximum(name, maximum)
        return number

    def object(self, name: str) -> "Arguments":
        """A mandatory object parameter."""
        found = self.optional_object(name)
        if found is None:
            raise v3_errors.missing_parameter(name)
        return found

    def optional_object(self, name: str) -> "Arguments | None":
        """An object parameter's properties, or None when it is absent."""
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise v3_errors.wrong_format(name, "array")
        return Arguments(value)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | str) and _NUMBER.fullmatch(str(value)):
        try:
            exact = Decimal(str(value).strip())
        except InvalidOperation:
            raise v3_errors.not_numeric(name) from None
        # Checked before converting, so a huge exponent never becomes a huge integer.
        if exact.adjusted() > 18:
            raise (
                v3_errors.above_maximum(name, INT_MAX)
                if exact > 0
                else v3_errors.below_minimum(name, INT_MIN)
            )
        number = int(exact)
    else:
        raise v3_errors.not_numeric(name)
    if not INT_MIN <= number <= INT_MAX:
        raise v3_errors.above_maximum(name, INT_MAX) if number > 0 else v3_errors.below_minimum(name, INT_MIN)
    return number
