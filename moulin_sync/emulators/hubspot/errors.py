"""HubSpot-shaped error bodies and the exception that carries them through the emulator."""

from __future__ import annotations

import json
import uuid
from dataclasses import KW_ONLY, dataclass
from typing import Any

from ..toolkit import ServiceError

# Invalid property values: (property name, error code, message).
Problems = list[tuple[str, str, str]]


def correlation_id() -> str:
    return str(uuid.uuid4())


@dataclass(eq=False)
class ApiError(ServiceError):
    """An error answered with HubSpot's `Error` body: status, message, correlationId, category."""

    status: int
    category: str
    message: str
    _: KW_ONLY
    errors: list[dict[str, Any]] | None = None
    context: dict[str, list[str]] | None = None
    sub_category: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id(),
            "category": self.category,
        }
        if self.sub_category:
            out["subCategory"] = self.sub_category
        if self.errors is not None:
            out["errors"] = self.errors
        if self.context is not None:
            out["context"] = self.context
        return out

    def standard_error(self, context: dict[str, list[str]] | None = None) -> dict[str, Any]:
        """The `StandardError` form used inside a 207 batch answer's `errors` list."""
        out: dict[str, Any] = {
            "status": "error",
            "category": self.category,
            "message": self.message,
            "errors": self.errors or [],
            "context": {**(self.context or {}), **(context or {})},
            "links": {},
        }
        if self.sub_category:
            out["subCategory"] = self.sub_category
        return out


@dataclass(eq=False)
class PropertyError(Exception):
    """One invalid property value (collected into a VALIDATION_ERROR)."""

    code: str
    message: str

    def __post_init__(self) -> None:
        super().__init__(self.message)


def validation_error(problems: Problems) -> ApiError:
    """Build HubSpot's 400 for invalid property values from (name, code, message) triples."""
    legacy = [
        {
            "isValid": False,
            "message": msg,
            "error": code,
            "name": name,
            "localizedErrorMessage": msg,
        }
        for name, code, msg in problems
    ]
    return ApiError(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(legacy),
        errors=[
            {"message": msg, "code": code, "context": {"propertyName": [name]}}
            for name, code, msg in problems
        ],
    )


def bad_request(message: str, code: str | None = None) -> ApiError:
    errors = [{"message": message, "code": code}] if code else None
    return ApiError(400, "VALIDATION_ERROR", message, errors=errors)


def not_found(message: str = "resource not found") -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", message)
