"""Typeform's error bodies: `{"code", "description", "details"}` for every error.

The codes of a 401 (`AUTHENTICATION_FAILED`) and of an unknown form (`FORM_NOT_FOUND`,
"Non existing form with uid ...") are Typeform's; a request Typeform refuses as invalid is
a `VALIDATION_ERROR` whose `details` name each wrong parameter (`field`, `in`). The codes
of 429s and of the statuses Typeform does not document are guesses (docs/typeform-emulator.md).
"""

from __future__ import annotations

from typing import Any

from ..toolkit import Answer

Detail = dict[str, str]

CODES = {
    400: "VALIDATION_ERROR",
    401: "AUTHENTICATION_FAILED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    429: "TOO_MANY_REQUESTS",
    500: "SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}

UNAUTHORIZED = "Authentication credentials not found on the Request Headers"


def code_for(status: int) -> str:
    return CODES.get(status, "SERVER_ERROR" if status >= 500 else "BAD_REQUEST")


def typeform_error(
    status: int,
    description: str,
    *,
    code: str | None = None,
    details: list[Detail] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    body: dict[str, Any] = {
        "code": code or code_for(status),
        "description": description,
        "details": details or [],
    }
    return Answer(status, body, headers)


def detail(field: str, description: str, *, where: str = "query", code: str = "INVALID") -> Detail:
    """One wrong parameter of a request: its name, where it was (`query`, `body`), why."""
    return {"code": code, "description": description, "field": field, "in": where}


def invalid(details: list[Detail]) -> Answer:
    """A 400 naming every wrong parameter; nothing was changed."""
    what = "; ".join(f"{d['field']}: {d['description']}" for d in details)
    return typeform_error(400, f"The request is invalid ({what}).", details=details)


def form_not_found(form_id: str) -> Answer:
    return typeform_error(404, f"Non existing form with uid {form_id}", code="FORM_NOT_FOUND")
