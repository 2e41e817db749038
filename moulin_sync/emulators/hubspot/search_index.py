"""Search indexes: one per object type and searched property, kept current by every write.

An index is built the first time a search filters or sorts on a property, then updated by
`Store.touch`/`Store.delete`, so a search over a million deals reads a range or a value set
instead of every record. Indexes hold the records' *current* properties: records written
within the search lag are left out of index answers and judged on what search sees of them
(`Store.searchable`), so the lag is modelled exactly as before.

Keys are the ones the filter predicates compare: numbers and dates as floats (epoch ms),
everything else lower-cased. A present value that does not parse as its type's number has
the key None: it answers HAS_PROPERTY and IN, never a range.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from sortedcontainers import SortedList

from .timestamps import to_epoch_ms

NUMERIC = {"number", "date", "datetime"}
Key = str | float | None
_ABSENT = object()
_CACHED_QUERIES = 16


def key_of(ptype: str, value: Any) -> Key:
    """The comparison key of one property value, as search's filters and sorts see it."""
    if value is None:
        return None
    s = str(value)
    if ptype not in NUMERIC:
        return s.lower()
    if ptype == "number":
        try:
            number = float(s)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    ms = to_epoch_ms(s)
    return None if ms is None else float(ms)


class PropertyIndex:
    """One property's values over the live records of one type: each record's key, and —
    built on the first lookup that needs them — the records by key and all in key order."""

    def __init__(self, ptype: str, records: Iterable[tuple[int, str | None]] = ()) -> None:
        self.ptype = ptype
        self.keys: dict[int, Key] = {rid: key_of(ptype, value) for rid, value in records if value}
        self._by_key: dict[Key, set[int]] | None = None
        self._ordered: SortedList | None = None

    @property
    def by_key(self) -> dict[Key, set[int]]:
        if self._by_key is None:
            by_key: dict[Key, set[int]] = {}
            for rid, k in self.keys.items():
                by_key.setdefault(k, set()).add(rid)
            self._by_key = by_key
        return self._by_key

    @property
    def ordered(self) -> SortedList:
        """(key, id) of the records whose key is not None; sorted once, then kept sorted."""
        if self._ordered is None:
            self._ordered = SortedList((k, rid) for rid, k in self.keys.items() if k is not None)
        return self._ordered

    def set(self, rid: int, value: str | None) -> None:
        """Record that `rid` now has `value` (None: no value, or no longer a live record)."""
        new: Any = key_of(self.ptype, value) if value else _ABSENT
        old = self.keys.get(rid, _ABSENT)
        if old is new or (old is not _ABSENT and new is not _ABSENT and old == new):
            return
        by_key, ordered = self._by_key, self._ordered
        if old is not _ABSENT:
            del self.keys[rid]
            if by_key is not None:
                ids = by_key[old]
                ids.discard(rid)
                if not ids:
                    del by_key[old]
            if ordered is not None and old is not None:
                ordered.remove((old, rid))
        if new is not _ABSENT:
            self.keys[rid] = new
            if by_key is not None:
                by_key.setdefault(new, set()).add(rid)
            if ordered is not None and new is not None:
                ordered.add((new, rid))

    def equal(self, keys: Iterable[Key]) -> set[int]:
        found: set[int] = set()
        by_key = self.by_key
        for k in keys:
            found |= by_key.get(k, set())
        return found

    def count_equal(self, keys: Iterable[Key]) -> int:
        by_key = self.by_key
        return sum(len(by_key.get(k, ())) for k in keys)

    def bounds(self, low: Key, low_open: bool, high: Key, high_open: bool) -> tuple[int, int]:
        """Positions [i, j) in `ordered` of the keys within the bounds (None: unbounded)."""
        ordered = self.ordered
        i = 0
        if low is not None:
            i = ordered.bisect_left((low, math.inf) if low_open else (low, -math.inf))
        j = len(ordered)
        if high is not None:
            j = ordered.bisect_left((high, -math.inf) if high_open else (high, math.inf))
        return i, max(i, j)

    def ids_between(self, i: int, j: int, *, reverse: bool = False) -> Iterator[int]:
        for _, rid in self.ordered.islice(i, j, reverse=reverse):
            yield rid


class TypeIndex:
    """The property indexes of one object type, and a cache of ordered query results.

    `generation` counts the writes to the type: a cached result is reused only while no
    record of the type changed since it was computed.
    """

    def __init__(self) -> None:
        self.properties: dict[str, PropertyIndex] = {}
        self.generation = 0
        self._results: OrderedDict[Any, tuple[int, list[int]]] = OrderedDict()

    def property(self, name: str, ptype: str, live: Iterable[Any]) -> PropertyIndex:
        """The index of `name`, built from the live records on first use or when the
        property's type changed (its keys would compare differently)."""
        index = self.properties.get(name)
        if index is None or index.ptype != ptype:
            index = PropertyIndex(ptype, ((int(r.id), r.props.get(name)) for r in live))
            self.properties[name] = index
        return index

    def changed(self, rid: str, props: dict[str, str] | None) -> None:
        """A record was written (`props`) or is no longer live (None)."""
        self.generation += 1
        n = int(rid)
        for name, index in self.properties.items():
            index.set(n, None if props is None else props.get(name))

    def cached(self, query: Any) -> list[int] | None:
        hit = self._results.get(query)
        if hit is None or hit[0] != self.generation:
            return None
        self._results.move_to_end(query)
        return hit[1]

    def remember(self, query: Any, ids: list[int]) -> None:
        self._results[query] = (self.generation, ids)
        self._results.move_to_end(query)
        while len(self._results) > _CACHED_QUERIES:
            self._results.popitem(last=False)
