"""Search indexes: one per object type and property, kept current by every write and load.

Every property a live record holds has its index (`TypeIndex` makes one the first time
a record holds the property), and every index is whole at all times: each record's
key, the records by key, and the records in key order. A search never builds one —
HubSpot's index always exists — so no search is slow for being the first; a bulk load
adds its records to the indexes in one sorted merge per property. Indexes hold the
records' *current* properties: records written within the search lag are left out of
index answers and judged on what search sees of them (`Store.searchable`).

Keys are the ones the filter predicates compare: numbers and dates as floats (epoch ms),
everything else lower-cased. A present value that does not parse as its type's number has
the key None: it answers HAS_PROPERTY and IN, never a range.
"""

from __future__ import annotations

import math
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
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
    """One property's values over the live records of one type: each record's key, the
    records by key (an id, or a set of ids when several share the key), and the records
    whose key is not None in key order."""

    def __init__(self, ptype: str, records: Iterable[tuple[int, str | None]] = ()) -> None:
        self.ptype = ptype
        self.keys: dict[int, Key] = {}
        self.by_key: dict[Key, int | set[int]] = {}
        self.ordered: SortedList = SortedList()
        self.add_many(records)

    def add_many(self, records: Iterable[tuple[int, str | None]]) -> None:
        """Index many records at once (a load): the new ones join the order in one merge."""
        fresh = []
        for rid, value in records:
            if rid in self.keys:
                self.set(rid, value)
            elif value:
                k = key_of(self.ptype, value)
                self.keys[rid] = k
                self._add_key(k, rid)
                if k is not None:
                    fresh.append((k, rid))
        self.ordered.update(fresh)

    def set(self, rid: int, value: str | None) -> None:
        """Record that `rid` now has `value` (None: no value, or no longer a live record)."""
        new: Any = key_of(self.ptype, value) if value else _ABSENT
        old = self.keys.get(rid, _ABSENT)
        if old is new or (old is not _ABSENT and new is not _ABSENT and old == new):
            return
        if old is not _ABSENT:
            del self.keys[rid]
            self._remove_key(old, rid)
            if old is not None:
                self.ordered.remove((old, rid))
        if new is not _ABSENT:
            self.keys[rid] = new
            self._add_key(new, rid)
            if new is not None:
                self.ordered.add((new, rid))

    def _add_key(self, k: Key, rid: int) -> None:
        held = self.by_key.get(k)
        if held is None:
            self.by_key[k] = rid
        elif isinstance(held, set):
            held.add(rid)
        else:
            self.by_key[k] = {held, rid}

    def _remove_key(self, k: Key, rid: int) -> None:
        held = self.by_key[k]
        if isinstance(held, set):
            held.discard(rid)
            if held:
                return
        del self.by_key[k]

    def equal(self, keys: Iterable[Key]) -> set[int]:
        found: set[int] = set()
        for k in keys:
            held = self.by_key.get(k)
            if isinstance(held, set):
                found |= held
            elif held is not None:
                found.add(held)
        return found

    def count_equal(self, keys: Iterable[Key]) -> int:
        count = 0
        for k in keys:
            held = self.by_key.get(k)
            count += len(held) if isinstance(held, set) else held is not None
        return count

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

    `ptype_of(name)` is the schema's type of a property. `generation` counts the writes
    to the type: a cached result is reused only while no record of the type changed.
    """

    def __init__(self, ptype_of: Callable[[str], str]) -> None:
        self.ptype_of = ptype_of
        self.properties: dict[str, PropertyIndex] = {}
        self.generation = 0
        self._results: OrderedDict[Any, tuple[int, list[int]]] = OrderedDict()

    def property(self, name: str, ptype: str, live: Iterable[Any]) -> PropertyIndex:
        """The index of `name` (an empty one when no live record holds it), rebuilt from
        the live records only when the property's type changed (keys compare differently)."""
        index = self.properties.get(name)
        if index is None:
            index = self.properties[name] = PropertyIndex(ptype)
        elif index.ptype != ptype:
            index = PropertyIndex(ptype, ((int(r.id), r.props.get(name)) for r in live))
            self.properties[name] = index
        return index

    def _index(self, name: str) -> PropertyIndex:
        index = self.properties.get(name)
        if index is None:
            index = self.properties[name] = PropertyIndex(self.ptype_of(name))
        return index

    def added(self, rid: str, props: dict[str, str]) -> None:
        """A live record appeared (created, restored) with `props`."""
        self.generation += 1
        n = int(rid)
        for name, value in props.items():
            self._index(name).set(n, value)

    def updated(self, rid: str, props: dict[str, str], names: Iterable[str]) -> None:
        """Properties `names` of live record `rid` changed; `props` are all of its own."""
        self.generation += 1
        n = int(rid)
        for name in names:
            self._index(name).set(n, props.get(name))

    def removed(self, rid: str) -> None:
        """Record `rid` is no longer live (archived, deleted)."""
        self.generation += 1
        n = int(rid)
        for index in self.properties.values():
            index.set(n, None)

    def added_many(self, records: Iterable[Any]) -> None:
        """Many live records appeared at once (a bulk load, a state file opened)."""
        self.generation += 1
        by_name: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
        for rec in records:
            n = int(rec.id)
            for name, value in rec.props.items():
                by_name[name].append((n, value))
        for name, pairs in by_name.items():
            self._index(name).add_many(pairs)

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
