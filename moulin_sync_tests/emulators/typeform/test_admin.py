"""The Typeform admin routes: form definitions, responses in the API's item shape (a wrong
item: 400 and nothing stored), deleting a form's responses, settings, reset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from moulin_sync.testing.emulator import EmulatorProcess

from .helpers import FORM_ID, error, item, listing, nps_form, post_items, tokens


def test_a_form_is_created_then_replaced_keeping_its_responses(
    api: httpx.Client, form: str
) -> None:
    post_items(api, [item(1)])
    edited = nps_form(fields=[{"ref": "nps_v2", "type": "nps", "title": "Et maintenant ?"}])
    replaced = api.post(f"/_emulator/forms/{form}", json=edited)
    assert replaced.status_code == 200
    definition = api.get(f"/forms/{form}").json()
    assert [(f["ref"], f["type"]) for f in definition["fields"]] == [("nps_v2", "nps")]
    old_answer = listing(api)["items"][0]["answers"][0]
    assert old_answer["field"]["ref"] == "nps"  # the answer keeps the field it answered


def test_missing_ids_and_landing_time_are_filled_in(api: httpx.Client, form: str) -> None:
    stored = api.post(f"/_emulator/forms/{form}/responses", json={"items": [
        {"submitted_at": "2026-02-01T10:00:00Z"},
        {"response_id": "rid-2", "submitted_at": "2026-02-01T11:00:00Z"},
    ]}).json()  # fmt: skip
    assert stored["stored"] == 2
    first, second = (i for i in reversed(listing(api)["items"]))
    assert len(first["token"]) == 32 and first["token"] == first["response_id"]
    assert first["landing_id"] == first["token"]
    assert first["landed_at"] == "2026-02-01T09:59:00Z"
    assert (second["token"], second["response_id"]) == ("rid-2", "rid-2")
    assert [i["token"] for i in stored["items"]] == [first["token"], "rid-2"]


def test_an_answer_to_a_field_the_form_no_longer_has_needs_its_id_and_type(
    api: httpx.Client, form: str
) -> None:
    old_field = {"id": "OldNps000001", "ref": "recommend", "type": "opinion_scale"}
    post_items(api, [item(1, score=None, answers=[
        {"field": old_field, "type": "number", "number": 6}])])  # fmt: skip
    assert listing(api)["items"][0]["answers"][0]["field"] == old_field
    unknown = {"items": [item(2, score=None, answers=[
        {"field": {"ref": "recommend"}, "type": "number", "number": 6}])]}  # fmt: skip
    body = error(api.post(f"/_emulator/forms/{form}/responses", json=unknown), 400)
    assert "names no field of the form" in body["details"][0]["description"]


WRONG_ITEMS: list[tuple[Any, str]] = [
    ("not an object", "items[1]"),
    ({"answers": [{"field": {"ref": "nps"}, "type": "text", "text": "neuf"}]}, "items[1].answers[0]"),
    ({"answers": [{"field": {"ref": "nps"}, "type": "number", "number": "9"}]}, "items[1].answers[0]"),
    ({"answers": [{"field": {"ref": "nps"}, "type": "number"}]}, "items[1].answers[0]"),
    ({"answers": [{"field": {"ref": "nps"}, "type": "number", "number": 9, "text": "x"}]},
     "items[1].answers[0]"),
    ({"answers": [{"type": "number", "number": 9}]}, "items[1].answers[0]"),
    ({"answers": {"nps": 9}}, "items[1].answers"),
    ({"submitted_at": "hier"}, "items[1].submitted_at"),
    ({"submitted_at": "2026-01-01T10:00:00Z", "landed_at": "2026-01-01T11:00:00Z"},
     "items[1].landed_at"),
    ({"hidden": {"customer_id": 42}}, "items[1].hidden"),
    ({"calculated": {"score": "high"}}, "items[1].calculated"),
    ({"response_type": "done"}, "items[1].response_type"),
    ({"token": ""}, "items[1].token"),
    ({"token": "tok-00001"}, "items[1].token"),  # already the first item's
    ({"score": 9}, "items[1].score"),
]  # fmt: skip


@pytest.mark.parametrize(("wrong", "field"), WRONG_ITEMS)
def test_an_item_of_the_wrong_shape_is_a_400_naming_it_and_nothing_is_stored(
    tf: EmulatorProcess, api: httpx.Client, form: str, wrong: Any, field: str
) -> None:
    before = tf.admin.state()
    answer = api.post(f"/_emulator/forms/{form}/responses", json={"items": [item(1), wrong]})
    body = error(answer, 400)
    assert body["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in body["details"]] == [field], body
    assert tf.admin.state() == before
    assert listing(api)["total_items"] == 0


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"fields": [{"ref": "nps", "type": "slider"}]},
        {"fields": [{"type": "long_text"}]},
        {"fields": [{"ref": "a", "type": "long_text"}, {"ref": "a", "type": "short_text"}]},
        {"fields": [], "hidden": "email"},
        {"fields": [], "hidden": ["email", "email"]},
        {"fields": [], "colour": "blue"},
    ],
)
def test_a_wrong_form_definition_is_a_400_and_changes_nothing(
    tf: EmulatorProcess, api: httpx.Client, form: str, body: Any
) -> None:
    before = tf.admin.state()
    assert error(api.post(f"/_emulator/forms/{form}", json=body), 400)["details"]
    assert tf.admin.state() == before


def test_responses_of_an_unknown_form_are_refused(api: httpx.Client) -> None:
    answer = api.post("/_emulator/forms/Nowhere/responses", json={"items": [item(1)]})
    assert error(answer, 404)["code"] == "FORM_NOT_FOUND"


def test_delete_a_forms_responses_then_reset_everything(
    tf: EmulatorProcess, api: httpx.Client, form: str
) -> None:
    post_items(api, [item(1), item(2)])
    assert api.delete(f"/_emulator/forms/{form}/responses").json() == {"deleted": 2}
    assert listing(api)["total_items"] == 0
    post_items(api, [item(1)])  # its token is free again
    tf.admin.reset()
    assert error(api.get(f"/forms/{FORM_ID}"), 404)["code"] == "FORM_NOT_FOUND"
    assert tf.admin.state() == {"forms": {}, "responses": {}, "seq": 1}


def test_settings_change_the_listing_delay_and_the_rate(
    tf: EmulatorProcess, api: httpx.Client, form: str
) -> None:
    post_items(api, [item(1)])
    assert api.post("/_emulator/settings", json={"rate": 2, "burst": 3}).json() == {
        "listing_delay": 0.0, "rate": 2.0, "burst": 3.0}  # fmt: skip
    statuses = [api.get(f"/forms/{form}").status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses
    assert api.post("/_emulator/settings", json={"rate": None}).json()["rate"] is None
    assert all(api.get(f"/forms/{form}").status_code == 200 for _ in range(10))
    for wrong in ({"rate": 0}, {"burst": 0.5}, {"listing_delay": -1}, {"delay": 5}, []):
        assert error(api.post("/_emulator/settings", json=wrong), 400)["details"]
    assert api.get("/_emulator/settings").json() == {"listing_delay": 0.0, "rate": None,
                                                     "burst": 3.0}  # fmt: skip


def test_admin_calls_are_never_limited_nor_counted(tf: EmulatorProcess, api: httpx.Client,
                                                   form: str) -> None:  # fmt: skip
    api.post("/_emulator/settings", json={"rate": 2, "burst": 1}).raise_for_status()
    for n in range(10):
        post_items(api, [item(n)])
    assert tf.admin.stats() == []
    assert tokens(listing(api, page_size=3)) == ["tok-00009", "tok-00008", "tok-00007"]
