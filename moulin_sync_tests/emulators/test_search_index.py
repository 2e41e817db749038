"""Indexed search answers exactly what a scan of every record would.

The reference below scans the store the slow way (what search sees of each record, every
filter tested, sorted by the property then the id); Hypothesis drives random records,
writes, archives, deletes and searches through the indexed `search()` and compares.
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moulin_sync.emulators.hubspot.search import search
from moulin_sync.emulators.hubspot.search_filters import compile_filter
from moulin_sync.emulators.hubspot.search_index import key_of
from moulin_sync.emulators.hubspot.store import Store

NOW_MS = 1_780_000_000_000
DAY = 86_400_000
PROPS = {"amount": "number", "closedate": "datetime", "dealname": "string"}


def _reference(store: Store, body: dict[str, Any]) -> tuple[int, list[str]]:
    """(total, ids in order) by scanning every record."""
    ptypes = {n: p["type"] for n, p in store.schema.properties["deals"].items()}
    groups = [[compile_filter(ptypes, f) for f in g["filters"]] for g in body["filterGroups"]]
    now = time.monotonic()
    seen = []
    for rid, rec in store.objects["deals"].items():
        props = store.searchable(rec, now)
        if props is None:
            continue
        if groups and not any(all(c.test(props) for c in g) for g in groups):
            continue
        seen.append((int(rid), props))
    if body.get("sorts"):
        name = body["sorts"][0]["propertyName"]
        desc = body["sorts"][0]["direction"] == "DESCENDING"
        ptype = ptypes.get(name, "string")
        present = [m for m in seen if key_of(ptype, m[1].get(name)) is not None]
        absent = [m for m in seen if key_of(ptype, m[1].get(name)) is None]
        present.sort(key=lambda m: (key_of(ptype, m[1][name]), m[0]), reverse=desc)
        absent.sort(key=lambda m: m[0], reverse=desc)
        seen = present + absent
    else:
        seen.sort(key=lambda m: m[0])
    return len(seen), [str(n) for n, _ in seen]


def _all_pages(store: Store, body: dict[str, Any], limit: int) -> tuple[int, list[str]]:
    ids, after, total = [], 0, 0
    while True:
        answer = search(store, "deals", {**body, "limit": limit, "after": str(after)})
        total = answer["total"]
        ids += [r["id"] for r in answer["results"]]
        if "paging" not in answer:
            return total, ids
        after = int(answer["paging"]["next"]["after"])


values = {
    "amount": st.sampled_from(["10", "10.0", "25.5", "99", "-3", "abc", ""]),
    "closedate": st.integers(0, 9).map(lambda d: str(NOW_MS + d * DAY)),
    "dealname": st.sampled_from(["Alpha", "alpha", "Beta", "gamma", ""]),
}
records = st.fixed_dictionaries({}, optional=values)
filters = st.one_of(
    st.builds(lambda v: {"propertyName": "amount", "operator": "EQ", "value": v},
              st.sampled_from(["10", "99", "25.5"])),
    st.builds(lambda op, d: {"propertyName": "closedate", "operator": op,
                             "value": str(NOW_MS + d * DAY)},
              st.sampled_from(["LT", "LTE", "GT", "GTE"]), st.integers(0, 9)),
    st.builds(lambda a, b: {"propertyName": "closedate", "operator": "BETWEEN",
                            "value": str(NOW_MS + a * DAY), "highValue": str(NOW_MS + b * DAY)},
              st.integers(0, 9), st.integers(0, 9)),
    st.builds(lambda vs: {"propertyName": "dealname", "operator": "IN", "values": vs},
              st.lists(st.sampled_from(["alpha", "BETA", "delta"]), max_size=3)),
    st.builds(lambda n: {"propertyName": n, "operator": "HAS_PROPERTY"},
              st.sampled_from(list(PROPS))),
    st.builds(lambda n: {"propertyName": n, "operator": "NOT_HAS_PROPERTY"},
              st.sampled_from(list(PROPS))),
    st.just({"propertyName": "dealname", "operator": "NEQ", "value": "alpha"}),
)  # fmt: skip
sorts = st.one_of(
    st.just([]),
    st.builds(lambda n, d: [{"propertyName": n, "direction": d}],
              st.sampled_from(list(PROPS)), st.sampled_from(["ASCENDING", "DESCENDING"])),
)  # fmt: skip
bodies = st.fixed_dictionaries(
    {
        "filterGroups": st.lists(
            st.fixed_dictionaries({"filters": st.lists(filters, max_size=3)}), max_size=3
        ),
        "sorts": sorts,
    }
)
# What the deal checks and the benchmark send: one close-date range, sorted on it.
ranges = filters.filter(lambda f: f["propertyName"] == "closedate" and "value" in f)
range_bodies = st.builds(
    lambda f, d: {"filterGroups": [{"filters": [f]}],
                  "sorts": [{"propertyName": "closedate", "direction": d}]},
    ranges, st.sampled_from(["ASCENDING", "DESCENDING"]),
)  # fmt: skip
bodies = st.one_of(bodies, range_bodies)
# A write: a new record, a change to one, an archive, a delete (a merge's loser).
writes = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), records),
        st.tuples(st.just("update"), st.integers(0, 50), records),
        st.tuples(st.just("archive"), st.integers(0, 50)),
        st.tuples(st.just("delete"), st.integers(0, 50)),
    ),
    max_size=15,
)
searches = st.lists(st.tuples(bodies, st.sampled_from([1, 3, 200])), min_size=1, max_size=6)


def _apply(store: Store, step: tuple) -> None:
    live = [r for r in store.objects["deals"].values() if not r.archived]
    kind = step[0]
    if kind == "insert":
        store.insert("deals", dict(step[1]), NOW_MS)
    elif live and kind == "update":
        store.update(live[step[1] % len(live)], dict(step[2]), NOW_MS)
    elif live and kind == "archive":
        store.archive(live[step[1] % len(live)], NOW_MS)
    elif live and kind == "delete":
        store.delete(live[step[1] % len(live)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.lists(records, min_size=3, max_size=30), writes=writes, searches=searches)
def test_indexed_search_equals_a_scan(
    seed: list[dict[str, str]], writes: list[tuple], searches: list[tuple[dict, int]]
) -> None:
    store = Store()
    for props in seed:
        store.insert("deals", dict(props), NOW_MS)
    # Each search runs before and after the writes: the second must see them all.
    for round_ in range(2):
        for body, limit in searches:
            assert _all_pages(store, body, limit) == _reference(store, body), (round_, body)
        for write in writes if round_ == 0 else ():
            _apply(store, write)


def test_records_written_within_the_search_lag_are_judged_on_what_search_sees() -> None:
    store = Store()
    old = [store.insert("deals", {"closedate": str(NOW_MS)}, NOW_MS) for _ in range(3)]
    body = {
        "filterGroups": [{"filters": [{"propertyName": "closedate", "operator": "GTE",
                                       "value": str(NOW_MS)}]}],
        "sorts": [{"propertyName": "closedate", "direction": "ASCENDING"}],
    }  # fmt: skip
    assert _all_pages(store, body, 200)[0] == 3
    store.search_lag = 3600.0  # from now on nothing written is visible for an hour
    store.update(old[0], {"closedate": str(NOW_MS - DAY)}, NOW_MS)  # leaves the range...
    store.insert("deals", {"closedate": str(NOW_MS + DAY)}, NOW_MS)  # ...a newcomer joins it
    store.archive(old[1], NOW_MS)
    # Search still sees the records as they were: old[0] in range, no newcomer; the
    # archive, recorded as a version too, stays unseen as well.
    total, ids = _all_pages(store, body, 200)
    assert (total, ids) == _reference(store, body)
    assert set(ids) == {r.id for r in old}
    store.search_lag = 0.0
    total, ids = _all_pages(store, body, 200)
    assert (total, ids) == _reference(store, body)
    assert old[0].id not in ids and old[1].id not in ids and len(ids) == 2


def test_a_cached_page_order_is_dropped_when_a_record_changes() -> None:
    store = Store()
    deals = [store.insert("deals", {"amount": str(n)}, NOW_MS) for n in range(5)]
    body = {
        "filterGroups": [{"filters": [{"propertyName": "amount", "operator": "HAS_PROPERTY"}]}],
        "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}],
    }
    first = _all_pages(store, body, 2)[1]
    assert first == [d.id for d in reversed(deals)]
    store.update(deals[0], {"amount": "100"}, NOW_MS)
    assert _all_pages(store, body, 2)[1][0] == deals[0].id


def test_a_property_whose_type_changes_is_reindexed() -> None:
    store = Store()
    for v in ("9", "10", "100"):
        store.insert("deals", {"dealname": v}, NOW_MS)
    body = {
        "filterGroups": [{"filters": [{"propertyName": "dealname", "operator": "LT",
                                       "value": "2"}]}],
        "sorts": [],
    }  # fmt: skip
    assert _all_pages(store, body, 10)[0] == 2  # as strings: "10" and "100" sort before "2"
    store.schema.properties["deals"]["dealname"]["type"] = "number"
    assert _all_pages(store, body, 10)[0] == 0  # as numbers: none below 2
