"""The tickets stream at 100,000 Freshdesk tickets: the pull against the plan's per-minute
limit and the write against HubSpot's batches, each as a ratio to its minimum.

    .venv/bin/python bench/tickets_benchmark.py [--tickets 100000] [--customers 20000]
                                                [--plan enterprise]

- pull: ticket list requests against ⌈tickets ÷ 100⌉ (+ the window restarts, + one each
  for the trash and the spam), its time against the plan's floor: the credits those
  requests spend (5 a page: `include=requester,description`; 1 for the trash and the
  spam) at the ticket list's per-minute limit (target ≤ 1.05×); then a pull with nothing
  new: three requests;
- write: HubSpot write calls of the `tickets` step against ⌈tickets ÷ 100⌉ (target
  ≤ 1.05×), with the association calls named apart (a ticket's contact and company go
  inline with its create: none expected) and the lookups (batch reads by email).

The Freshdesk emulator runs with the plan's limits; the contacts and companies are
synced first (untimed). Results go to `bench/results/tickets-<date>.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_machine import machine
from dagster import AssetKey, AssetSelection

from moulin_sync.defs.freshdesk.resources import Freshdesk
from moulin_sync.sources.app_du_moulin.quality import EMAIL_PATTERN
from moulin_sync.sources.freshdesk.pacing import PLAN_LIMITS
from moulin_sync.sources.freshdesk.pull import INCLUDE
from moulin_sync.testing.freshdesk_emulator import DOMAIN, iso, run_freshdesk_emulator
from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator
from moulin_sync.testing.sync_world import CONTACT_ASSETS, new_world

RESULTS = Path(__file__).parent / "results"
PAGE = 100
BATCH = 100
TARGET = 1.05
PAGE_CREDITS = 1 + 2 * len(INCLUDE.split(","))
TICKETS = AssetSelection.assets(AssetKey(["hubspot", "tickets"])).upstream()
SOURCE = "freshdesk/tickets"
WRITE = "hubspot/tickets"
LOAD_CHUNK = 2_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--plan", default="enterprise", choices=["growth", "pro", "enterprise"])
    args = parser.parse_args()
    facts = machine()
    with (
        tempfile.TemporaryDirectory(prefix="tickets-bench-") as tmp,
        run_hubspot_emulator(tier="professional") as hubspot,
        run_freshdesk_emulator(plan="unlimited") as freshdesk,
    ):
        world = new_world(Path(tmp), hubspot, customers=args.customers, companies=50, orders=2_000)
        world.tier = "professional"
        world.run(CONTACT_ASSETS)  # the contacts and companies tickets land on (untimed)
        emails = [
            e
            for (e,) in world.sql(
                "SELECT DISTINCT lower(trim(email)) FROM customers WHERE email LIKE '%@%.%' "
                "AND deleted_at IS NULL AND anonymized_at IS NULL"
            )
            if re.match(EMAIL_PATTERN, e)  # a customer's usable email (the dirty ones aside)
        ]
        _load(freshdesk, args.tickets, emails)
        freshdesk.set_plan(args.plan)  # the limits apply from the pull on
        world.sources = ("app_du_moulin", "freshdesk")
        world.extra = {
            "freshdesk": Freshdesk(domain=DOMAIN, api_key=freshdesk.api_key,
                                   base_url=freshdesk.base_url, plan=args.plan)
        }  # fmt: skip
        pull, write = _first_run(world, freshdesk, args.tickets, args.plan)
        again = _nothing_new(world, freshdesk)
    result = {"machine": facts, "tickets": args.tickets, "plan": args.plan, "pull": pull,
              "write": write, "nothing_new": again, "targets_met": _met(pull, write, again)}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"tickets-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(result, indent=1))
    print(_table(result))
    print(f"results: {out}")
    return 0 if result["targets_met"] else 1


def _load(freshdesk, n: int, emails: list[str]) -> None:
    """Requesters with the customers' emails, and `n` tickets over two years (untimed)."""
    rng = random.Random(7)
    requesters: list[int] = []
    for start in range(0, len(emails), LOAD_CHUNK):
        chunk = emails[start : start + LOAD_CHUNK]
        people = [{"name": e.split("@")[0], "email": e} for e in chunk]
        requesters += freshdesk.bulk(contacts=people)["contacts"]
    begin = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
    for start in range(0, n, LOAD_CHUNK):
        rows = []
        for i in range(start, min(start + LOAD_CHUNK, n)):
            created = begin + dt.timedelta(minutes=10 * i)
            rows.append({
                "requester_id": requesters[i % len(requesters)],
                "subject": rng.choice(["Commande en retard", "Pain manquant", "Facture"]),
                "description": rng.choice(["Bonjour, ma commande n'est pas arrivée.",
                                           "Il manquait une baguette.", "Pouvez-vous m'aider ?"]),
                "status": rng.choice([2, 3, 4, 5, 5, 5]), "priority": rng.randint(1, 4),
                "source": rng.choice([1, 2, 3, 7, 9]), "tags": ["bench"],
                "created_at": iso(created),
                "updated_at": iso(created + dt.timedelta(minutes=rng.randint(0, 600))),
            })  # fmt: skip
        freshdesk.bulk(tickets=rows)


def _first_run(world, freshdesk, tickets: int, plan: str) -> tuple[dict, dict]:
    freshdesk.admin.reset_stats()
    world.hubspot.admin.reset_stats()
    started = time.monotonic()
    meta = world.run(TICKETS)
    wall = time.monotonic() - started
    source, written = meta[SOURCE], meta[WRITE]
    by_listing = source["requests_by_listing"]
    requests = sum(by_listing.values())
    minimum = math.ceil(tickets / PAGE) + 2  # every page, and the trash and the spam
    limits = PLAN_LIMITS[plan]
    assert limits is not None
    list_limit = limits[1]
    credits = by_listing["tickets"] * PAGE_CREDITS + by_listing["deleted"] + by_listing["spam"]
    # The steady floor: every credit after the first call's at the list's limit per minute.
    floor_s = (credits - PAGE_CREDITS) * 60.0 / list_limit
    pull_s = float(source.get("pull_seconds") or wall)
    calls = written["calls_by_endpoint"]
    associations = {k: v for k, v in calls.items() if "/associations/" in k}
    lookups = sum(v for k, v in calls.items() if k.endswith("/contacts/batch/read"))
    return (
        {"requests": requests, "requests_by_listing": by_listing, "windows": source["windows"],
         "minimum": minimum, "calls_over_minimum": round(requests / minimum, 3),
         "credits": credits, "seconds": round(pull_s, 2), "floor_s": round(floor_s, 2),
         "time_over_floor": round(pull_s / floor_s, 3) if floor_s else None,
         "paced_s": source["paced_seconds"], "rate_limited_429s": freshdesk.list_requests(429)},
        {"created": written["created"], "write_calls": written["write_calls"],
         "minimum": math.ceil(tickets / BATCH),
         "calls_over_minimum": round(written["write_calls"] / math.ceil(tickets / BATCH), 3),
         "association_calls": associations, "lookup_reads": lookups,
         "waiting": written["waiting"], "rejected": written["rejected"],
         "seconds": written["duration_s"], "rate_limited_429s": written["rate_limited_429s"]},
    )  # fmt: skip


def _nothing_new(world, freshdesk) -> dict:
    freshdesk.admin.reset_stats()
    meta = world.run(TICKETS)
    return {"requests": freshdesk.list_requests(), "write_calls": meta[WRITE]["write_calls"]}


def _met(pull: dict, write: dict, again: dict) -> bool:
    return (
        pull["calls_over_minimum"] <= TARGET
        and (pull["time_over_floor"] or 0) <= TARGET
        and write["calls_over_minimum"] <= TARGET
        and again["requests"] == 3
        and again["write_calls"] == 0
    )


def _table(result: dict) -> str:
    pull, write, again = result["pull"], result["write"], result["nothing_new"]
    rows = [
        ("tickets pull, requests", f"{pull['requests']}", f"minimum {pull['minimum']} (×{pull['calls_over_minimum']}); {pull['windows']} windows"),
        ("tickets pull, time", f"{pull['seconds']} s", f"floor {pull['floor_s']} s for {pull['credits']:,} credits ({result['plan']}) (×{pull['time_over_floor']}); 429s {pull['rate_limited_429s']}"),
        ("tickets write, calls", f"{write['write_calls']}", f"minimum {write['minimum']} (×{write['calls_over_minimum']}); association calls {sum(write['association_calls'].values())}; lookups {write['lookup_reads']}"),
        ("nothing new", f"{again['requests']} requests", f"{again['write_calls']} writes"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    head = (f"Tickets benchmark — {result['tickets']:,} tickets; load "
            f"{result['machine']['load_average_at_start']}")  # fmt: skip
    return "\n".join([head, *(f"  {a.ljust(width)}  {b:>12}  {c}" for a, b, c in rows)])


if __name__ == "__main__":
    raise SystemExit(main())
