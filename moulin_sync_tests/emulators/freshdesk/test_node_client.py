"""The npm `freshdesk-api` client (its own `new Freshdesk(baseUrl, apiKey)`, which calls
`${baseUrl}/api/v2/...`) lists, creates, updates, deletes and restores tickets on the
emulator: `client_probe/probe.js`, installed with `npm ci` from the committed lock file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import API_KEY, Freshdesk

PROBE = Path(__file__).parent / "client_probe"


def node_tools() -> tuple[str, str]:
    """`node` and `npm`, or a skip (a failure on CI, where they must be installed)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    message = "node and npm are needed to run the freshdesk-api probe (install Node 20)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def installed(npm: str) -> None:
    if (PROBE / "node_modules" / "freshdesk-api").is_dir():
        return
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROBE,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, f"npm ci failed in {PROBE}:\n{done.stderr[-3000:]}"


def test_the_freshdesk_api_client_works_against_the_emulator(fd: Freshdesk) -> None:
    node, npm = node_tools()
    installed(npm)
    env = {**os.environ, "FRESHDESK_BASE_URL": fd.base_url, "FRESHDESK_API_KEY": API_KEY}
    run = subprocess.run([node, "probe.js"], cwd=PROBE, env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    created = seen["created"]
    assert created["status"] == 2 and created["requester_id"]
    assert seen["firstPage"] == {"ids": [created["id"]], "pageIsLast": False}  # a link header
    assert seen["listed"] == [created["id"], created["id"] + 1]
    assert seen["updated"] == {"status": 4, "priority": 3, "err": None}
    assert seen["viewed"] == {"status": 4, "subject": "Sonde Node"}
    assert seen["deleted"] == {"data": None, "err": None}
    assert seen["trash"] == [created["id"]]
    assert seen["restored"] == {"err": None}
    assert seen["afterRestore"] == seen["listed"]
    assert (
        seen["invalid"]["status"] == 400 and seen["invalid"]["errors"][0]["field"] == "requester_id"
    )
    assert seen["me"]["err"] is None and seen["me"]["id"]
    # The client parses a 404's empty JSON body and fails on it, as it does on Freshdesk's.
    assert seen["missing"]["name"] == "SyntaxError"
    contacts = fd.get("/api/v2/contacts", email="claire.probe@example.fr").json()
    assert [c["name"] for c in contacts] == ["Claire Probe"]
