"""Airbyte's HubSpot source, unchanged, against the HubSpot emulator.

    .venv/bin/python fidelity/airbyte_hubspot.py --connector .fidelity/airbyte/bin/source-hubspot

The connector's base URL is fixed to https://api.hubapi.com: its process is given an HTTPS
proxy (`tls_proxy.py`) that hands that host's traffic to the emulator, and a throwaway
certificate authority to trust (`airbyte_connector.trusted`); its code is not touched.
On a seeded portal it runs `check`, `discover`, a first `read` (contacts, companies and
deals incremental; owners, pipelines, tickets, line items and products in full), then,
after some records changed, a second `read` of the three with the first one's state.
It passes when:

- `check` succeeds and `discover` lists the streams;
- the first read returns every contact, company and deal the emulator holds, each once,
  and the other streams what the portal holds (its owner, its pipelines, its tickets);
- the second read returns every changed record, each once, and no other record but
  those whose `updatedAt` is the state's cursor value: the connector's cursor is
  inclusive, so it reads again the records written in the instant it last saw (counted
  apart as `boundary`);
- no request was answered with a status HubSpot would not give (only 2xx and 207).

Prints a summary and writes a JSON result (`--out`); exits 1 on failure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from airbyte_connector import (  # beside this script
    Connector,
    StreamRead,
    configured_catalog,
    cursor_values,
    final_state,
    records,
    same_instant,
    trusted,
)
from portal_seed import change, seed
from tls_proxy import hubspot_proxy

from moulin_sync.testing.hubspot_emulator import EmulatorHandle, run_hubspot_emulator

STREAMS = ("contacts", "companies", "deals")
FULL = ("owners", "deal_pipelines", "ticket_pipelines", "tickets", "line_items", "products")
OK_STATUSES = {200, 201, 204, 207}
TOKEN = "fidelity-token"


def check_read(read: dict[str, StreamRead], expected: dict[str, set[str]],
               cursors: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Per stream: the expected ids read once each; others allowed only at the cursor."""
    out = {}
    for t, wanted in expected.items():
        got = read.get(t, StreamRead())
        extra = set(got.counts) - wanted
        boundary = {i for i in extra if cursors and same_instant(got.updated[i], cursors[t])}
        out[t] = {
            "expected": len(wanted),
            "read": sum(got.counts.values()),
            "missing": sorted(wanted - set(got.counts), key=int)[:20],
            "unexpected": sorted(extra - boundary, key=int)[:20],
            "boundary": len(boundary),
            "repeated": sorted((i for i, n in got.counts.items() if n > 1), key=int)[:20],
        }
        out[t]["ok"] = not (out[t]["missing"] or out[t]["unexpected"] or out[t]["repeated"])
    return out


def check_full_streams(read: dict[str, StreamRead], hs: EmulatorHandle) -> dict[str, Any]:
    """What the portal holds besides contacts, companies and deals, read in full."""
    state = hs.admin.state()["objects"]
    wanted = {"deal_pipelines": 1, "ticket_pipelines": 1, "line_items": 0, "products": 0,
              "tickets": sum(1 for r in state["tickets"] if not r["archived"])}  # fmt: skip
    out = {name: {"read": sum(read.get(name, StreamRead()).counts.values())} for name in FULL}
    for name, n in wanted.items():
        out[name]["ok"] = out[name]["read"] == n
    out["owners"]["ok"] = out["owners"]["read"] >= 1
    return out


def run_steps(hs: EmulatorHandle, connector: Connector, changed: int, result: dict) -> bool:
    steps = result["steps"]
    check = next(m for m in connector.run("check") if m.get("type") == "CONNECTION_STATUS")
    steps["check"] = check["connectionStatus"]
    if steps["check"]["status"] != "SUCCEEDED":
        return False
    discovered = next(m for m in connector.run("discover") if m.get("type") == "CATALOG")
    names = {s["name"] for s in discovered["catalog"]["streams"]}
    steps["discover"] = {"streams": len(names), "missing": sorted({*STREAMS, *FULL} - names)}
    held = {t: {r["id"] for r in hs.admin.state()["objects"][t] if not r["archived"]}
            for t in STREAMS}  # fmt: skip
    first = connector.read(configured_catalog(discovered["catalog"], STREAMS, FULL), None)
    steps["first_read"] = check_read(records(first), held)
    steps["first_read_others"] = check_full_streams(records(first), hs)
    time.sleep(1.1)  # the changes land after the first read's last cursor value
    changed_ids = change(hs, changed)
    state = final_state(first)
    second = connector.read(configured_catalog(discovered["catalog"], STREAMS), state)
    steps["second_read"] = check_read(records(second), changed_ids, cursor_values(state))
    return (
        not steps["discover"]["missing"]
        and all(v["ok"] for v in steps["first_read"].values())
        and all(v["ok"] for v in steps["first_read_others"].values())
        and all(v["ok"] for v in steps["second_read"].values())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connector", required=True, help="the source-hubspot executable")
    parser.add_argument("--contacts", type=int, default=250)
    parser.add_argument("--companies", type=int, default=60)
    parser.add_argument("--deals", type=int, default=300)
    parser.add_argument("--changed", type=int, default=25, help="records changed per stream")
    parser.add_argument("--out", default="fidelity/results/airbyte-hubspot.json")
    args = parser.parse_args()
    result: dict[str, Any] = {"connector": connector_version(args.connector), "steps": {}}
    ok = False
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp, \
            run_hubspot_emulator(token=TOKEN) as hs:  # fmt: skip
        seed(hs, args.contacts, args.companies, args.deals)
        with (
            hubspot_proxy(("127.0.0.1", hs.port), Path(tmp) / "ca") as (proxy, authority),
            trusted(Path(args.connector).parent / "python", authority),
        ):
            connector = Connector(args.connector, Path(tmp), proxy.port, authority, TOKEN)
            try:
                ok = run_steps(hs, connector, args.changed, result)
            except RuntimeError as e:
                result["error"] = str(e)[:4000]
                print(f"FAIL: {str(e)[:2000]}")
            result["requests"] = hs.admin.stats()
            result["refused_hosts"] = proxy.refused
    bad = [r for r in result["requests"] if r["status"] not in OK_STATUSES]
    result["statuses_ok"] = not bad
    result["pass"] = ok and not bad and not result["refused_hosts"]
    summarize(result, bad)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'PASS' if result['pass'] else 'FAIL'}: Airbyte source-hubspot {result['connector']} "
          f"against the emulator (result in {args.out})")  # fmt: skip
    return 0 if result["pass"] else 1


def connector_version(command: str) -> str:
    python = Path(command).parent / "python"
    code = "import importlib.metadata as m; print(m.version('airbyte-source-hubspot'))"
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def summarize(result: dict[str, Any], bad: list[dict[str, Any]]) -> None:
    statuses: Counter[int] = Counter()
    for r in result["requests"]:
        statuses[r["status"]] += r["count"]
    print(f"requests to the emulator: {sum(statuses.values())}, by status: "
          f"{dict(sorted(statuses.items()))}")  # fmt: skip
    for name, step in result["steps"].items():
        print(f"  {name}: {json.dumps(step)}")
    for r in bad:
        print(
            f"  status HubSpot would not give: {r['method']} {r['route']} -> {r['status']} x{r['count']}"
        )


if __name__ == "__main__":
    sys.exit(main())
