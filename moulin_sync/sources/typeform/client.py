"""A thin client of Typeform's Responses API: a form's definition and its responses,
paced at Typeform's 2 requests per second, every refusal said in one line naming the
setting to fix. (The PyPI `typeform` package is unmaintained: httpx is enough.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from moulin_sync.sources.typeform.settings import FORM_ID, TOKEN

REQUESTS_PER_S = 2.0  # per account, Typeform's published limit
PAGE_SIZE = 1000  # the most Typeform gives per page
MAX_RETRIES = 5
RETRY_AFTER_S = 1.0  # a 429 without Retry-After: the second its window takes to pass
TIMEOUT_S = 30.0


class TypeformError(RuntimeError):
    """Typeform refused or did not answer; the message names the setting and the fix."""


@dataclass
class Pacer:
    """At most `per_s` requests a second, one after another, across threads."""

    per_s: float = REQUESTS_PER_S
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    waited_s: float = 0.0

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + 1.0 / self.per_s
        if start > now:
            self.waited_s += start - now
            self.sleep(start - now)


class TypeformClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        pacer: Pacer | None = None,
        timeout_s: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.pacer = pacer or Pacer()
        self.requests = 0  # answered, 429s and retries included
        self.rate_limited = 0
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TypeformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def form(self, form_id: str) -> dict[str, Any]:
        """The form's definition: its fields (id, ref, type) and hidden fields."""
        return self._get(f"/forms/{form_id}", {}, form_id)

    def responses(self, form_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One page of the form's responses: {total_items, page_count, items}."""
        return self._get(f"/forms/{form_id}/responses", params, form_id)

    def _get(self, path: str, params: Mapping[str, Any], form_id: str) -> dict[str, Any]:
        for attempt in range(MAX_RETRIES + 1):
            self.pacer.wait()
            try:
                answer = self._http.get(path, params=dict(params))
            except httpx.HTTPError as exc:
                if attempt < MAX_RETRIES:
                    time.sleep(min(2.0**attempt, 8.0))
                    continue
                raise TypeformError(
                    f"TYPEFORM_BASE_URL: Typeform does not answer at {self.base_url} "
                    f"({type(exc).__name__}). Check the address and that it is up."
                ) from None
            self.requests += 1
            if answer.status_code == 429 or answer.status_code >= 500:
                self.rate_limited += answer.status_code == 429
                if attempt < MAX_RETRIES:
                    time.sleep(_retry_after(answer))
                    continue
            if answer.status_code < 400:
                return answer.json()
            raise _refusal(answer, self.base_url, form_id)
        raise AssertionError("unreachable")  # the loop returns or raises


def _retry_after(answer: httpx.Response) -> float:
    try:
        return max(float(answer.headers.get("Retry-After", RETRY_AFTER_S)), 0.0)
    except ValueError:
        return RETRY_AFTER_S


def _refusal(answer: httpx.Response, base_url: str, form_id: str) -> TypeformError:
    """Typeform's error as one line naming the setting to fix."""
    try:
        body = answer.json()
        said = str(body.get("description") or body.get("code") or "")
    except ValueError:
        said = ""
    status = answer.status_code
    detail = f" ({said})" if said else ""
    if status in (401, 403):
        return TypeformError(
            f"{TOKEN}: Typeform at {base_url} refused the token (HTTP {status}){detail}. Set "
            "a personal access token with the responses:read and forms:read scopes."
        )
    if status == 404:
        return TypeformError(
            f"{FORM_ID}: Typeform has no form {form_id!r} for this token (HTTP 404){detail}. "
            "Set the NPS survey's form id (the part after /to/ in its link)."
        )
    return TypeformError(
        f"Typeform answered HTTP {status}{detail} to a request for form {form_id!r}."
    )
