"""One page of `GET /forms/{form_id}/responses`: the records a query selects, in its order.

Records are kept sorted by `(at, seq)`: the order Typeform processed them (`at` is the
submission time of a completed response, the landing time of another). A cursor (`after`,
`before`: a `token` or a `response_id`, exclusive) walks that order: `after` lists the next
ones oldest first, `before` the previous ones newest first; without a cursor the order is
`sort`'s (default newest submitted first). `total_items` counts what the query selects
past the cursor, so `page_count` reaches 0 when a reader has seen everything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .errors import detail, invalid
from .query import ListQuery

Record = dict[str, Any]


def list_page(records: list[Record], q: ListQuery, listed_until: int) -> dict[str, Any]:
    """The answer to `q` among `records` (sorted by `(at, seq)`), listing only records whose
    time is at most `listed_until` (Typeform's listing delay)."""
    after, before = _cursor(records, "after", q.after), _cursor(records, "before", q.before)
    selected = [
        r for r in records
        if r["at"] <= listed_until and _selected(r, q) and _within(r, after, before)
    ]  # fmt: skip
    ordered = _ordered(selected, q)
    page = ordered[: q.page_size]
    return {
        "total_items": len(ordered),
        "page_count": math.ceil(len(ordered) / q.page_size),
        "items": [_render(r["item"], q.fields) for r in page],
    }


def _key(record: Record) -> tuple[int, int]:
    return record["at"], record["seq"]


def _cursor(records: list[Record], name: str, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    for record in records:
        item = record["item"]
        if value in (item["token"], item["response_id"]):
            return _key(record)
    raise invalid([detail(name, f"{value!r} is not the token or response_id of a response of "
                          "this form; page with the token of the last item you listed")])  # fmt: skip


def _within(record: Record, after: tuple[int, int] | None, before: tuple[int, int] | None) -> bool:
    key = _key(record)
    return (after is None or key > after) and (before is None or key < before)


def _selected(record: Record, q: ListQuery) -> bool:
    item = record["item"]
    if item["response_type"] not in q.response_types:
        return False
    if (q.since is not None and record["at"] < q.since) or (
        q.until is not None and record["at"] > q.until
    ):
        return False
    rid = item["response_id"]
    if (q.included_ids is not None and rid not in q.included_ids) or rid in q.excluded_ids:
        return False
    if q.answered_fields is not None and not any(
        a["field"]["id"] in q.answered_fields for a in item["answers"]
    ):
        return False
    return q.text is None or _mentions(item, q.text.casefold())


def _mentions(item: dict[str, Any], text: str) -> bool:
    """`query`: the text in an answer, a hidden field or a variable (case aside)."""
    return any(text in value.casefold() for value in _searchable(item))


def _searchable(item: dict[str, Any]) -> Iterable[str]:
    for answer in item["answers"]:
        yield from _strings(answer[answer["type"]])
    yield from item.get("hidden", {}).values()
    for variable in item.get("variables", []):
        yield from _strings(variable.get(variable.get("type", "text")))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, int | float):
        yield f"{value:g}"
    elif isinstance(value, dict):
        for part in value.values():
            yield from _strings(part)
    elif isinstance(value, list):
        for part in value:
            yield from _strings(part)


def _ordered(selected: list[Record], q: ListQuery) -> list[Record]:
    if q.before is not None:
        return selected[::-1]
    if q.after is not None:
        return selected
    if q.sort_key == "submitted_at":
        return selected[::-1] if q.descending else selected
    if q.sort_key == "landed_at":
        return sorted(selected, key=lambda r: (r["item"]["landed_at"], r["seq"]),
                      reverse=q.descending)  # fmt: skip
    return _by_answer(selected, q.sort_key, q.descending)


def _by_answer(selected: list[Record], field_id: str, descending: bool) -> list[Record]:
    """Ordered by the answer to `field_id` (numbers, then text); the unanswered last."""
    answered: list[tuple[tuple[bool, Any], Record]] = []
    unanswered: list[Record] = []
    for record in selected:
        value = next((a[a["type"]] for a in record["item"]["answers"]
                      if a["field"]["id"] == field_id), None)  # fmt: skip
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            answered.append(((isinstance(value, str), value), record))
        elif value is not None:
            answered.append(((True, str(value)), record))
        else:
            unanswered.append(record)
    answered.sort(key=lambda pair: pair[0], reverse=descending)
    return [record for _, record in answered] + unanswered


def _render(item: dict[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    if fields is None:
        return item
    return {**item, "answers": [a for a in item["answers"] if a["field"]["id"] in fields]}
