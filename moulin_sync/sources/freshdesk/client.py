"""A thin client of Freshdesk's API v2: basic auth with the API key as the user and `X`
as the password, lists paged by the `link` header, paced to the plan's per-minute limits,
and every refusal said in one line naming the setting to fix. (The PyPI
`python-freshdesk` package is unmaintained and fails on some ticket sources.)"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from moulin_sync.sources.freshdesk.pacing import CreditPacer
from moulin_sync.sources.freshdesk.settings import API_KEY, BASE_URL, DOMAIN, PLAN

TICKETS = "/api/v2/tickets"
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0)  # a 5xx or a lost answer, then again
TIMEOUT_S = 30.0
MAX_429S = 10  # in a row for one call: another client keeps the account's credits


class FreshdeskError(RuntimeError):
    """Freshdesk refused or did not answer; the message names the setting and the fix."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_url: str | None  # the `link` header's next page, None on the last


def credits_of(params: Mapping[str, Any]) -> int:
    """A ticket list call's credits: 1, and 2 for each `include`."""
    include = str(params.get("include") or "")
    return 1 + 2 * len([name for name in include.split(",") if name.strip()])


class FreshdeskClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        plan: str = "growth",
        timeout_s: float = TIMEOUT_S,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
        address_setting: str = BASE_URL,
        web_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Where agents open a ticket: the account's own address (https://<domain>
        # .freshdesk.com), whatever address the API is reached at.
        self.web_url = (web_url or base_url).rstrip("/")
        # The setting the address came from: FRESHDESK_BASE_URL, or FRESHDESK_DOMAIN.
        self.address_setting = address_setting
        self.plan = plan
        self.pacer = CreditPacer(plan)
        self.retry_delays_s = retry_delays_s
        self.requests = 0  # answered, 429s and retries included
        self.rate_limited = 0
        self.retry_after_s = 0.0  # waited on 429s' Retry-After
        self._http = httpx.Client(base_url=self.base_url, auth=(api_key, "X"), timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FreshdeskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tickets(self, params: Mapping[str, Any]) -> Page:
        """One page of the ticket list."""
        return self.page(TICKETS, params, endpoint="tickets_list")

    def next_page(self, url: str, params: Mapping[str, Any]) -> Page:
        """The page the `link` header names (`params`: the first page's, for its credits)."""
        return self._page(url, None, credits_of(params), "tickets_list")

    def page(self, path: str, params: Mapping[str, Any], *, endpoint: str | None = None) -> Page:
        return self._page(path, dict(params), credits_of(params), endpoint)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._get(path, dict(params or {}), 1, None).json()

    def _page(
        self, url: str, params: dict[str, Any] | None, credits: int, endpoint: str | None
    ) -> Page:
        answer = self._get(url, params, credits, endpoint)
        link = answer.links.get("next", {}).get("url")
        return Page(list(answer.json() or []), link)

    def _get(
        self, url: str, params: dict[str, Any] | None, credits: int, endpoint: str | None
    ) -> httpx.Response:
        attempt = refused = 0
        while True:
            self.pacer.wait(credits, endpoint)
            try:
                answer = self._http.get(url, params=params)
            except httpx.HTTPError as exc:
                # Nobody at the address: twice more, not for long.
                retries = 2 if isinstance(exc, httpx.ConnectError) else len(self.retry_delays_s)
                if attempt < min(retries, len(self.retry_delays_s)):
                    time.sleep(self.retry_delays_s[attempt])
                    attempt += 1
                    continue
                raise FreshdeskError(
                    f"{self.address_setting}: Freshdesk does not answer at {self.base_url} "
                    f"({type(exc).__name__}). Check the account's address and that it is up."
                ) from None
            self.requests += 1
            self.pacer.heard(answer.headers, credits)
            if answer.status_code == 429 and refused < MAX_429S:
                # Not an attempt: the limit says when to come back.
                refused += 1
                self.rate_limited += 1
                wait = _retry_after(answer)
                self.retry_after_s += wait
                time.sleep(wait)
                continue
            if answer.status_code >= 500 and attempt < len(self.retry_delays_s):
                time.sleep(self.retry_delays_s[attempt])
                attempt += 1
                continue
            if answer.status_code < 400:
                return answer
            raise refusal(answer, self.base_url, self.address_setting)


def _retry_after(answer: httpx.Response) -> float:
    try:
        return max(float(answer.headers.get("Retry-After", "60")), 0.0)
    except ValueError:
        return 60.0


def refusal(answer: httpx.Response, base_url: str, address_setting: str) -> FreshdeskError:
    """Freshdesk's error as one line naming the setting to fix."""
    said = _said(answer)
    status = answer.status_code
    detail = f" ({said})" if said else ""
    if status == 401:
        return FreshdeskError(
            f"{API_KEY}: Freshdesk at {base_url} refused the API key (HTTP 401){detail}. Set "
            "an agent's API key (Freshdesk: Profile settings → View API key)."
        )
    if status == 403:
        return FreshdeskError(
            f"{API_KEY}: the agent of this API key may not read tickets at {base_url} (HTTP "
            f"403){detail}. Use the API key of an agent who sees every ticket."
        )
    if status == 404:
        return FreshdeskError(
            f"{address_setting}: no Freshdesk account answers at {base_url} (HTTP 404). Set "
            f"the account's subdomain in {DOMAIN} (lemoulin for lemoulin.freshdesk.com)."
        )
    if status == 429:
        return FreshdeskError(
            f"{PLAN}: Freshdesk at {base_url} kept refusing for its rate limit{detail}. Set "
            "the account's plan, so the pull keeps to its limits."
        )
    return FreshdeskError(f"Freshdesk at {base_url} answered HTTP {status}{detail}.")


def _said(answer: httpx.Response) -> str:
    """Freshdesk's own words: `{"description", "errors": [{"field", "message"}]}` or
    `{"code", "message"}`, in one line."""
    try:
        body = answer.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors") or []
    fields = "; ".join(
        f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
        for e in errors
        if isinstance(e, dict)
    )
    head = str(body.get("description") or body.get("message") or body.get("code") or "")
    return f"{head}: {fields}" if fields and head else (fields or head)
