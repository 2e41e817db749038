"""SQLite state: survives restarts and SIGKILL, stays consistent under concurrent clients."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from moulin_sync.testing.hubspot_emulator import free_port, run_hubspot_emulator


def _upsert(http: httpx.Client, emails: list[str]) -> httpx.Response:
    return http.post(
        "/crm/v3/objects/contacts/batch/upsert",
        json={
            "inputs": [
                {"idProperty": "email", "id": e, "properties": {"city": "Lyon"}} for e in emails
            ]
        },
    )


def test_state_survives_restart_and_kill(tmp_path: Path) -> None:
    state = tmp_path / "hubspot.sqlite"
    with run_hubspot_emulator(state_path=state) as em:
        auth = {"Authorization": f"Bearer {em.token}"}
        with httpx.Client(base_url=em.base_url, headers=auth) as http:
            assert _upsert(http, ["a@x.io", "b@x.io"]).status_code == 200
            http.post("/crm/v3/properties/contacts", json={
                "name": "moulin_id", "label": "M", "type": "string", "fieldType": "text",
                "groupName": "contactinformation", "hasUniqueValue": True})  # fmt: skip
            co = http.post("/crm/v3/objects/companies", json={"properties": {"name": "C"}}).json()[
                "id"
            ]
            a = http.get("/crm/v3/objects/contacts/a@x.io?idProperty=email").json()["id"]
            http.put(f"/crm/v4/objects/contacts/{a}/associations/default/companies/{co}")
        before = em.admin.state()
        em.restart()
        assert em.admin.state() == before
        em.kill()  # SIGKILL: no clean shutdown
        em.start()
        assert em.admin.state() == before
        with httpx.Client(base_url=em.base_url, headers=auth) as http:
            r = _upsert(http, ["A@x.io", "c@x.io"])
            assert sorted(x["new"] for x in r.json()["results"]) == [False, True]
            prop = http.get("/crm/v3/properties/contacts/moulin_id").json()
            assert prop["hasUniqueValue"] is True
            new_id = http.post("/crm/v3/objects/deals", json={
                "properties": {"dealname": "D", "dealstage": "closedwon"}}).json()["id"]  # fmt: skip
            assert int(new_id) > max(int(r["id"]) for r in before["objects"]["contacts"])


def test_concurrent_clients_on_a_state_file(tmp_path: Path) -> None:
    state = tmp_path / "hubspot.sqlite"
    with run_hubspot_emulator(state_path=state) as em:
        auth = {"Authorization": f"Bearer {em.token}"}

        def worker(k: int) -> list[int]:
            with httpx.Client(base_url=em.base_url, headers=auth) as http:
                # every worker writes the same 50 emails (racing upserts) plus 50 of its own
                return [
                    _upsert(http, [f"shared{j}@x.io" for j in range(b * 10, b * 10 + 10)]
                            + [f"w{k}-{b}-{j}@x.io" for j in range(10)]).status_code
                    for b in range(5)
                ]  # fmt: skip

        with ThreadPoolExecutor(8) as pool:
            statuses = [s for out in pool.map(worker, range(8)) for s in out]
        assert statuses == [200] * 40
        live = em.admin.state()["objects"]["contacts"]
        emails = [r["properties"]["email"] for r in live]
        assert len(emails) == len(set(emails)) == 50 + 8 * 50
        em.restart()
        assert len(em.admin.state()["objects"]["contacts"]) == 450


def test_a_second_process_cannot_open_the_same_state_file(tmp_path: Path) -> None:
    state = tmp_path / "hubspot.sqlite"
    with run_hubspot_emulator(state_path=state):
        proc = subprocess.run(
            [sys.executable, "-m", "moulin_sync.emulators.hubspot", "--port", str(free_port()),
             "--state", str(state)],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
        assert proc.returncode != 0
        assert "in use by another emulator" in proc.stderr
