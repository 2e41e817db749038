"""Reading a request's JSON object field by field, as Freshdesk validates it: every problem
is collected and the request answers them all at once (`Fields.check`), in Freshdesk's
words (`It should be a/an Integer`, `Unexpected/invalid field in request`...)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any

from . import timefmt
from .answers import UNEXPECTED_FIELD, field_error, invalid, validation_failed

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MISSING = object()


def choices_message(choices: Iterable[object]) -> str:
    return "It should be one of these values: '" + ",".join(str(c) for c in choices) + "'"


class Fields:
    """The JSON object `body`; `prefix` names its fields in errors (`tickets[3].status`)."""

    def __init__(self, body: Any, allowed: Collection[str], prefix: str = "") -> None:
        if not isinstance(body, dict):
            raise invalid(prefix.rstrip(".") or None, "It should be a JSON object", "invalid_json")
        self.body = body
        self.prefix = prefix
        self.errors: list[dict[str, Any]] = [
            field_error(prefix + name, UNEXPECTED_FIELD, "invalid_field")
            for name in body
            if name not in allowed
        ]

    def __contains__(self, name: str) -> bool:
        return name in self.body

    def problem(self, name: str, message: str, code: str = "invalid_value") -> None:
        self.errors.append(field_error(self.prefix + name, message, code))

    def check(self) -> None:
        """Answer every problem found so far (400, Validation failed)."""
        if self.errors:
            raise validation_failed(self.errors)

    def _value(self, name: str, required: bool, kind: str) -> Any:
        value = self.body.get(name, MISSING)
        if value is MISSING and required:
            self.problem(name, f"It should be a/an {kind}", "missing_field")
        return value

    def string(self, name: str, *, required: bool = False, nullable: bool = True) -> Any:
        value = self._value(name, required, "String")
        if value is MISSING or (value is None and nullable and not required):
            return value
        if not isinstance(value, str):
            self.problem(name, "It should be a/an String", "datatype_mismatch")
            return MISSING
        return value

    def integer(
        self, name: str, *, required: bool = False, choices: Collection[int] | None = None
    ) -> Any:
        value = self._value(name, required, "Integer")
        if value is MISSING or (value is None and not required and choices is None):
            return value
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(name, "It should be a/an Integer", "datatype_mismatch")
            return MISSING
        if choices is not None and value not in choices:
            self.problem(name, choices_message(choices))
            return MISSING
        return value

    def choice(self, name: str, choices: Collection[str]) -> Any:
        """A dropdown's value (a ticket's `type`): one of `choices`, or null."""
        value = self.string(name)
        if isinstance(value, str) and value not in choices:
            self.problem(name, choices_message(choices))
            return MISSING
        return value

    def boolean(self, name: str) -> Any:
        value = self.body.get(name, MISSING)
        if value is not MISSING and not isinstance(value, bool):
            self.problem(name, "It should be a/an Boolean", "datatype_mismatch")
            return MISSING
        return value

    def strings(self, name: str) -> Any:
        value = self.body.get(name, MISSING)
        if value is MISSING:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(name, "It should be a/an Array of String", "datatype_mismatch")
            return MISSING
        return list(value)

    def emails(self, name: str) -> Any:
        value = self.strings(name)
        if isinstance(value, list) and not all(EMAIL.match(v) for v in value):
            self.problem(name, "It should contain elements in the 'valid email address' format")
            return MISSING
        return value

    def email(self, name: str, *, required: bool = False) -> Any:
        value = self.string(name, required=required)
        if isinstance(value, str):
            if not EMAIL.match(value.strip()):
                self.problem(name, "It should be in the 'valid email address' format")
                return MISSING
            return value.strip().lower()
        return value

    def mapping(self, name: str) -> Any:
        value = self.body.get(name, MISSING)
        if value is not MISSING and not isinstance(value, dict):
            self.problem(name, "It should be a/an key/value pair", "datatype_mismatch")
            return MISSING
        return value

    def datetime(self, name: str, *, required: bool = False) -> Any:
        """Epoch seconds of an ISO 8601 date-time field (null allowed unless required)."""
        value = self._value(name, required, "date-time")
        if value is MISSING or (value is None and not required):
            return value
        epoch = timefmt.parse(value) if isinstance(value, str) else None
        if epoch is None:
            self.problem(name, "It should be in the 'Combined date and time ISO8601' format")
            return MISSING
        return epoch


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The fields that were present and valid."""
    return {k: v for k, v in values.items() if v is not MISSING}
