"""A HubSpot request that fails half-way is undone whole: records, associations, unique
values, search indexes, ids, the GDPR blocklist and the schema (`Store.rollback`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moulin_sync.emulators.hubspot import associations as assoc
from moulin_sync.emulators.hubspot.objects import Objects
from moulin_sync.emulators.hubspot.portal import PortalState
from moulin_sync.emulators.hubspot.search import search
from moulin_sync.emulators.hubspot.store import Store
from moulin_sync.emulators.hubspot.timestamps import now_ms

EQ_NAME = {"filterGroups": [{"filters": [
    {"propertyName": "dealname", "operator": "EQ", "value": "Big"}]}], "limit": 100}  # fmt: skip


def _seed(store: Store) -> dict[str, Any]:
    now = now_ms()
    ana = store.insert("contacts", {"email": "ana@x.io"}, now)
    bob = store.insert("contacts", {"email": "bob@x.io"}, now)
    co = store.insert("companies", {"name": "Co"}, now)
    deal = store.insert("deals", {"dealname": "Big", "dealstage": "closedwon"}, now)
    assoc.associate(store, ana, co, 1)
    assoc.associate(store, deal, ana, 3)
    search(store, "deals", EQ_NAME)  # builds the dealname index, which writes keep current
    store.commit()
    return {"ana": ana.id, "bob": bob.id, "co": co.id, "deal": deal.id}


def _snapshot(store: Store) -> Any:
    return (
        PortalState(store).to_json(),
        store.next_id,
        search(store, "deals", EQ_NAME)["total"],
        store.find("contacts", "email", "ana@x.io") is not None,
        store.find("contacts", "email", "bob@x.io") is not None,
        sorted(store.schema.properties["deals"]),
    )


def _break_everything(store: Store, ids: dict[str, Any]) -> None:
    now = now_ms()
    objects = Objects(store)
    ana, bob = store.get("contacts", ids["ana"]), store.get("contacts", ids["bob"])
    deal = store.get("deals", ids["deal"])
    store.update(ana, {"email": "new@x.io", "firstname": "Ana"}, now)
    store.insert("deals", {"dealname": "Big", "dealstage": "closedwon"}, now)
    store.update(deal, {"dealname": "Small"}, now)
    objects.archive("companies", ids["co"])
    objects.merge("contacts", {"primaryObjectId": ids["ana"], "objectIdToMerge": ids["bob"]})
    assert store.get("contacts", bob.id) is None
    store.block_email("gone@x.io")
    store.schema.create_property(
        "deals", {"name": "extra", "label": "E", "type": "string", "fieldType": "text",
                  "groupName": "dealinformation"}, "2026-01-01T00:00:00.000Z")  # fmt: skip


def test_rollback_restores_the_store_as_it_was(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "state.sqlite"))
    ids = _seed(store)
    before = _snapshot(store)
    store.begin(schema=True)
    _break_everything(store, ids)
    assert _snapshot(store) != before
    store.rollback()
    assert _snapshot(store) == before
    assert list(store.objects["contacts"]) == sorted(store.objects["contacts"], key=int)
    store.close()
    reopened = Store(str(tmp_path / "state.sqlite"))  # nothing of it reached the file
    assert _snapshot(reopened) == before
    reopened.close()


def test_after_a_commit_there_is_nothing_left_to_undo() -> None:
    store = Store()
    ids = _seed(store)
    store.begin()
    store.update(store.get("deals", ids["deal"]), {"dealname": "Kept"}, now_ms())
    store.commit()
    store.rollback()
    assert store.get("deals", ids["deal"]).props["dealname"] == "Kept"
