"""Search filters: each HubSpot filter becomes a `Condition` — an exact predicate on a
record's properties, plus what an index can answer for it (a key set, a range, presence).

The predicate is the truth; the index answers are the same sets, found without a scan.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .search_index import Key, key_of

_TOKENS = re.compile(r"[\w\-']+", re.UNICODE)
OPERATORS = {
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}  # fmt: skip
Predicate = Callable[[dict[str, str]], bool]


@dataclass(frozen=True)
class Condition:
    """One filter: `test` decides; `equal`, `bounds` or `present` say what an index of
    `name` can serve (none of them: the filter is only ever tested)."""

    name: str
    test: Predicate
    equal: frozenset[Key] | None = None
    bounds: tuple[Key, bool, Key, bool] | None = None  # low, low open, high, high open
    present: bool = False


def _tokens(value: str) -> set[str]:
    low = value.lower()
    return {low, *_TOKENS.findall(low), *low.split()}


def _contains_token(name: str, raw: Any) -> Predicate:
    pattern = str(raw if raw is not None else "").lower()
    wild = "*" in pattern

    def contains(p: dict[str, str]) -> bool:
        v = p.get(name)
        if not v:
            return False
        toks = _tokens(v)
        if wild:
            return any(fnmatch.fnmatchcase(tok, pattern) for tok in toks)
        return pattern in toks

    return contains


def _range(name: str, key: Callable[[Any], Key], op: str, f: dict[str, Any]) -> Condition:
    value = key(f.get("value"))
    if value is None:
        raise bad_request(
            f"Filter on {name} with operator {op} needs a valid value", "INVALID_FILTER"
        )
    if op == "BETWEEN":
        high = key(f.get("highValue"))
        if high is None:
            raise bad_request("BETWEEN needs value and highValue", "INVALID_FILTER")
        bounds: tuple[Key, bool, Key, bool] = (value, False, high, False)
    else:
        bounds = {
            "LT": (None, False, value, True),
            "LTE": (None, False, value, False),
            "GT": (value, True, None, False),
            "GTE": (value, False, None, False),
        }[op]
    low, low_open, high, high_open = bounds

    def within(p: dict[str, str]) -> bool:
        k: Any = key(p.get(name))
        if k is None:
            return False
        if low is not None and (k <= low if low_open else k < low):
            return False
        return high is None or (k < high if high_open else k <= high)

    return Condition(name, within, bounds=bounds)


def compile_filter(ptypes: dict[str, str], f: dict[str, Any]) -> Condition:
    name = f.get("propertyName")
    op = f.get("operator")
    if not isinstance(name, str) or not name or op not in OPERATORS:
        raise bad_request(
            "Invalid filter: a filter needs a propertyName (a string) and an operator among "
            f"{', '.join(sorted(OPERATORS))}",
            "INVALID_FILTER",
        )
    ptype = ptypes.get(name, "string")

    def key(v: Any) -> Key:
        return key_of(ptype, v)

    if op == "HAS_PROPERTY":
        return Condition(name, lambda p: bool(p.get(name)), present=True)
    if op == "NOT_HAS_PROPERTY":
        return Condition(name, lambda p: not p.get(name))
    if op in ("IN", "NOT_IN"):
        wanted = frozenset(key(v) for v in f.get("values") or [])
        if op == "IN":
            return Condition(name, lambda p: name in p and key(p[name]) in wanted, equal=wanted)
        return Condition(name, lambda p: name not in p or key(p[name]) not in wanted)
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        contains = _contains_token(name, f.get("value"))
        if op == "CONTAINS_TOKEN":
            return Condition(name, contains)
        return Condition(name, lambda p: not contains(p))
    if op in ("EQ", "NEQ"):
        value = key(f.get("value"))
        if value is None:
            raise bad_request(
                f"Filter on {name} with operator {op} needs a valid value", "INVALID_FILTER"
            )
        if op == "EQ":
            return Condition(
                name, lambda p: name in p and key(p[name]) == value, equal=frozenset([value])
            )
        return Condition(name, lambda p: name not in p or key(p[name]) != value)
    return _range(name, key, op, f)
