"""The parameters of `GET /forms/{form_id}/responses`, checked as Typeform checks them: one
400 naming every wrong parameter (`details`), parameters Typeform does not know ignored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from .errors import Detail, detail
from .items import RESPONSE_TYPES
from .timestamps import parse_query_time

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 25
TIME_SORTS = ("submitted_at", "landed_at")


@dataclass
class ListQuery:
    page_size: int = DEFAULT_PAGE_SIZE
    since: int | None = None
    until: int | None = None
    after: str | None = None
    before: str | None = None
    sort_key: str = "submitted_at"  # submitted_at, landed_at or a field id
    descending: bool = True
    response_types: frozenset[str] = frozenset({"completed"})
    included_ids: frozenset[str] | None = None
    excluded_ids: frozenset[str] = frozenset()
    text: str | None = None  # `query`
    fields: frozenset[str] | None = None
    answered_fields: frozenset[str] | None = None
    problems: list[Detail] = field(default_factory=list)


def parse_list_query(params: QueryParams, form: dict[str, Any]) -> ListQuery:
    """The listing `params` ask for; `problems` lists what is wrong (a 400 when any)."""
    q = ListQuery()
    get = params.get
    q.page_size = _page_size(q, get("page_size"))
    q.since = _time(q, "since", get("since"))
    q.until = _time(q, "until", get("until"))
    q.after = get("after") or None
    q.before = get("before") or None
    _sort(q, get("sort"), form)
    q.response_types = _types(q, get("completed"), get("response_type"))
    q.included_ids = _csv(get("included_response_ids"))
    q.excluded_ids = _csv(get("excluded_response_ids")) or frozenset()
    q.text = get("query") or None
    q.fields = _csv(get("fields"))
    q.answered_fields = _csv(get("answered_fields"))
    return q


def _page_size(q: ListQuery, value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if value.isdigit() and 1 <= int(value) <= MAX_PAGE_SIZE:
        return int(value)
    q.problems.append(detail("page_size", f"must be an integer from 1 to {MAX_PAGE_SIZE}, "
                             f"got {value!r}; page with before/after or since/until"))  # fmt: skip
    return DEFAULT_PAGE_SIZE


def _time(q: ListQuery, name: str, value: str | None) -> int | None:
    if not value:
        return None
    parsed = parse_query_time(value)
    if parsed is None:
        q.problems.append(detail(name, f"{value!r} is neither epoch seconds nor an ISO 8601 "
                                 "date-time like 2020-03-20T14:00:59"))  # fmt: skip
    return parsed


def _sort(q: ListQuery, value: str | None, form: dict[str, Any]) -> None:
    if not value:  # absent or empty (Airbyte sends `sort=` with its cursor)
        return
    key, _, direction = value.partition(",")
    field_ids = {f["id"] for f in form["fields"]}
    if (key not in TIME_SORTS and key not in field_ids) or direction not in ("asc", "desc"):
        q.problems.append(detail("sort", f"{value!r} is not {{field}},{{asc|desc}} with field "
                                 "submitted_at, landed_at or a field id of the form"))  # fmt: skip
        return
    if q.after or q.before:
        q.problems.append(detail("sort", "cannot be used together with after or before: a "
                                 "cursor lists in the order responses were submitted"))  # fmt: skip
        return
    q.sort_key, q.descending = key, direction == "desc"


def _types(q: ListQuery, completed: str | None, response_type: str | None) -> frozenset[str]:
    types = set(RESPONSE_TYPES) if completed is not None else {"completed"}
    if completed is not None:
        if completed.lower() not in ("true", "false"):
            q.problems.append(detail("completed", f"must be true or false, got {completed!r}"))
        elif completed.lower() == "true":
            types = {"completed"}
        else:
            types = {"partial", "started"}
    if response_type:
        asked = {t.strip() for t in response_type.split(",") if t.strip()}
        if not asked or not asked <= set(RESPONSE_TYPES):
            q.problems.append(detail("response_type", f"must list among {RESPONSE_TYPES}, got "
                                     f"{response_type!r}"))  # fmt: skip
        types = types & asked if completed is not None else asked
    return frozenset(types)


def _csv(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())
