"""Freshdesk's error answers: `{"description": "Validation failed", "errors": [{"field",
"message", "code"}]}` for a 400 (and a 409 on a unique value), `{"code", "message"}` for
the other statuses, and a 404 with an empty body."""

from __future__ import annotations

from typing import Any

from ..toolkit import Answer

# The `code` Freshdesk puts beside the message for statuses that are not validations.
STATUS_CODES = {
    401: "invalid_credentials",
    403: "access_denied",
    405: "method_not_allowed",
    406: "invalid_accept_header",
    409: "inconsistent_state",
    415: "invalid_content_type",
    429: "rate_limit_exceeded",
}
UNEXPECTED_FIELD = "Unexpected/invalid field in request"


def field_error(field: str | None, message: str, code: str = "invalid_value") -> dict[str, Any]:
    error: dict[str, Any] = {"field": field, "message": message, "code": code}
    if field is None:
        del error["field"]
    return error


def validation_failed(errors: list[dict[str, Any]], status: int = 400) -> Answer:
    return Answer(status, {"description": "Validation failed", "errors": errors})


def invalid(field: str | None, message: str, code: str = "invalid_value") -> Answer:
    return validation_failed([field_error(field, message, code)])


def duplicate(field: str, user_id: int | None = None) -> Answer:
    """409: a value that must be unique (a contact's email, a company's name) is taken."""
    error = field_error(field, "It should be a unique value", "duplicate_value")
    if user_id is not None:
        error["additional_info"] = {"user_id": user_id}
    return validation_failed([error], 409)


def not_found() -> Answer:
    """Freshdesk answers an unknown id (or URL) with a 404 and an empty body."""
    return Answer(404, None)


def status_error(status: int, message: str) -> Answer:
    if status == 400:
        return invalid(None, message)
    if status == 404:
        return not_found()
    return Answer(status, {"code": STATUS_CODES.get(status, "error"), "message": message})


def invalid_credentials() -> Answer:
    return Answer(
        401,
        {
            "code": "invalid_credentials",
            "message": "You have to be logged in to perform this action.",
        },
    )
