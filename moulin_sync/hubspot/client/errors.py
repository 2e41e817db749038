"""The exceptions of the HubSpot client layer.

Every message names the endpoint (``"POST /crm/v3/objects/contacts/batch/upsert"``) so a
failed asset says what it was doing; none ever contains the access token (the client
redacts it from anything the server echoes before building a message).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moulin_sync.hubspot.client.problems import (
    PropertyProblem,
    describe_problems,
    names_a_missing_target,
    parse_problems,
)

_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)", re.IGNORECASE)
# How many of a 400's per-property problems are spelled out in the message (all stay in
# `problems`): enough to fix a payload, short enough for a Dagster failure banner.
_DETAILS_IN_MESSAGE = 5


class HubSpotError(Exception):
    """Base of every error raised by `moulin_sync.hubspot`."""


class HubSpotConfigError(HubSpotError, ValueError):
    """The HubSpot resource is misconfigured (e.g. no access token)."""


class HubSpotApiError(HubSpotError):
    """HubSpot answered with a non-2xx status (after any retries the client allowed itself).

    `status`, `category` (e.g. ``VALIDATION_ERROR``, ``CONFLICT``, ``RATE_LIMIT``), the server's
    `message`, the per-property `problems` and the `correlation_id` HubSpot support asks for
    are kept as attributes.
    """

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        problems: tuple[PropertyProblem, ...] = (),
        correlation_id: str | None = None,
        *,
        endpoint: str = "",
        sub_category: str | None = None,
        policy_name: str | None = None,
        after_lost_answer: bool = False,
    ) -> None:
        self.status = status
        self.category = category
        self.message = message
        self.problems = tuple(problems)
        self.correlation_id = correlation_id
        self.endpoint = endpoint
        self.sub_category = sub_category
        self.policy_name = policy_name
        # A retry answered this after an earlier attempt of the same call went unanswered
        # (so a 409 may be that earlier attempt's own doing).
        self.after_lost_answer = after_lost_answer
        super().__init__(self._describe())

    @property
    def names_a_missing_target(self) -> bool:
        """Refused for an association to a record HubSpot lacks (merged, deleted)."""
        return names_a_missing_target(self.problems)

    @classmethod
    def from_body(cls, status: int, body: Any, endpoint: str) -> HubSpotApiError:
        """The error for an answer's status and (parsed) body, JSON or not."""
        kind = HubSpotNotFound if status == 404 else cls
        if not isinstance(body, Mapping):
            text = body if isinstance(body, str) else ""
            return kind(status, "", text.strip()[:300], endpoint=endpoint)
        return kind(
            status,
            str(body.get("category") or body.get("errorType") or ""),
            str(body.get("message") or ""),
            parse_problems(body.get("errors")),
            body.get("correlationId"),
            endpoint=endpoint,
            sub_category=body.get("subCategory"),
            policy_name=body.get("policyName"),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes would be lost by the default Exception pickling.
        return (
            _rebuild,
            (
                type(self),
                (self.status, self.category, self.message, self.problems, self.correlation_id),
                {
                    "endpoint": self.endpoint,
                    "sub_category": self.sub_category,
                    "policy_name": self.policy_name,
                    "after_lost_answer": self.after_lost_answer,
                },
            ),
        )

    @property
    def existing_id(self) -> str | None:
        """For a 409 CONFLICT, the id of the record that already exists ("Existing ID: N")."""
        if self.status != 409:
            return None
        match = _EXISTING_ID.search(self.message or "")
        return match.group(1) if match else None

    @property
    def codes(self) -> list[str]:
        """The error codes of the per-property problems, e.g. ``["INVALID_EMAIL"]``."""
        return [p.code for p in self.problems if p.code]

    @property
    def property_names(self) -> list[str]:
        """The properties the per-property problems are about."""
        return [name for p in self.problems for name in p.property_names]

    @property
    def reason(self) -> str:
        """Why HubSpot refused a record that failed this call alone, in words."""
        detail = describe_problems(self.problems)
        if detail:
            return f"HubSpot refused it: {detail}"
        on = f" on {', '.join(self.property_names)}" if self.property_names else ""
        codes = f" ({', '.join(self.codes)}{on})" if self.codes else ""
        return f"HubSpot refused it: {self.message}{codes}"

    def _describe(self) -> str:
        where = f"HubSpot {self.endpoint}" if self.endpoint else "HubSpot"
        label = f"{self.status} {self.category}".strip()
        text = f"{where} failed with HTTP {label}: {self.message or '(no message)'}"
        details = [
            f"{p.code or '?'} on {', '.join(p.property_names)}"
            if p.property_names
            else p.code or "?"
            for p in self.problems[:_DETAILS_IN_MESSAGE]
        ]
        if details:
            more = len(self.problems) - _DETAILS_IN_MESSAGE
            text += " [" + "; ".join(details) + (f"; and {more} more" if more > 0 else "") + "]"
        if self.status == 401:
            text += " — check HUBSPOT_ACCESS_TOKEN (a private app token with the CRM scopes)"
        elif self.status == 403:
            text += " — the private app lacks a scope this call needs"
        if self.correlation_id:
            text += f" (correlationId {self.correlation_id})"
        return text


class HubSpotNotFound(HubSpotApiError):
    """HubSpot answered 404: the record (or property, pipeline...) does not exist."""


class HubSpotConnectionError(HubSpotError):
    """No HTTP answer (connection refused or dropped, timeout) even after the allowed retries."""

    def __init__(self, message: str, *, endpoint: str = "") -> None:
        self.endpoint = endpoint
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (str(self),), {"endpoint": self.endpoint}))


class HubSpotAmbiguousWrite(HubSpotError):
    """A non-idempotent write (batch create, merge) was sent but its answer was lost.

    HubSpot may or may not have applied it; retrying blindly could create duplicates, so the
    client does not retry. The caller must reconcile: read back by its unique key (e.g. a
    batch read with `idProperty`) and only create what is really missing.
    """

    def __init__(self, message: str, *, endpoint: str = "", status: int | None = None) -> None:
        self.endpoint = endpoint
        self.status = status
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), (str(self),), {"endpoint": self.endpoint, "status": self.status}),
        )


class DailyBudgetExhausted(HubSpotError):
    """The portal's daily API budget is down to the reserve: stop the run cleanly.

    Raised *before* a call, so nothing is half-sent. The reserve is left for the portal's
    other integrations (forms, Typeform, Freshdesk); the next run continues where this one
    stopped because the sync state only records what HubSpot accepted.
    """

    def __init__(self, remaining: int, reserve: int, daily_limit: int | None) -> None:
        self.remaining = remaining
        self.reserve = reserve
        self.daily_limit = daily_limit
        of = f" of {daily_limit:,}" if daily_limit else ""
        super().__init__(
            f"HubSpot daily API budget nearly exhausted: {remaining:,} calls remain{of} today, "
            f"at or below the reserve of {reserve:,} kept for the portal's other integrations. "
            "Stopping cleanly now; the next run will continue where this one left off."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.remaining, self.reserve, self.daily_limit))


class SearchWindowTooLarge(HubSpotError):
    """A search asked for more than the 10,000 results HubSpot pages through per query."""

    def __init__(self, object_type: str, total: int | None, limit: int = 10_000) -> None:
        self.object_type = object_type
        self.total = total
        matches = f"matches {total:,} records" if total is not None else "goes on"
        super().__init__(
            f"HubSpot search on {object_type} {matches}, but HubSpot pages through at most "
            f"{limit:,} results per query: split the window (e.g. narrow a date or id range "
            "filter) and search each part separately."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.object_type, self.total))


def _rebuild(cls: type[Exception], args: tuple[Any, ...], attrs: dict[str, Any]) -> Exception:
    """Unpickle an exception whose constructor takes keyword-only arguments."""
    return cls(*args, **attrs)
