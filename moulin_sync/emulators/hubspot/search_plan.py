"""Which records a search matches, and in which order, read from the indexes where it can.

A filter group (an AND) starts from its most selective indexed filter — a key set for EQ
and IN, a range for LT..BETWEEN, the present values for HAS_PROPERTY — and tests its other
filters on those records only; a group with no indexed filter scans the type. Groups are
OR-ed. Records written within the search lag are judged on what search sees of them.
A single range sorted on its own property is paged straight from the index; any other
result is ordered once and cached until the next write to the type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .search_filters import Condition
from .search_index import PropertyIndex, TypeIndex, key_of
from .store import Store


@dataclass(frozen=True)
class Sort:
    name: str
    ptype: str
    descending: bool


@dataclass(frozen=True)
class IndexRange:
    """Matches that are positions [i, j) of one property index, in its order."""

    index: PropertyIndex
    i: int
    j: int
    reverse: bool

    def __len__(self) -> int:
        return self.j - self.i

    def page(self, after: int, limit: int) -> list[int]:
        if self.reverse:
            high = self.j - after
            return list(self.index.ids_between(max(self.i, high - limit), high, reverse=True))
        low = self.i + after
        return list(self.index.ids_between(low, min(low + limit, self.j)))


@dataclass(frozen=True)
class Listed:
    ids: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    def page(self, after: int, limit: int) -> list[int]:
        return self.ids[after : after + limit]


Matches = IndexRange | Listed


@dataclass(frozen=True)
class _Seed:
    """Where a group starts: an index answer, its size, and the filter it stands for."""

    condition: Condition
    size: int
    index: PropertyIndex
    span: tuple[int, int] | None  # a range's positions, else None (a key set or presence)

    def ids(self) -> Iterable[int]:
        if self.span is not None:
            return self.index.ids_between(*self.span)
        c = self.condition
        return self.index.keys if c.present else self.index.equal(c.equal or ())


class SearchPlan:
    def __init__(self, store: Store, t: str, ptypes: dict[str, str], now: float) -> None:
        self.store = store
        self.t = t
        self.ptypes = ptypes
        self.now = now
        self.index: TypeIndex = store.indexes[t]
        self.unsettled = {int(rid) for rid in store.unsettled(t, now)}

    def _index(self, name: str) -> PropertyIndex:
        return self.store.search_index(self.t, name, self.ptypes.get(name, "string"))

    def _seed(self, c: Condition) -> _Seed | None:
        if c.equal is not None:
            index = self._index(c.name)
            size = index.count_equal(c.equal)
            return _Seed(c, size, index, None)
        if c.present:
            index = self._index(c.name)
            return _Seed(c, len(index.keys), index, None)
        if c.bounds is not None:
            index = self._index(c.name)
            i, j = index.bounds(*c.bounds)
            return _Seed(c, j - i, index, (i, j))
        return None

    def _best_seed(self, group: Sequence[Condition]) -> _Seed | None:
        seeds = [s for s in map(self._seed, group) if s is not None]
        return min(seeds, key=lambda s: s.size) if seeds else None

    def matches(
        self, groups: Sequence[Sequence[Condition]], sort: Sort | None, cache_key: Any
    ) -> Matches:
        settled = not self.unsettled
        if settled and len(groups) == 1:
            direct = self._direct_range(groups[0], sort)
            if direct is not None:
                return direct
        if settled and (hit := self.index.cached(cache_key)) is not None:
            return Listed(hit)
        found: set[int] = set()
        for group in groups or [()]:
            found |= self._group(group)
        found |= self._unsettled_matching(groups)
        ordered = self._order(found, sort)
        if settled:
            self.index.remember(cache_key, ordered)
        return Listed(ordered)

    def _direct_range(self, group: Sequence[Condition], sort: Sort | None) -> IndexRange | None:
        """A lone range filter sorted on its own property: the index is already the answer."""
        if len(group) != 1 or sort is None or group[0].name != sort.name:
            return None
        seed = self._seed(group[0])
        if seed is None or seed.span is None:
            return None
        return IndexRange(seed.index, *seed.span, reverse=sort.descending)

    def _group(self, group: Sequence[Condition]) -> set[int]:
        objects = self.store.objects[self.t]
        seed = self._best_seed(group)
        if seed is None:
            return {
                int(rid)
                for rid, rec in objects.items()
                if not rec.archived and all(c.test(rec.props) for c in group)
            } - self.unsettled
        rest = [c for c in group if c is not seed.condition]
        ids = seed.ids()
        if self.unsettled:
            ids = (n for n in ids if n not in self.unsettled)
        if not rest:
            return set(ids)
        return {n for n in ids if all(c.test(objects[str(n)].props) for c in rest)}

    def _visible(self, n: int) -> dict[str, str] | None:
        rec = self.store.objects[self.t].get(str(n))
        return None if rec is None else self.store.searchable(rec, self.now)

    def _unsettled_matching(self, groups: Sequence[Sequence[Condition]]) -> set[int]:
        found = set()
        for n in self.unsettled:
            props = self._visible(n)
            if props is not None and (
                not groups or any(all(c.test(props) for c in g) for g in groups)
            ):
                found.add(n)
        return found

    def _order(self, found: set[int], sort: Sort | None) -> list[int]:
        if sort is None:
            return sorted(found)
        keys: dict[int, Any] = self._index(sort.name).keys
        if self.unsettled:
            keys = dict(keys)
            for n in self.unsettled & found:
                props = self._visible(n) or {}
                keys[n] = key_of(sort.ptype, props.get(sort.name))

        def rank(n: int) -> tuple[bool, Any, int]:
            k = keys.get(n)
            return (k is None, 0 if k is None else k, n)

        ordered = sorted(found, key=rank, reverse=sort.descending)
        if sort.descending:  # records lacking the property stay last either way
            ordered.sort(key=lambda n: keys.get(n) is None)
        return ordered
