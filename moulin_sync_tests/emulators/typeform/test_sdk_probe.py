"""Typeform's official JS SDK (`@typeform/api-client`, sdk_probe/) against the emulator:
each option of `responses.list`, its automatic paging (`page: "auto"`: 1,000 a page,
`before=<the last item's response_id>`, 500 ms apart) under the default rate limit,
`forms.get`, and the errors it raises. Needs Node and npm (`npm ci` on first run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from moulin_sync.emulators.typeform.timestamps import iso
from moulin_sync.testing.emulator import EmulatorProcess

from .helpers import FORM_ID, T0, TOKEN, item, nps_form, post_items

PROBE = Path(__file__).parent / "sdk_probe"


def node_with_the_sdk() -> str:
    """Node, once `npm ci` has installed the SDK; a skip (a failure when CI=true) without npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = ("node and npm are needed to run Typeform's JS SDK against the emulator "
                   "(install Node 20); the probe installs the SDK itself with npm ci")  # fmt: skip
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — CI must run the SDK probe, not skip it.")
        pytest.skip(message)
    if not (PROBE / "node_modules" / "@typeform" / "api-client").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROBE, check=True,
                       capture_output=True, timeout=600)  # fmt: skip
    return node


def auto_paged_form(api: httpx.Client, form_id: str, count: int) -> None:
    # response_id differs from token here: the SDK pages with the response_id.
    api.post(f"/_emulator/forms/{form_id}", json=nps_form()).raise_for_status()
    post_items(api, [item(n, at=T0 + n // 2, response_id=f"rid-{n:05d}") for n in range(count)],
               form_id)  # fmt: skip


def newest_first(count: int) -> list[str]:
    return [f"tok-{n:05d}" for n in reversed(range(count))]


def cases(nps_field: str) -> dict[str, dict[str, Any]]:
    def listing(**args: Any) -> dict[str, Any]:
        return {"call": "responses.list", "args": {"uid": FORM_ID, **args}}

    return {
        "uid only": listing(),
        "pageSize": listing(pageSize=5),
        "since and until": listing(since=iso(T0 + 180), until="2026-01-01T00:06:00"),
        "after": listing(after="tok-00027"),
        "before": listing(before="tok-00005", pageSize=3),
        "ids": listing(ids=["tok-00001", "tok-00002"]),
        "completed false": listing(completed=False),
        "completed true": listing(completed=True, pageSize=2),
        "sort": listing(sort="submitted_at,asc", pageSize=3),
        "query": listing(query="LEVAIN"),
        "fields": listing(fields=[nps_field], pageSize=2),
        "forms.get": {"call": "forms.get", "args": {"uid": FORM_ID}},
        "wrong token": {"call": "responses.list.intruder", "args": {"uid": FORM_ID}},
        "unknown form": listing(uid="NoSuchForm"),
        "pageSize 1001": listing(pageSize=1001),
        "auto 1000": {"call": "responses.list", "args": {"uid": "Auto1000", "page": "auto"}},
        "auto 1001": {"call": "responses.list", "args": {"uid": "Auto1001", "page": "auto"}},
        "auto 2345": {"call": "responses.list", "args": {"uid": "Auto2345", "page": "auto"}},
    }


@pytest.fixture(scope="module")
def sdk_results(
    typeform_server: EmulatorProcess, module_client: httpx.Client, tmp_path_factory: Any
) -> dict[str, Any]:
    """Run the probe once for the module's tests."""
    node = node_with_the_sdk()
    tf, api = typeform_server, module_client
    tf.admin.reset()
    api.post("/_emulator/settings", json={"listing_delay": 0, "rate": None}).raise_for_status()
    api.post(f"/_emulator/forms/{FORM_ID}", json=nps_form()).raise_for_status()
    post_items(api, [item(n, comment="Pain au levain" if n == 7 else None) for n in range(30)])
    post_items(api, [{"token": "partial-1", "response_type": "partial",
                      "landed_at": iso(T0 + 3000)}])  # fmt: skip
    for count in (1000, 1001, 2345):
        auto_paged_form(api, f"Auto{count}", count)
    nps = next(f["id"] for f in api.get(f"/forms/{FORM_ID}").json()["fields"] if f["ref"] == "nps")
    cases_file = tmp_path_factory.mktemp("sdk") / "cases.json"
    cases_file.write_text(json.dumps(cases(nps)))
    # Typeform's own rate limit, as a real account has it.
    api.post("/_emulator/settings", json={"rate": 2, "burst": 20}).raise_for_status()
    tf.admin.reset_stats()
    ran = subprocess.run([node, "probe.cjs", tf.base_url, TOKEN, str(cases_file)], cwd=PROBE,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)  # type: ignore[no-any-return]


def ok(results: dict[str, Any], name: str) -> Any:
    assert results[name]["ok"], (name, results[name])
    return results[name]["result"]


def test_each_option_of_responses_list(sdk_results: dict[str, Any]) -> None:
    r = sdk_results
    assert ok(r, "uid only")["tokens"] == newest_first(30)[:25]
    assert ok(r, "uid only")["total_items"] == 30
    assert ok(r, "pageSize")["tokens"] == newest_first(30)[:5]
    assert ok(r, "pageSize")["page_count"] == 6
    assert ok(r, "since and until")["tokens"] == ["tok-00006", "tok-00005", "tok-00004",
                                                   "tok-00003"]  # fmt: skip
    assert ok(r, "after")["tokens"] == ["tok-00028", "tok-00029"]
    assert ok(r, "before")["tokens"] == ["tok-00004", "tok-00003", "tok-00002"]
    assert ok(r, "ids")["tokens"] == ["tok-00002", "tok-00001"]
    assert ok(r, "completed false")["tokens"] == ["partial-1"]
    assert ok(r, "completed true")["tokens"] == ["tok-00029", "tok-00028"]
    assert ok(r, "sort")["tokens"] == ["tok-00000", "tok-00001", "tok-00002"]
    assert ok(r, "query")["tokens"] == ["tok-00007"]
    assert ok(r, "fields")["answers"] == [["nps"], ["nps"]]


def test_automatic_paging_reads_everything_at_the_1000_bound(
    sdk_results: dict[str, Any], typeform_server: EmulatorProcess
) -> None:
    tf = typeform_server
    for count in (1000, 1001, 2345):
        read = ok(sdk_results, f"auto {count}")
        assert read["tokens"] == newest_first(count), count
        assert (read["total_items"], read["page_count"]) == (count, 1)
    # One request a page; the SDK's 500 ms between pages keeps under 2 a second.
    assert tf.admin.count("GET", "/forms/{form_id}/responses", 200) == 11 + 1 + 2 + 3
    assert tf.admin.count("GET", "/forms/{form_id}/responses", 429) == 0
    assert sdk_results["auto 2345"]["ms"] >= 1000  # two waits of 500 ms


def test_forms_get_and_the_errors_the_sdk_raises(sdk_results: dict[str, Any]) -> None:
    form = ok(sdk_results, "forms.get")
    assert [f["ref"] for f in form["fields"]] == ["nps", "comment"]
    assert form["hidden"] == ["email", "customer_id"]
    errors = {name: sdk_results[name] for name in ("wrong token", "unknown form", "pageSize 1001")}
    assert not any(e["ok"] for e in errors.values())
    assert errors["wrong token"]["error"]["code"] == "AUTHENTICATION_FAILED"
    assert errors["unknown form"]["error"] == {"code": "FORM_NOT_FOUND", "details": [],
                                               "message": "Non existing form with uid NoSuchForm"}  # fmt: skip
    invalid = errors["pageSize 1001"]["error"]
    assert invalid["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in invalid["details"]] == ["page_size"]
