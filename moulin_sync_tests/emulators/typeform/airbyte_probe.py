"""Manual probe: Airbyte's Typeform source reading the emulator (not run by pytest).

Airbyte's source needs Python 3.9-3.11 with its own airbyte-cdk, so it lives in a venv
of its own:

    python3.10 -m venv /tmp/tf-airbyte
    /tmp/tf-airbyte/bin/pip install airbyte-source-typeform==1.3.27
    .venv/bin/python -m moulin_sync_tests.emulators.typeform.airbyte_probe \\
        --venv /tmp/tf-airbyte --responses 10000 [--burst 20] [--fault-429]

It starts the emulator (2 requests/s, the default burst, no listing delay), fills one
form, copies the source's package with its `url_base` pointed at the emulator, reads
`forms` and `responses` (incremental, since 2025-01-01) and prints what it read and the
requests the emulator answered. `--fault-429` answers the second page with a 429.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from moulin_sync.testing.emulator import run_emulator_process

from .helpers import FORM_ID, T0, nps_form

TOKEN = "airbyte-probe-token"


def fill(http: httpx.Client, count: int) -> None:
    http.post(f"/_emulator/forms/{FORM_ID}", json=nps_form()).raise_for_status()
    for start in range(0, count, 5000):
        items = [
            {"token": f"tok-{n:06d}", "submitted_at": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + n)), "hidden": {"email": f"c{n}@x.fr"},
             "answers": [{"field": {"ref": "nps"}, "type": "number", "number": n % 11}]}
            for n in range(start, min(count, start + 5000))
        ]  # fmt: skip
        http.post(f"/_emulator/forms/{FORM_ID}/responses", json={"items": items}).raise_for_status()


def source_package(venv: Path, work: Path, base_url: str) -> None:
    """The installed `source_typeform`, copied into `work` with its API pointed at `base_url`."""
    [installed] = venv.glob("lib/python3*/site-packages/source_typeform")
    shutil.copytree(installed, work / "source_typeform")
    manifest = work / "source_typeform" / "manifest.yaml"
    text = manifest.read_text().replace("url_base: https://api.typeform.com/",
                                        f"url_base: {base_url}/")  # fmt: skip
    manifest.write_text(text)


def read(venv: Path, work: Path) -> tuple[int, list[dict[str, Any]], float]:
    config = {"credentials": {"auth_type": "access_token", "access_token": TOKEN},
              "start_date": "2025-01-01T00:00:00Z", "form_ids": [FORM_ID]}  # fmt: skip
    streams = [("forms", "full_refresh"), ("responses", "incremental")]
    catalog = {"streams": [
        {"stream": {"name": name, "json_schema": {}, "supported_sync_modes": [mode]},
         "sync_mode": mode, "destination_sync_mode": "append", "cursor_field": ["submitted_at"]}
        for name, mode in streams]}  # fmt: skip
    (work / "config.json").write_text(json.dumps(config))
    (work / "catalog.json").write_text(json.dumps(catalog))
    started = time.monotonic()
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "from source_typeform.run import run; run()",
         "read", "--config", "config.json", "--catalog", "catalog.json"],
        cwd=work, capture_output=True, text=True,
    )  # fmt: skip
    messages = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    records = [m["record"]["data"] for m in messages
               if m.get("type") == "RECORD" and m["record"]["stream"] == "responses"]  # fmt: skip
    return run.returncode, records, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--responses", type=int, default=2500)
    parser.add_argument("--fault-429", action="store_true")
    parser.add_argument("--burst", default="20")
    args = parser.parse_args()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    extra = ["--token", TOKEN, "--listing-delay", "0", "--burst", args.burst]
    with (run_emulator_process("moulin_sync.emulators.typeform", auth=auth,
                               extra_args=extra) as tf,
          tempfile.TemporaryDirectory() as tmp):  # fmt: skip
        http = httpx.Client(base_url=tf.base_url, headers=auth, timeout=120)
        fill(http, args.responses)
        source_package(args.venv, Path(tmp), tf.base_url)
        tf.admin.reset_stats()
        if args.fault_429:
            tf.admin.add_fault(kind="status", status=429, route=f"/forms/{FORM_ID}/responses",
                               skip=1)  # fmt: skip
        code, records, seconds = read(args.venv, Path(tmp))
        print(
            f"exit {code} in {seconds:.1f} s: {len(records)} responses read, "
            f"{len({r['token'] for r in records})} distinct"
        )
        for row in tf.admin.stats():
            print(f"  {row['method']} {row['route']} {row['status']}: {row['count']}")


if __name__ == "__main__":
    main()
