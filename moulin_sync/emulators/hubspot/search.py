"""CRM search: filter groups (OR of ANDs), one sort, offset paging, the 10,000-result cap.

Search reads `Store.searchable()`, i.e. each record as it was `search_lag` seconds ago, which
models HubSpot's indexing delay. Archived records never match.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable
from typing import Any

from .errors import bad_request
from .payloads import names_from, shown_names
from .store import Store
from .timestamps import to_epoch_ms

MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
_TOKENS = re.compile(r"[\w\-']+", re.UNICODE)
_NUMERIC = {"number", "date", "datetime"}
_OPERATORS = {
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}  # fmt: skip
Predicate = Callable[[dict[str, str]], bool]


def _as_number(ptype: str, value: Any) -> float | None:
    if value is None:
        return None
    s = str(value)
    if ptype == "number":
        try:
            return float(s)
        except ValueError:
            return None
    ms = to_epoch_ms(s)
    return None if ms is None else float(ms)


def _tokens(value: str) -> set[str]:
    low = value.lower()
    return {low, *_TOKENS.findall(low), *low.split()}


def compile_filter(ptypes: dict[str, str], f: dict[str, Any]) -> Predicate:
    name = f.get("propertyName")
    op = f.get("operator")
    if not isinstance(name, str) or not name or op not in _OPERATORS:
        raise bad_request(
            "Invalid filter: a filter needs a propertyName (a string) and an operator among "
            f"{', '.join(sorted(_OPERATORS))}",
            "INVALID_FILTER",
        )
    ptype = ptypes.get(name, "string")
    numeric = ptype in _NUMERIC

    def key(v: Any) -> Any:
        if numeric:
            return _as_number(ptype, v)
        return None if v is None else str(v).lower()

    if op == "HAS_PROPERTY":
        return lambda p: bool(p.get(name))
    if op == "NOT_HAS_PROPERTY":
        return lambda p: not p.get(name)
    if op in ("IN", "NOT_IN"):
        wanted = {key(v) for v in f.get("values") or []}
        if op == "IN":
            return lambda p: name in p and key(p[name]) in wanted
        return lambda p: name not in p or key(p[name]) not in wanted
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(f.get("value", "")).lower()
        wild = "*" in pattern

        def contains(p: dict[str, str]) -> bool:
            v = p.get(name)
            if not v:
                return False
            toks = _tokens(v)
            if wild:
                return any(fnmatch.fnmatchcase(tok, pattern) for tok in toks)
            return pattern in toks

        if op == "CONTAINS_TOKEN":
            return contains
        return lambda p: not contains(p)
    value = key(f.get("value"))
    if value is None:
        raise bad_request(
            f"Filter on {name} with operator {op} needs a valid value", "INVALID_FILTER"
        )
    if op == "EQ":
        return lambda p: name in p and key(p[name]) == value
    if op == "NEQ":
        return lambda p: name not in p or key(p[name]) != value
    if op == "BETWEEN":
        high = key(f.get("highValue"))
        if high is None:
            raise bad_request("BETWEEN needs value and highValue", "INVALID_FILTER")

        def between(p: dict[str, str]) -> bool:
            k = key(p.get(name))
            return k is not None and value <= k <= high

        return between
    cmp: dict[str, Callable[[Any, Any], bool]] = {
        "LT": lambda a, b: a < b,
        "LTE": lambda a, b: a <= b,
        "GT": lambda a, b: a > b,
        "GTE": lambda a, b: a >= b,
    }
    test = cmp[op]

    def compare(p: dict[str, str]) -> bool:
        k = key(p.get(name))
        return k is not None and test(k, value)

    return compare


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

    groups = items(body.get("filterGroups"), "filterGroups", dict, "an object with filters",
                   "a list of {filters}")  # fmt: skip
    for n, group in enumerate(groups):
        where = f"filterGroups[{n}].filters"
        for m, f in enumerate(items(group.get("filters"), where, dict, "a filter object",
                                    "a list of filters")):  # fmt: skip
            if f.get("values") is not None and not isinstance(f["values"], list):
                invalid(f"{where}[{m}].values", "a list")
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
    groups = body.get("filterGroups") or []
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
    names = shown_names(t, names_from(body.get("properties")))
    now = time.monotonic()

    matches: list[tuple[str, dict[str, str]]] = []
    for rid, rec in store.objects[t].items():
        props = store.searchable(rec, now)
        if props is None:
            continue
        if compiled and not any(all(pred(props) for pred in g) for g in compiled):
            continue
        if query and not any(query in v.lower() for v in props.values()):
            continue
        matches.append((rid, props))

    if sorts:
        s = sorts[0]
        if isinstance(s, str):
            prop, desc = s.lstrip("-"), s.startswith("-")
        else:
            prop, desc = s.get("propertyName", ""), s.get("direction") == "DESCENDING"
        ptype = ptypes.get(prop, "string")

        def sort_key(m: tuple[str, dict[str, str]]) -> tuple[int, Any, int]:
            v = m[1].get(prop)
            k: Any = _as_number(ptype, v) if ptype in _NUMERIC else (v or "").lower()
            return (v is None or k is None, k if k is not None else 0, int(m[0]))

        matches.sort(key=sort_key, reverse=desc)
        if desc:  # keep records lacking the property last either way
            matches.sort(key=lambda m: m[1].get(prop) is None)
    total = len(matches)
    page = matches[after : min(after + limit, MAX_RESULTS)]
    results = []
    for rid, props in page:
        rec = store.objects[t][rid]
        out = rec.to_public(names)
        out["properties"] = {n: props.get(n) for n in names}
        results.append(out)
    out_body: dict[str, Any] = {"total": total, "results": results}
    if after + limit < total:
        out_body["paging"] = {"next": {"after": str(after + limit)}}
    return out_body
