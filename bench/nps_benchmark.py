"""The NPS stream at 100,000 answers: the pull against Typeform's 2 requests/s and the
write against HubSpot's batches, each as a ratio to its minimum.

    .venv/bin/python bench/nps_benchmark.py [--answers 100000] [--customers 20000]

- pull: listing requests against ⌈answers ÷ 1,000⌉ (+1, the empty page that ends a pull
  whose last page is full), its time against the floor of those requests at 2/s
  (target ≤ 1.05×); then a pull with nothing new: one request;
- write: HubSpot update calls of the `contacts.nps` step against ⌈customers with an
  answer ÷ 100⌉ (target ≤ 1.05×).

Typeform's emulator runs with its rate limit (2/s, bursts of 20) and no listing delay; the
contacts are loaded first (untimed). Results go to `bench/results/nps-<date>.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_machine import machine
from dagster import AssetKey, AssetSelection

from moulin_sync.defs.typeform.resources import Typeform
from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator
from moulin_sync.testing.sync_world import CONTACT_ASSETS, new_world
from moulin_sync.testing.typeform_emulator import (
    FORM_ID,
    answer,
    run_typeform_emulator,
)

RESULTS = Path(__file__).parent / "results"
REQUESTS_PER_S = 2.0
PAGE = 1000
BATCH = 100
TARGET = 1.05
NPS = AssetSelection.assets(AssetKey(["hubspot", "contacts.nps"])).upstream()
PULL_STEP = "typeform__nps_responses"
WRITE = "hubspot/contacts.nps"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    facts = machine()
    with (
        tempfile.TemporaryDirectory(prefix="nps-bench-") as tmp,
        run_hubspot_emulator(tier="professional") as hubspot,
        run_typeform_emulator() as typeform,
    ):
        world = new_world(Path(tmp), hubspot, customers=args.customers, companies=50, orders=2_000)
        world.tier = "professional"
        world.run(CONTACT_ASSETS)  # the contacts the answers land on (untimed)
        typeform.reset(rate=REQUESTS_PER_S, burst=20)
        typeform.create_form()
        emails = [
            e
            for (e,) in world.sql(
                "SELECT lower(trim(email)) FROM customers WHERE email LIKE '%@%.%'"
            )
        ]
        typeform.submit(_answers(args.answers, emails))
        world.sources = ("app_du_moulin", "typeform")
        world.extra = {
            "typeform": Typeform(token=typeform.token, form_id=FORM_ID, base_url=typeform.base_url)
        }
        pull, write = _first_run(world, typeform, args.answers)
        again = _nothing_new(world, typeform)
    result = {"machine": facts, "answers": args.answers, "pull": pull, "write": write,
              "nothing_new": again, "targets_met": _met(pull, write, again)}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"nps-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(result, indent=1))
    print(_table(result))
    print(f"results: {out}")
    return 0 if result["targets_met"] else 1


def _answers(n: int, emails: list[str]) -> list[dict]:
    rng = random.Random(7)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    return [
        answer(
            f"b{i:07d}",
            start + dt.timedelta(minutes=5 * i),
            score=rng.choice([10, 10, 9, 9, 9, 8, 8, 7, 6, 4, 2, 0]),
            comment=rng.choice([None, "Très bon pain.", "Retrait un peu long.\nSinon parfait."]),
            email=emails[i % len(emails)],
        )
        for i in range(n)
    ]


def _first_run(world, typeform, answers: int) -> tuple[dict, dict]:
    typeform.admin.reset_stats()
    started = time.monotonic()
    meta = world.run(NPS)
    wall = time.monotonic() - started
    requests = typeform.requests()
    # Every answer listed once, 1,000 a page, and the empty page after a full last one
    # (an erased customer's answers are pulled, then dropped: not in the table).
    minimum = math.ceil(answers / PAGE) + (answers % PAGE == 0)
    pull_s = _step_seconds(meta, "typeform/nps_responses", wall)
    floor_s = (requests - 1) / REQUESTS_PER_S
    written = meta[WRITE]
    changed = written["updated"]
    return (
        {"requests": requests, "minimum": minimum, "calls_over_minimum": round(requests / minimum, 3),
         "seconds": round(pull_s, 2), "floor_s": floor_s,
         "time_over_floor": round(pull_s / floor_s, 3) if floor_s else None,
         "rate_limited_429s": sum(r["count"] for r in typeform.admin.stats() if r["status"] == 429)},
        {"changed": changed, "write_calls": written["write_calls"],
         "minimum": math.ceil(changed / BATCH),
         "calls_over_minimum": round(written["write_calls"] / max(math.ceil(changed / BATCH), 1), 3),
         "seconds": written["duration_s"], "rate_limited_429s": written["rate_limited_429s"]},
    )  # fmt: skip


def _step_seconds(meta: dict, key: str, fallback: float) -> float:
    return float(meta.get(key, {}).get("pull_seconds") or fallback)


def _nothing_new(world, typeform) -> dict:
    typeform.admin.reset_stats()
    meta = world.run(NPS)
    return {"requests": typeform.requests(), "write_calls": meta[WRITE]["write_calls"]}


def _met(pull: dict, write: dict, again: dict) -> bool:
    return (
        pull["calls_over_minimum"] <= TARGET
        and (pull["time_over_floor"] or 0) <= TARGET
        and write["calls_over_minimum"] <= TARGET
        and again["requests"] == 1
        and again["write_calls"] == 0
    )


def _table(result: dict) -> str:
    pull, write, again = result["pull"], result["write"], result["nothing_new"]
    rows = [
        ("NPS pull, requests", f"{pull['requests']}", f"minimum {pull['minimum']} (×{pull['calls_over_minimum']})"),
        ("NPS pull, time", f"{pull['seconds']} s", f"floor {pull['floor_s']} s at 2/s (×{pull['time_over_floor']}); 429s {pull['rate_limited_429s']}"),
        ("NPS write, calls", f"{write['write_calls']}", f"minimum {write['minimum']} for {write['changed']:,} contacts (×{write['calls_over_minimum']})"),
        ("nothing new", f"{again['requests']} request", f"{again['write_calls']} writes"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    head = f"NPS benchmark — {result['answers']:,} answers; load {result['machine']['load_average_at_start']}"
    return "\n".join([head, *(f"  {a.ljust(width)}  {b:>10}  {c}" for a, b, c in rows)])


if __name__ == "__main__":
    raise SystemExit(main())
