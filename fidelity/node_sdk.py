"""HubSpot's official Node SDK (`@hubspot/api-client`) against the HubSpot emulator.

    .venv/bin/python fidelity/node_sdk.py --probe .fidelity/node/probe.mjs

Runs `probe.mjs` (create, batch upsert, search, associations, tickets, properties,
pipelines, a 409) against a fresh emulator. Passes when every check of the probe passes
and every answer the emulator gave is one HubSpot gives for those calls (2xx, 207, and
the one 409 the probe provokes). Prints a summary and writes a JSON result (`--out`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

TOKEN = "fidelity-token"
EXPECTED = {200, 201, 204, 207}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probe", required=True, help="probe.mjs with its node_modules beside it")
    parser.add_argument("--out", default="fidelity/results/node-sdk.json")
    args = parser.parse_args()
    with run_hubspot_emulator(token=TOKEN) as hs:
        proc = subprocess.run(["node", args.probe, hs.base_url, TOKEN], capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        stats = hs.admin.stats()
    try:
        checks = json.loads(proc.stdout.strip().splitlines()[-1])["checks"]
    except (ValueError, IndexError, KeyError):
        checks = [{"name": "probe ran", "ok": False, "detail": (proc.stdout + proc.stderr)[-2000:]}]
    version = _sdk_version(Path(args.probe).parent)
    unexpected = [r for r in stats if r["status"] not in EXPECTED and r["status"] != 409]
    conflicts = sum(r["count"] for r in stats if r["status"] == 409)
    ok = all(c["ok"] for c in checks) and not unexpected and conflicts == 1
    result = {"sdk": version, "pass": ok, "checks": checks, "requests": stats}
    for c in checks:
        print(f"  {'ok  ' if c['ok'] else 'FAIL'} {c['name']}: {json.dumps(c['detail'])[:200]}")
    for r in unexpected:
        print(f"  unexpected status: {r['method']} {r['route']} -> {r['status']} x{r['count']}")
    total = sum(r["count"] for r in stats)
    print(f"{'PASS' if ok else 'FAIL'}: @hubspot/api-client {version}, {len(checks)} checks, "
          f"{total} requests to the emulator (result in {args.out})")  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


def _sdk_version(folder: Path) -> str:
    manifest = folder / "node_modules" / "@hubspot" / "api-client" / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
