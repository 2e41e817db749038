"""CRM objects (v3): batch create, upsert, update, read, archive; get, merge, GDPR
delete; search (`object_search.py`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import hubspot.crm.contacts as contacts_sdk
import hubspot.crm.objects as objects_sdk

from moulin_sync.hubspot.client import endpoints as e
from moulin_sync.hubspot.client.errors import HubSpotNotFound
from moulin_sync.hubspot.client.object_search import ObjectSearch
from moulin_sync.hubspot.client.object_shapes import (
    MAX_BATCH_INPUTS,
    check_size,
    check_type,
    next_after,
    record,
)
from moulin_sync.hubspot.client.results import BatchOutcome, ObjectResult, object_outcome
from moulin_sync.hubspot.client.sdk import association_types, model, new
from moulin_sync.hubspot.client.transport import Transport


def _ids(ids: Sequence[str]) -> list[Any]:
    return [new(objects_sdk.SimplePublicObjectId, id=str(i)) for i in ids]


class ObjectsApi(ObjectSearch):
    """Records of any object type, by HubSpot id or by a unique property."""

    def __init__(self, transport: Transport) -> None:
        self._send = transport.send
        self._batch = transport.api("objects.batch", lambda crm: crm.objects.batch_api)
        self._basic = transport.api("objects.basic", lambda crm: crm.objects.basic_api)
        self._search = transport.api("objects.search", lambda crm: crm.objects.search_api)
        self._transport = transport

    def _batch_call(
        self,
        endpoint: e.Endpoint,
        method: str,
        object_type: str,
        body: Any,
        new: bool | None = None,
    ) -> BatchOutcome[ObjectResult]:
        """One v3 batch call (`method` of the SDK's batch API) and its answer."""
        call = getattr(self._batch, method)
        answer = self._send(
            endpoint, lambda **kw: call(object_type, body, **kw), objectType=object_type
        )
        return object_outcome(answer.status, answer.body, new)

    def batch_upsert(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]], id_property: str
    ) -> BatchOutcome[ObjectResult]:
        """Create or update by a unique property: each input ``{"id": value, "properties": {}}``."""
        check_type(object_type)
        check_size(inputs, MAX_BATCH_INPUTS, "batch_upsert")
        if not id_property:
            raise ValueError("batch_upsert needs an id_property (a unique-value property)")
        seen: set[str] = set()
        models = []
        for item in inputs:
            data = {"idProperty": id_property, **item}
            upsert = model(objects_sdk.SimplePublicObjectBatchInputUpsert, data, "upsert input")
            if upsert.id in (None, "") or upsert.properties is None:
                raise ValueError(f"upsert input needs an id and properties: {item!r}")
            # HubSpot rejects a batch in which two inputs resolve to one record; emails
            # match case-insensitively.
            key = str(upsert.id).lower() if id_property == "email" else str(upsert.id)
            if key in seen:
                raise ValueError(f"batch_upsert: {id_property}={upsert.id!r} appears twice")
            seen.add(key)
            models.append(upsert)
        body = new(objects_sdk.BatchInputSimplePublicObjectBatchInputUpsert, inputs=models)
        return self._batch_call(e.BATCH_UPSERT, "upsert_with_http_info", object_type, body)

    def batch_create(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome[ObjectResult]:
        """Create records: ``{"properties", "associations"?, "objectWriteTraceId"?}`` each.

        Give every input a distinct ``objectWriteTraceId`` to get a 207 with the failed
        inputs in `errors` instead of the whole batch failing. Never retried after a lost
        answer: raises `HubSpotAmbiguousWrite` (reconcile by the unique key).
        """
        check_type(object_type)
        check_size(inputs, MAX_BATCH_INPUTS, "batch_create")
        trace_ids: set[str] = set()
        models = []
        for item in inputs:
            data = dict(item)
            associations = data.pop("associations", None)
            create = model(objects_sdk.SimplePublicObjectBatchInputForCreate, data, "create input")
            if create.properties is None:
                raise ValueError(f"create input needs properties: {item!r}")
            trace = create.object_write_trace_id
            if trace is not None:
                if trace in trace_ids:
                    raise ValueError(f"batch_create: objectWriteTraceId {trace!r} appears twice")
                trace_ids.add(trace)
            if associations:
                create.associations = [
                    new(
                        objects_sdk.PublicAssociationsForObject,
                        to=new(objects_sdk.PublicObjectId, id=str(a["to"]["id"])),
                        types=association_types(
                            a.get("types"), objects_sdk.AssociationSpec, "inline association"
                        ),
                    )
                    for a in associations
                ]
            models.append(create)
        body = new(objects_sdk.BatchInputSimplePublicObjectBatchInputForCreate, inputs=models)
        return self._batch_call(e.BATCH_CREATE, "create_with_http_info", object_type, body, True)

    def batch_update(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome[ObjectResult]:
        """Update by HubSpot record id: each input ``{"id": hubspot_id, "properties": {}}``."""
        check_type(object_type)
        check_size(inputs, MAX_BATCH_INPUTS, "batch_update")
        models = []
        for item in inputs:
            update = model(objects_sdk.SimplePublicObjectBatchInput, item, "update input")
            if update.id in (None, "") or update.properties is None:
                raise ValueError(f"update input needs an id and properties: {item!r}")
            update.id = str(update.id)
            models.append(update)
        body = new(objects_sdk.BatchInputSimplePublicObjectBatchInput, inputs=models)
        return self._batch_call(e.BATCH_UPDATE, "update_with_http_info", object_type, body)

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        id_property: str | None,
        properties: Sequence[str],
    ) -> BatchOutcome[ObjectResult]:
        """Read by record id (or by `id_property`); missing ids come back in `errors`."""
        check_type(object_type)
        check_size(ids, MAX_BATCH_INPUTS, "batch_read")
        body = new(
            objects_sdk.BatchReadInputSimplePublicObjectId,
            inputs=_ids(ids),
            id_property=id_property,
            properties=list(properties),
            properties_with_history=[],
        )
        return self._batch_call(e.BATCH_READ, "read_with_http_info", object_type, body)

    def batch_archive(self, object_type: str, ids: Sequence[str]) -> None:
        """Archive records by HubSpot id (ids already archived or unknown are ignored)."""
        check_type(object_type)
        check_size(ids, MAX_BATCH_INPUTS, "batch_archive")
        body = new(objects_sdk.BatchInputSimplePublicObjectId, inputs=_ids(ids))
        self._batch_call(e.BATCH_ARCHIVE, "archive_with_http_info", object_type, body)

    def get(
        self,
        object_type: str,
        id: str,
        properties: Sequence[str],
        id_property: str | None = None,
    ) -> dict[str, Any] | None:
        """One record (``{"id", "properties", "createdAt", ...}``), or None if it is gone."""
        check_type(object_type)
        kwargs: dict[str, Any] = {"properties": list(properties)}
        if id_property:
            kwargs["id_property"] = id_property
        try:
            answer = self._send(
                e.GET_OBJECT,
                lambda **kw: self._basic.get_by_id_with_http_info(
                    object_type, str(id), **kwargs, **kw
                ),
                objectType=object_type,
            )
        except HubSpotNotFound:
            return None
        return record(answer.body)

    def every(self, object_type: str, properties: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every live record of the type, 100 a page (the list API: the general rate
        limit, not search's, and no 10,000-result cap)."""
        check_type(object_type)
        after: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": MAX_BATCH_INPUTS, "properties": list(properties)}
            if after is not None:
                kwargs["after"] = after
            answer = self._send(
                e.LIST_OBJECTS,
                lambda kwargs=kwargs, **kw: self._basic.get_page_with_http_info(
                    object_type, **kwargs, **kw
                ),
                objectType=object_type,
            )
            for raw in answer.body.get("results") or []:
                yield record(raw)
            after = next_after(answer.body)
            if after is None:
                return

    def gdpr_delete(self, contact_id: str) -> bool:
        """Delete a contact for good (HubSpot's GDPR delete); False when HubSpot has no
        such contact (already deleted: a retry after a lost answer, say)."""
        api = self._transport.api("contacts.basic", lambda crm: crm.contacts.basic_api)
        body = new(contacts_sdk.PublicGdprDeleteInput, object_id=str(contact_id))
        try:
            self._send(e.GDPR_DELETE, lambda **kw: api.purge_with_http_info(body, **kw))
        except HubSpotNotFound:
            return False
        return True

    def merge(self, object_type: str, primary_id: str, merged_id: str) -> dict[str, Any]:
        """Merge `merged_id` into `primary_id`; returns the surviving record."""
        check_type(object_type)
        # The generic objects API has no merge: it lives in each type's own package.
        api = self._transport.api(
            f"{object_type}.basic", lambda crm: getattr(crm, object_type).basic_api
        )
        # The merge input is identical in every type's package; the contacts one serves all.
        body = new(
            contacts_sdk.PublicMergeInput,
            primary_object_id=str(primary_id),
            object_id_to_merge=str(merged_id),
        )
        answer = self._send(
            e.MERGE, lambda **kw: api.merge_with_http_info(body, **kw), objectType=object_type
        )
        return record(answer.body)
