"""Search latency of the HubSpot emulator with a million deals loaded.

    .venv/bin/python bench/search_benchmark.py [--deals 1000000] [--searches 300]

Starts the emulator (tier unlimited, in memory), loads the deals through the admin bulk
route (timed: the budget is 60 s), runs one search per indexed property to build the
indexes (timed apart), then times over HTTP, one keep-alive client:
1. a close-date range of about a month, sorted by close date, 200 per page, at a random
   page — target median <= 10 ms, p99 <= 50 ms;
2. the deal checks' search: the same range unsorted, paged through from the first page;
3. an EQ on moulin_order_id and an IN of 20 of them.
Writes bench/results/search-<date>.json beside the printed table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

START = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
YEARS = 8
MONTH_MS = 30 * 86_400_000
CHUNK = 100_000
LOAD_BUDGET_S = 60.0
MEDIAN_MS, P99_MS = 10.0, 50.0
STAGES = ["closedwon", "closedlost", "appointmentscheduled"]


def deals(n: int, seed: int = 7) -> list[dict[str, str]]:
    """`n` deals with close dates spread over eight years, as our sync writes them."""
    rng = random.Random(seed)
    span = YEARS * 365 * 86_400_000
    base = int(START.timestamp() * 1000)
    return [
        {
            "dealname": f"Commande {i}",
            "moulin_order_id": f"ord-{i}",
            "amount": f"{rng.randint(500, 90_000) / 100:.2f}",
            "closedate": str(base + rng.randrange(span)),
            "dealstage": rng.choice(STAGES),
            "pipeline": "default",
        }
        for i in range(n)
    ]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "searches": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
    }


def window(rng: random.Random, span_ms: int = MONTH_MS) -> dict[str, Any]:
    base = int(START.timestamp() * 1000)
    low = base + rng.randrange(YEARS * 12 - 1) * MONTH_MS
    return {
        "propertyName": "closedate",
        "operator": "BETWEEN",
        "value": str(low),
        "highValue": str(low + span_ms - 1),
    }


class Searcher:
    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )

    def __call__(self, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        r = self.http.post("/crm/v3/objects/deals/search", json=body)
        elapsed = time.perf_counter() - started
        r.raise_for_status()
        return elapsed, r.json()


def sorted_pages(search: Searcher, rng: random.Random, count: int) -> list[float]:
    times = []
    for _ in range(count):
        body = {
            "filterGroups": [{"filters": [window(rng)]}],
            "sorts": [{"propertyName": "closedate", "direction": rng.choice(["ASCENDING", "DESCENDING"])}],
            "properties": ["moulin_order_id", "amount", "closedate"],
            "limit": 200,
        }  # fmt: skip
        _, first = search({**body, "limit": 1})
        pages = max(1, min(first["total"], 10_000) // 200)
        elapsed, answer = search({**body, "after": str(200 * rng.randrange(pages))})
        assert answer["results"], body
        times.append(elapsed)
    return times


def deal_check_pages(search: Searcher, rng: random.Random, windows: int) -> tuple[list[float], int]:
    times, read = [], 0
    for _ in range(windows):
        body: dict[str, Any] = {
            # Half a month: the checks split a window past search's 10,000-result cap.
            "filterGroups": [{"filters": [window(rng, MONTH_MS // 2)]}],
            "properties": ["moulin_order_id", "amount", "closedate", "dealstage", "pipeline"],
            "limit": 200,
        }
        while True:
            elapsed, answer = search(body)
            times.append(elapsed)
            read += len(answer["results"])
            after = answer.get("paging", {}).get("next", {}).get("after")
            if after is None:
                break
            body["after"] = after
    return times, read


def key_lookups(search: Searcher, rng: random.Random, n: int, count: int) -> list[float]:
    times = []
    for k in range(count):
        if k % 2:
            f = {
                "propertyName": "moulin_order_id",
                "operator": "EQ",
                "value": f"ord-{rng.randrange(n)}",
            }
        else:
            values = [f"ord-{rng.randrange(n)}" for _ in range(20)]
            f = {"propertyName": "moulin_order_id", "operator": "IN", "values": values}
        elapsed, answer = search({"filterGroups": [{"filters": [f]}], "limit": 100})
        assert answer["total"] >= 1
        times.append(elapsed)
    return times


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(11)
    rows = deals(args.deals)
    with run_hubspot_emulator(tier="unlimited") as hs:
        http = httpx.Client(base_url=hs.base_url, headers={"Authorization": f"Bearer {hs.token}"})
        http.post("/crm/v3/properties/deals", json={
            "name": "moulin_order_id", "label": "Order id", "type": "string",
            "fieldType": "text", "groupName": "dealinformation", "hasUniqueValue": True,
        }).raise_for_status()  # fmt: skip
        started = time.perf_counter()
        for i in range(0, len(rows), CHUNK):
            hs.admin.bulk_load("deals", rows[i : i + CHUNK])
        load_s = time.perf_counter() - started
        del rows
        search = Searcher(hs.base_url, hs.token)
        first_s = {
            name: round(search({"filterGroups": [{"filters": [f]}], "limit": 1})[0], 2)
            for name, f in {
                "closedate": window(rng),
                "moulin_order_id": {"propertyName": "moulin_order_id", "operator": "EQ", "value": "ord-1"},
            }.items()
        }  # fmt: skip
        result = {
            "date": dt.date.today().isoformat(),
            "deals": args.deals,
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "bulk_load_s": round(load_s, 1),
            "bulk_load_budget_s": LOAD_BUDGET_S,
            "first_search_s_builds_index": first_s,
            "sorted_range_page": summary(sorted_pages(search, rng, args.searches)),
            "key_lookup": summary(key_lookups(search, rng, args.deals, args.searches)),
        }
        times, read = deal_check_pages(search, rng, 3)
        result["deal_check_pages"] = {**summary(times), "deals_read": read}
    page = result["sorted_range_page"]
    result["verdict"] = {
        "load": result["bulk_load_s"] <= LOAD_BUDGET_S,
        "sorted_range_page": page["median_ms"] <= MEDIAN_MS and page["p99_ms"] <= P99_MS,
    }
    print(json.dumps(result, indent=2))
    out = Path(__file__).parent / "results" / f"search-{result['date']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
