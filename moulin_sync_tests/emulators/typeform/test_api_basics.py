"""The Typeform emulator's credential, form definition, response shape and error bodies."""

from __future__ import annotations

import httpx

from moulin_sync.emulators import commands
from moulin_sync.testing.emulator import EmulatorProcess

from .helpers import FORM_ID, TOKEN, error, item, listing, post_items


def test_personal_access_token_in_any_case_else_typeforms_401(
    tf: EmulatorProcess, form: str
) -> None:
    url = f"{tf.base_url}/forms/{form}/responses"
    for scheme in ("bearer", "Bearer", "BEARER"):
        assert httpx.get(url, headers={"Authorization": f"{scheme} {TOKEN}"}).status_code == 200
    for headers in ({}, {"Authorization": "bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):  # fmt: skip
        body = error(httpx.get(url, headers=headers), 401)
        assert body["code"] == "AUTHENTICATION_FAILED"
        assert body["description"] == "Authentication credentials not found on the Request Headers"
    assert tf.admin.count("GET", "/forms/{form_id}/responses", 401) == 4


def test_form_definition_with_field_ids_refs_types_and_hidden_fields(
    api: httpx.Client, form: str
) -> None:
    definition = api.get(f"/forms/{form}").json()
    assert definition["id"] == FORM_ID
    assert definition["hidden"] == ["email", "customer_id"]
    fields = {f["ref"]: f for f in definition["fields"]}
    assert fields["nps"]["type"] == "opinion_scale"
    assert fields["nps"]["properties"] == {"steps": 11, "start_at_one": False}
    assert fields["comment"]["type"] == "long_text"
    assert fields["comment"]["title"] == "Pourquoi ?"
    assert len({f["id"] for f in definition["fields"]}) == 2
    assert all(len(f["id"]) == 12 for f in definition["fields"])
    missing = error(api.get("/forms/Unknown1"), 404)
    assert missing == {"code": "FORM_NOT_FOUND", "details": [],
                       "description": "Non existing form with uid Unknown1"}  # fmt: skip
    assert error(api.get("/forms/Unknown1/responses"), 404)["code"] == "FORM_NOT_FOUND"


def test_a_listed_item_has_typeforms_shape_and_typed_answers(api: httpx.Client, form: str) -> None:
    post_items(api, [item(1, score=9, comment="Pain délicieux", email="ana@example.fr",
                          calculated={"score": 4})])  # fmt: skip
    page = listing(api)
    assert (page["total_items"], page["page_count"]) == (1, 1)
    [got] = page["items"]
    assert list(got) == ["landing_id", "token", "response_id", "response_type", "landed_at",
                         "submitted_at", "metadata", "hidden", "calculated", "answers"]  # fmt: skip
    assert got["token"] == got["response_id"] == got["landing_id"] == "tok-00001"
    assert got["submitted_at"] == "2026-01-01T00:01:00Z"
    assert got["landed_at"] == "2026-01-01T00:00:00Z"  # a minute on the form
    assert got["hidden"] == {"email": "ana@example.fr"}
    assert got["calculated"] == {"score": 4}
    assert set(got["metadata"]) == {"user_agent", "platform", "referer", "network_id", "browser"}
    ids = {f["ref"]: f["id"] for f in api.get(f"/forms/{form}").json()["fields"]}
    assert got["answers"] == [
        {"field": {"id": ids["nps"], "type": "opinion_scale", "ref": "nps"},
         "type": "number", "number": 9},
        {"field": {"id": ids["comment"], "type": "long_text", "ref": "comment"},
         "type": "text", "text": "Pain délicieux"},
    ]  # fmt: skip


def test_routes_it_does_not_serve_answer_typeforms_errors_never_500(
    api: httpx.Client, form: str
) -> None:
    assert error(api.get("/workspaces/x/y"), 404)["code"] == "NOT_FOUND"
    assert error(api.post(f"/forms/{form}/responses", json={}), 405)["code"] == "METHOD_NOT_ALLOWED"
    not_json = api.post(f"/_emulator/forms/{form}/responses", content=b"{items:")
    assert error(not_json, 400)["code"] == "VALIDATION_ERROR"


def test_faults_answer_in_typeforms_shape(
    tf: EmulatorProcess, api: httpx.Client, form: str
) -> None:
    tf.admin.add_fault(kind="status", status=503, route=f"/forms/{form}/responses")
    assert error(api.get(f"/forms/{form}/responses"), 503)["code"] == "SERVICE_UNAVAILABLE"
    tf.admin.add_fault(kind="status", status=429)
    limited = api.get(f"/forms/{form}/responses")
    assert error(limited, 429)["code"] == "TOO_MANY_REQUESTS"
    assert int(limited.headers["retry-after"]) >= 1
    assert api.get(f"/forms/{form}/responses").status_code == 200


def test_moulin_sync_emulator_lists_typeform() -> None:
    assert commands()["typeform"].name == "typeform-emulator"
