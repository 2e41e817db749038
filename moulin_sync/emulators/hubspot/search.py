"""CRM search: filter groups (OR of ANDs), one sort, offset paging, the 10,000-result cap.

A top-level `filters` list is one more filter group (an AND), as HubSpot applies it and
clients such as Airbyte's send it; other keys HubSpot does not know are ignored.

Search sees each record as it was `search_lag` seconds ago, which models HubSpot's indexing
delay; archived records never match. Matching and ordering are planned over per-property
indexes (`search_plan`), so a search costs its result's size, not the store's.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .errors import bad_request
from .payloads import names_from, shown_names
from .search_filters import Condition, compile_filter
from .search_plan import SearchPlan, Sort
from .store import Store

MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18


def _check_shape(body: dict[str, Any]) -> None:
    """HubSpot's 400 for a body of the wrong shape, naming the field."""

    def invalid(field: str, expected: str) -> None:
        raise bad_request(f"Invalid input JSON: {field} must be {expected}", "INVALID_INPUT")

    def items(value: Any, field: str, kind: type | tuple[type, ...], item: str, of: str) -> list:
        """`value`, a list of `kind` (or nothing), else HubSpot's 400 naming the field."""
        if value is None:
            return []
        if not isinstance(value, list):
            invalid(field, of)
        for n, x in enumerate(value):
            if not isinstance(x, kind):
                invalid(f"{field}[{n}]", item)
        return value

    def filters(value: Any, where: str) -> None:
        for m, f in enumerate(items(value, where, dict, "a filter object", "a list of filters")):
            if f.get("values") is not None and not isinstance(f["values"], list):
                invalid(f"{where}[{m}].values", "a list")

    groups = items(body.get("filterGroups"), "filterGroups", dict, "an object with filters",
                   "a list of {filters}")  # fmt: skip
    for n, group in enumerate(groups):
        filters(group.get("filters"), f"filterGroups[{n}].filters")
    filters(body.get("filters"), "filters")
    items(body.get("sorts"), "sorts", (dict, str), "a sort object or a property name", "a list")
    names = body.get("properties")
    if names is not None and (
        not isinstance(names, list) or not all(isinstance(n, str) for n in names)
    ):
        invalid("properties", "a list of property names")
    after = body.get("after")
    if after is not None and (isinstance(after, bool) or not isinstance(after, str | int)):
        invalid("after", "a paging cursor (a string)")
    if body.get("query") is not None and not isinstance(body["query"], str):
        invalid("query", "a string")


def search(store: Store, t: str, body: dict[str, Any]) -> dict[str, Any]:
    _check_shape(body)
    groups = filter_groups(body)
    if len(groups) > MAX_GROUPS:
        raise bad_request(f"Too many filter groups ({len(groups)}); the maximum is {MAX_GROUPS}")
    total_filters = sum(len(g.get("filters") or []) for g in groups)
    if total_filters > MAX_FILTERS or any(
        len(g.get("filters") or []) > MAX_FILTERS_PER_GROUP for g in groups
    ):
        raise bad_request("Too many filters in the search request")
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or not 0 <= limit <= MAX_LIMIT:
        raise bad_request(f"limit must be between 0 and {MAX_LIMIT}", "INVALID_LIMIT")
    after_raw = body.get("after") or "0"
    try:
        after = int(after_raw)
    except ValueError as e:
        raise bad_request(f"Invalid after: {after_raw}") from e
    if after >= MAX_RESULTS:
        raise bad_request(
            f"The search API returns at most {MAX_RESULTS} results per query; "
            f"after={after} pages past it",
            "INVALID_PAGING",
        )
    sorts = body.get("sorts") or []
    if len(sorts) > 1:
        raise bad_request("Only one sort is allowed")
    ptypes = {n: p["type"] for n, p in store.schema.properties[t].items()}
    compiled = [[compile_filter(ptypes, f) for f in g.get("filters") or []] for g in groups]
    query = str(body.get("query") or "").lower().strip()
    if query:
        compiled = [[*g, _text(query)] for g in compiled or [[]]]
    sort = _sort(sorts[0], ptypes) if sorts else None
    # A property's type decides how its values compare, so it is part of the query.
    used = sorted({c.name for g in compiled for c in g} | ({sort.name} if sort else set()))
    typed = [ptypes.get(n, "string") for n in used]
    cache_key = json.dumps([groups, sorts[:1], query, typed], sort_keys=True, default=str)
    now = time.monotonic()
    matches = SearchPlan(store, t, ptypes, now).matches(compiled, sort, cache_key)

    names = shown_names(t, names_from(body.get("properties")))
    total = len(matches)
    results = []
    for n in matches.page(after, min(limit, MAX_RESULTS - after)):
        rec = store.objects[t][str(n)]
        props = store.searchable(rec, now) or {}
        out = rec.to_public(names)
        out["properties"] = {name: props.get(name) for name in names}
        results.append(out)
    out_body: dict[str, Any] = {"total": total, "results": results}
    if after + limit < total:
        out_body["paging"] = {"next": {"after": str(after + limit)}}
    return out_body


def filter_groups(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's filter groups, its top-level `filters` (if any) as one more."""
    groups = list(body.get("filterGroups") or [])
    if body.get("filters"):
        groups.append({"filters": body["filters"]})
    return groups


def _text(query: str) -> Condition:
    """The free-text `query`: a substring of any property value."""
    return Condition("", lambda p: any(query in v.lower() for v in p.values()))


def _sort(s: dict[str, Any] | str, ptypes: dict[str, str]) -> Sort:
    if isinstance(s, str):
        name, descending = s.lstrip("-"), s.startswith("-")
    else:
        name, descending = str(s.get("propertyName", "")), s.get("direction") == "DESCENDING"
    return Sort(name, ptypes.get(name, "string"), descending)
