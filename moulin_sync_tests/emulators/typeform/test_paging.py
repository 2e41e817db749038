"""Reading a whole form both ways: newest first with `before`, oldest first with
`sort=submitted_at,asc` and `since`, then `after=<token>` alone; at the 1,000-a-page bound."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import T0, item, listing, post_items, tokens


def read_newest_first(api: httpx.Client, page_size: int = 1000) -> list[list[str]]:
    """As Typeform's SDK pages: `before=<the last item's response_id>` until a short page."""
    pages = [listing(api, page_size=page_size)]
    while len(pages[-1]["items"]) == page_size:
        pages.append(listing(api, page_size=page_size,
                             before=pages[-1]["items"][-1]["response_id"]))  # fmt: skip
    return [tokens(p) for p in pages]


def read_oldest_first(api: httpx.Client, since: int, page_size: int = 1000) -> list[dict[str, Any]]:
    """As Airbyte's source pages: `sort=submitted_at,asc&since=`, then `after=<token>` alone
    until `page_count` is 0."""
    pages = [listing(api, page_size=page_size, sort="submitted_at,asc", since=since)]
    while pages[-1]["page_count"] > 0:
        pages.append(listing(api, page_size=page_size, after=pages[-1]["items"][-1]["token"]))
    return pages


def many(count: int) -> list[dict[str, Any]]:
    # Three responses a second: cursors must order the ones sharing a second.
    return [item(n, at=T0 + n // 3, score=n % 11) for n in range(count)]


@pytest.mark.parametrize("count", [1000, 1001])
def test_newest_first_with_before_at_the_1000_bound(
    api: httpx.Client, form: str, count: int
) -> None:
    post_items(api, many(count))
    pages = read_newest_first(api)
    assert [len(p) for p in pages] == ([1000, 0] if count == 1000 else [1000, 1])
    read = [t for p in pages for t in p]
    assert read == [f"tok-{n:05d}" for n in reversed(range(count))]
    first = listing(api, page_size=1000)
    assert (first["total_items"], first["page_count"]) == (count, 1 if count == 1000 else 2)


@pytest.mark.parametrize("count", [1000, 1001])
def test_oldest_first_with_since_then_after_alone_at_the_1000_bound(
    api: httpx.Client, form: str, count: int
) -> None:
    post_items(api, many(count))
    pages = read_oldest_first(api, since=T0)
    assert [len(p["items"]) for p in pages] == ([1000, 0] if count == 1000 else [1000, 1, 0])
    assert [p["page_count"] for p in pages] == ([1, 0] if count == 1000 else [2, 1, 0])
    read = [t for p in pages for t in tokens(p)]
    assert read == [f"tok-{n:05d}" for n in range(count)]


def test_small_pages_both_ways_read_each_response_once(api: httpx.Client, form: str) -> None:
    post_items(api, many(23))
    newest = [t for p in read_newest_first(api, page_size=5) for t in p]
    oldest = [t for p in read_oldest_first(api, since=T0, page_size=5) for t in tokens(p)]
    assert newest == oldest[::-1] == [f"tok-{n:05d}" for n in reversed(range(23))]


def test_an_incremental_reader_resumes_after_its_last_token(api: httpx.Client, form: str) -> None:
    post_items(api, many(10))
    first = read_oldest_first(api, since=T0)
    last = first[0]["items"][-1]["token"]
    post_items(api, [item(n, at=T0 + 100 + n) for n in range(10, 13)])
    resumed = listing(api, after=last, page_size=1000)
    assert tokens(resumed) == ["tok-00010", "tok-00011", "tok-00012"]
    assert tokens(listing(api, after="tok-00012")) == []


def test_before_and_after_bound_a_range_and_combine_with_filters(
    api: httpx.Client, form: str
) -> None:
    post_items(api, many(9))
    assert tokens(listing(api, after="tok-00002", before="tok-00006")) == [
        "tok-00005", "tok-00004", "tok-00003"]  # fmt: skip
    assert tokens(listing(api, after="tok-00002", until=T0 + 1)) == ["tok-00003", "tok-00004",
                                                                     "tok-00005"]  # fmt: skip
