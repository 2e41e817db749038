"""What every Freshdesk list shares: the query parameters it accepts (any other is a 400
`invalid_field`), `page` and `per_page` (default 30, at most 100), `updated_since`, and
the `link` header to the next page, built on the request's own host."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from ..toolkit import Req
from . import timefmt
from .answers import UNEXPECTED_FIELD, field_error, invalid, validation_failed

T = TypeVar("T")
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
PER_PAGE_MESSAGE = f"It should be a Positive Integer less than or equal to {MAX_PER_PAGE}"


def refuse_unknown(req: Req, allowed: Collection[str]) -> None:
    unknown = [name for name in req.query if name not in allowed]
    if unknown:
        raise validation_failed(
            [field_error(name, UNEXPECTED_FIELD, "invalid_field") for name in unknown]
        )


def positive(req: Req, name: str, default: int, message: str) -> int:
    raw = req.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, message, "datatype_mismatch") from None
    if value < 1:
        raise invalid(name, message)
    return value


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @classmethod
    def of(cls, req: Req) -> Page:
        size = positive(req, "per_page", DEFAULT_PER_PAGE, PER_PAGE_MESSAGE)
        if size > MAX_PER_PAGE:
            raise invalid("per_page", PER_PAGE_MESSAGE)
        return cls(positive(req, "page", 1, "It should be a Positive Integer"), size)

    def slice(self, items: Sequence[T]) -> tuple[Sequence[T], bool]:
        """This page's items, and whether a next page has any."""
        start = (self.number - 1) * self.size
        return items[start : start + self.size], len(items) > start + self.size


def since(req: Req, *names: str) -> int | None:
    """The epoch seconds of the first of `names` given (`updated_since`...), or None."""
    for name in names:
        raw = req.query.get(name)
        if raw is None:
            continue
        epoch = timefmt.parse(raw)
        if epoch is None:
            raise invalid(name, "It should be in the 'Combined date and time ISO8601' format")
        return epoch
    return None


def next_link(req: Req, path: str, page: Page) -> dict[str, str]:
    """The `link` header pointing at the page after `page`, on the request's host."""
    items: list[tuple[str, Any]] = [(k, v) for k, v in req.query.multi_items() if k != "page"]
    items.append(("page", page.number + 1))
    host = req.headers.get("host", "localhost")
    return {"link": f'<http://{host}{path}?{urlencode(items)}>; rel="next"'}


def listed(
    req: Req, path: str, page: Page, items: Sequence[T], render: Callable[[T], Any]
) -> tuple[int, Any, dict[str, str]]:
    """The answer of a list: this page of `items` rendered, with the `link` to the next."""
    shown, more = page.slice(items)
    return 200, [render(item) for item in shown], next_link(req, path, page) if more else {}


class ListCache:
    """Sorted listings kept until the account changes (`version`): a client walking 1,000
    pages of 100,000 records sorts them once."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._found: dict[Any, list[Any]] = {}

    def get(self, version: int, key: Any, compute: Callable[[], list[T]]) -> list[T]:
        full = (version, key)
        found = self._found.get(full)
        if found is None:
            if len(self._found) >= self.size:
                self._found.clear()
            found = self._found[full] = compute()
        return found
