"""Batch endpoints: create/read/update/upsert/archive, the 100-input cap and 207 multi-status."""

from __future__ import annotations

from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    BatchResponseSimplePublicObject,
    BatchResponseSimplePublicObjectWithErrors,
    BatchResponseSimplePublicUpsertObject,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)

from .helpers import api_error


def _create(client, props_list, traces=None):
    inputs = [
        SimplePublicObjectBatchInputForCreate(
            properties=p, associations=[], object_write_trace_id=traces[i] if traces else None
        )
        for i, p in enumerate(props_list)
    ]
    return client.crm.contacts.batch_api.create_with_http_info(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    )


def _upsert(client, rows, id_property="email", traces=None):
    inputs = [
        SimplePublicObjectBatchInputUpsert(
            id=i, id_property=id_property, properties=p,
            object_write_trace_id=traces[n] if traces else None,
        )
        for n, (i, p) in enumerate(rows)
    ]  # fmt: skip
    return client.crm.contacts.batch_api.upsert_with_http_info(
        BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs)
    )


def test_batch_create_201(client) -> None:
    data, status, _ = _create(client, [{"email": f"b{i}@x.io"} for i in range(3)])
    assert status == 201
    assert isinstance(data, BatchResponseSimplePublicObject)
    assert data.status == "COMPLETE"
    assert sorted(r.properties["email"] for r in data.results) == ["b0@x.io", "b1@x.io", "b2@x.io"]


def test_more_than_100_inputs_is_400(client) -> None:
    status, body = api_error(_create, client, [{"email": f"m{i}@x.io"} for i in range(101)])
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    status, _ = api_error(_upsert, client, [(f"m{i}@x.io", {}) for i in range(101)])
    assert status == 400


def test_batch_create_with_trace_ids_is_partial_207(client, hs) -> None:
    data, status, _ = _create(
        client,
        [{"email": "ok@x.io"}, {"email": "not-an-email"}, {"email": "ok2@x.io"}],
        traces=["t0", "t1", "t2"],
    )
    assert status == 207
    assert isinstance(data, BatchResponseSimplePublicObjectWithErrors)
    assert data.num_errors == 1
    assert data.errors[0].context["objectWriteTraceId"] == ["t1"]
    assert data.errors[0].errors[0].code == "INVALID_EMAIL"
    assert sorted(r.object_write_trace_id for r in data.results) == ["t0", "t2"]
    assert len(hs.admin.state()["objects"]["contacts"]) == 2


def test_batch_create_without_trace_ids_fails_whole_batch(client, hs) -> None:
    status, body = api_error(_create, client, [{"email": "ok@x.io"}, {"email": "bad"}])
    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_EMAIL"
    assert hs.admin.state()["objects"]["contacts"] == []  # nothing written


def test_batch_create_conflict_on_existing_email_is_409(client) -> None:
    _create(client, [{"email": "dup@x.io"}])
    first = client.crm.contacts.basic_api.get_by_id("dup@x.io", id_property="email").id
    status, body = api_error(_create, client, [{"email": "fresh@x.io"}, {"email": "DUP@x.io"}])
    assert status == 409
    assert body["category"] == "CONFLICT"
    assert f"Existing ID: {first}" in body["message"]


def test_batch_read_by_id_and_idproperty_with_missing_ids_207(client) -> None:
    data, _, _ = _create(client, [{"email": "r1@x.io", "city": "Paris"}, {"email": "r2@x.io"}])
    ids = sorted(r.id for r in data.results)
    api = client.crm.contacts.batch_api
    read, status, _ = api.read_with_http_info(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=i) for i in ids], properties=["city"],
            properties_with_history=[],
        )
    )  # fmt: skip
    assert status == 200
    assert sorted(r.id for r in read.results) == ids
    read, status, _ = api.read_with_http_info(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id="r1@x.io"), SimplePublicObjectId(id="ghost@x.io")],
            id_property="email", properties=["city"], properties_with_history=[],
        )
    )  # fmt: skip
    assert status == 207
    assert isinstance(read, BatchResponseSimplePublicObjectWithErrors)
    assert [r.properties["city"] for r in read.results] == ["Paris"]
    assert read.errors[0].category == "OBJECT_NOT_FOUND"
    assert read.errors[0].context["ids"] == ["ghost@x.io"]


def test_batch_update_and_its_errors(client) -> None:
    data, _, _ = _create(client, [{"email": "u1@x.io"}, {"email": "u2@x.io"}])
    a, b = sorted(r.id for r in data.results)
    api = client.crm.contacts.batch_api
    out, status, _ = api.update_with_http_info(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                SimplePublicObjectBatchInput(id=a, properties={"firstname": "A"}),
                SimplePublicObjectBatchInput(id=b, properties={"firstname": "B"}),
            ]
        )
    )
    assert status == 200
    assert {r.id: r.properties["firstname"] for r in out.results} == {a: "A", b: "B"}
    status, body = api_error(
        api.update,
        BatchInputSimplePublicObjectBatchInput(
            inputs=[SimplePublicObjectBatchInput(id="u1@x.io", id_property="email", properties={})]
        ),
    )
    assert status == 400 and "non-unique" in body["message"]
    status, body = api_error(
        api.update,
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                SimplePublicObjectBatchInput(id=a, properties={"firstname": "X"}),
                SimplePublicObjectBatchInput(id=a, properties={"firstname": "Y"}),
            ]
        ),
    )
    assert status == 400 and "Duplicate IDs" in body["message"]
    out, status, _ = api.update_with_http_info(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                SimplePublicObjectBatchInput(
                    id=a, properties={"firstname": "Z"}, object_write_trace_id="1"
                ),
                SimplePublicObjectBatchInput(id="999999", properties={}, object_write_trace_id="2"),
            ]
        )
    )
    assert status == 207
    assert out.errors[0].context["objectWriteTraceId"] == ["2"]
    assert out.results[0].properties["firstname"] == "Z"


def test_batch_upsert_by_email_sets_new_flag(client) -> None:
    _create(client, [{"email": "old@x.io", "firstname": "Old"}])
    data, status, _ = _upsert(
        client, [("OLD@x.io", {"lastname": "Kept"}), ("new@x.io", {"firstname": "New"})]
    )
    assert status == 200
    assert isinstance(data, BatchResponseSimplePublicUpsertObject)
    by_email = {r.properties["email"]: r for r in data.results}
    assert by_email["old@x.io"].new is False
    assert by_email["old@x.io"].properties["firstname"] == "Old"
    assert by_email["old@x.io"].properties["lastname"] == "Kept"
    assert by_email["new@x.io"].new is True
    again, _, _ = _upsert(client, [("new@x.io", {"firstname": "Again"})])
    assert again.results[0].new is False
    assert again.results[0].id == by_email["new@x.io"].id


def test_upsert_two_inputs_for_one_record_rejects_the_batch(client, hs) -> None:
    status, body = api_error(_upsert, client, [("same@x.io", {}), ("SAME@x.io", {})])
    assert status == 400
    assert "Duplicate IDs" in body["message"]
    assert hs.admin.state()["objects"]["contacts"] == []


def test_upsert_by_non_unique_property_is_400(client) -> None:
    status, body = api_error(_upsert, client, [("Paris", {})], id_property="city")
    assert status == 400
    assert "non-unique" in body["message"]


def test_upsert_by_custom_unique_property_partial_207(client, hs) -> None:
    from hubspot.crm.properties import PropertyCreate

    client.crm.properties.core_api.create(
        "contacts",
        PropertyCreate(name="moulin_id", label="Moulin ID", type="string", field_type="text",
                       group_name="contactinformation", has_unique_value=True),
    )  # fmt: skip
    data, status, _ = _upsert(
        client,
        [("m-1", {"email": "m1@x.io"}), ("m-2", {"email": "broken"})],
        id_property="moulin_id",
        traces=["a", "b"],
    )
    assert status == 207
    assert data.results[0].properties["moulin_id"] == "m-1" and data.results[0].new is True
    assert data.errors[0].context["objectWriteTraceId"] == ["b"]


def test_batch_archive_204(client, hs) -> None:
    data, _, _ = _create(client, [{"email": "a1@x.io"}, {"email": "a2@x.io"}])
    ids = [r.id for r in data.results]
    _, status, _ = client.crm.contacts.batch_api.archive_with_http_info(
        BatchInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=i) for i in ids])
    )
    assert status == 204
    state = hs.admin.state()["objects"]["contacts"]
    assert all(r["archived"] for r in state) and len(state) == 2
    # archived records free their email: the same email creates a new record
    again, _, _ = _create(client, [{"email": "a1@x.io"}])
    assert again.results[0].id not in ids
