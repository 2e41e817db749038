"""Contact merges keep every email: the secondary's joins the survivor's additional emails,
and it still identifies the survivor (409 on create, found by idProperty=email)."""

from __future__ import annotations

import httpx
import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle


@pytest.fixture
def http(hs: EmulatorHandle) -> httpx.Client:
    return httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=30)


def _contact(http: httpx.Client, **props: str) -> str:
    answer = http.post("/crm/v3/objects/contacts", json={"properties": props})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _merge(http: httpx.Client, primary: str, secondary: str) -> dict:
    answer = http.post("/crm/v3/objects/contacts/merge",
                       json={"primaryObjectId": primary, "objectIdToMerge": secondary})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def _by_email(http: httpx.Client, email: str) -> httpx.Response:
    return http.get(f"/crm/v3/objects/contacts/{email}",
                    params={"idProperty": "email", "properties": "email,hs_additional_emails"})  # fmt: skip


def test_the_secondary_email_joins_the_survivors_additional_emails(http) -> None:
    keep = _contact(http, email="ana@x.io", firstname="Ana")
    gone = _contact(http, email="ana.old@x.io", firstname="Old")
    merged = _merge(http, keep, gone)
    assert merged["id"] == keep
    assert merged["properties"]["email"] == "ana@x.io"
    assert merged["properties"]["hs_additional_emails"] == "ana.old@x.io"
    assert merged["properties"]["firstname"] == "Ana"  # the survivor's own values stay


def test_a_merged_email_still_belongs_to_the_survivor(http) -> None:
    keep = _contact(http, email="bea@x.io")
    _merge(http, keep, _contact(http, email="bea.old@x.io"))
    taken = http.post("/crm/v3/objects/contacts", json={"properties": {"email": "BEA.old@x.io"}})
    assert taken.status_code == 409
    assert taken.json()["message"] == f"Contact already exists. Existing ID: {keep}"
    found = _by_email(http, "bea.old@x.io")
    assert found.status_code == 200 and found.json()["id"] == keep
    upsert = http.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": [
        {"idProperty": "email", "id": "bea.old@x.io", "properties": {"city": "Lyon"}}]})  # fmt: skip
    assert upsert.json()["results"][0]["id"] == keep
    assert upsert.json()["results"][0]["new"] is False


def test_a_primary_without_email_takes_the_secondarys(http) -> None:
    keep = _contact(http, firstname="No email")
    gone = _contact(http, email="cy@x.io")
    merged = _merge(http, keep, gone)
    assert merged["properties"]["email"] == "cy@x.io"
    assert not merged["properties"].get("hs_additional_emails")
    assert _by_email(http, "cy@x.io").json()["id"] == keep


def test_additional_emails_accumulate_over_merges(http) -> None:
    keep = _contact(http, email="dan@x.io")
    middle = _contact(http, email="dan.2@x.io")
    _merge(http, middle, _contact(http, email="dan.3@x.io"))
    merged = _merge(http, keep, middle)
    assert merged["properties"]["hs_additional_emails"] == "dan.2@x.io;dan.3@x.io"
    for email in ("dan.2@x.io", "dan.3@x.io"):
        assert _by_email(http, email).json()["id"] == keep


def test_the_survivor_may_take_one_of_its_additional_emails_as_its_email(http) -> None:
    keep = _contact(http, email="eve@x.io")
    _merge(http, keep, _contact(http, email="eve.work@x.io"))
    answer = http.patch(f"/crm/v3/objects/contacts/{keep}",
                        json={"properties": {"email": "eve.work@x.io"}})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["properties"]["email"] == "eve.work@x.io"
    assert not answer.json()["properties"].get("hs_additional_emails")
    assert _by_email(http, "eve.work@x.io").json()["id"] == keep
    # the email it gave up is free again
    assert _by_email(http, "eve@x.io").status_code == 404
    other = _contact(http, email="fay@x.io")
    taken = http.patch(f"/crm/v3/objects/contacts/{other}",
                       json={"properties": {"email": "eve.work@x.io"}})  # fmt: skip
    assert taken.status_code == 409


def test_merged_emails_survive_a_restart(tmp_path) -> None:
    from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

    with run_hubspot_emulator(state_path=tmp_path / "state.sqlite") as hs:
        http = httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=30)
        keep = _contact(http, email="gus@x.io")
        _merge(http, keep, _contact(http, email="gus.old@x.io"))
        hs.restart()
        http = httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=30)
        assert _by_email(http, "gus.old@x.io").json()["id"] == keep
