"""CRM object operations (v3): single and batch create/read/update/upsert/archive, list,
merge (see `merge`).

Batch error policy (see docs/hubspot-emulator.md): when every input carries a distinct
`objectWriteTraceId` the batch is *partial*: good inputs are written and bad ones come back in
a 207's `errors` (context `objectWriteTraceId`). Otherwise one bad input fails the whole batch
with that input's 4xx error and nothing is written. Upserts by `email` are never partial.
"""

from __future__ import annotations

from typing import Any

from . import associations as assoc
from .errors import ApiError, PropertyError, bad_request, not_found, validation_error
from .merge import merge as merge_records
from .object_types import SINGULAR, TYPE_IDS, resolve_type
from .payloads import BatchAnswer, batch_answer, check_object_inputs, names_from, shown_names
from .store import Record, Store
from .timestamps import now_ms
from .writes import Planned, Writer, is_partial, run_batch


class Objects:
    """The object operations of one store, called by the objects v3 endpoints."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _get(self, t: str, rid: str, id_property: str | None, archived: bool = False) -> Record:
        store = self.store
        if id_property and id_property != "hs_object_id":
            if id_property not in store.schema.unique[t]:
                raise bad_request(f"Property {id_property} is not a unique identifier property")
            rec = None if archived else store.find(t, id_property, rid)
        else:
            rec = store.get(t, rid, archived=archived)
        if rec is None:
            raise not_found("Object not found.  objectId are usually numeric.")
        return rec

    # -- single
    def create(self, t: str, body: dict[str, Any]) -> dict[str, Any]:
        now = now_ms()
        w = Writer(self.store, t)
        p = w.plan(0, body.get("properties"), None, links=body.get("associations"))
        if p.error is not None:
            raise p.error
        return w.apply(p, now).to_public()

    def read(
        self,
        t: str,
        rid: str,
        *,
        properties: list[str],
        associations: list[str],
        id_property: str | None,
        archived: bool,
    ) -> dict[str, Any]:
        rec = self._get(t, rid, id_property, archived)
        out = rec.to_public(shown_names(t, properties))
        links = assoc.v3_associations(rec, [resolve_type(a) for a in associations])
        if links:
            out["associations"] = links
        return out

    def update(
        self, t: str, rid: str, body: dict[str, Any], id_property: str | None
    ) -> dict[str, Any]:
        rec = self._get(t, rid, id_property)
        w = Writer(self.store, t)
        p = w.plan(0, body.get("properties"), rec)
        if p.error is not None:
            raise p.error
        return w.apply(p, now_ms()).to_public()

    def archive(self, t: str, rid: str) -> None:
        """HubSpot's recycle bin: the record and its associations leave every view."""
        rec = self.store.get(t, rid)
        if rec is not None:
            assoc.unlink_all(self.store, rec)
            self.store.archive(rec, now_ms())

    def list(
        self,
        t: str,
        *,
        limit: int,
        after: str | None,
        properties: list[str],
        associations: list[str],
        archived: bool,
    ) -> dict[str, Any]:
        if not 1 <= limit <= 100:
            raise bad_request("limit must be between 1 and 100")
        names = shown_names(t, properties)
        to_types = [resolve_type(a) for a in associations]
        start = int(after) if after and after.isdigit() else 0
        results: list[dict[str, Any]] = []
        last: Record | None = None
        more = False
        for rid, rec in self.store.objects[t].items():
            if rec.archived != archived or int(rid) <= start:
                continue
            if len(results) == limit:
                more = True
                break
            out = rec.to_public(names)
            links = assoc.v3_associations(rec, to_types)
            if links:
                out["associations"] = links
            results.append(out)
            last = rec
        body: dict[str, Any] = {"results": results}
        if more and last is not None:
            body["paging"] = {
                "next": {"after": last.id, "link": f"/crm/v3/objects/{t}?after={last.id}"}
            }
        return body

    # -- batch
    def batch_create(self, t: str, body: Any) -> BatchAnswer:
        inputs = check_object_inputs(body)
        now = now_ms()
        w = Writer(self.store, t)
        plans = [
            w.plan(i, x.get("properties"), None, trace=x.get("objectWriteTraceId"),
                   links=x.get("associations"))
            for i, x in enumerate(inputs)
        ]  # fmt: skip
        results, errors = run_batch(w, plans, is_partial(inputs), now)
        return batch_answer(201, results, errors, now)

    def batch_read(self, t: str, body: Any, archived: bool) -> BatchAnswer:
        inputs = check_object_inputs(body)
        now = now_ms()
        id_property = body.get("idProperty")
        names = shown_names(t, names_from(body.get("properties")))
        results, missing, seen = [], [], set()
        for x in inputs:
            rid = str(x.get("id", ""))
            try:
                rec = self._get(t, rid, id_property, archived)
            except ApiError as e:
                if e.status != 404:
                    raise
                missing.append(rid)
                continue
            if rec.id not in seen:
                seen.add(rec.id)
                results.append(rec.to_public(names))
        errors = []
        if missing:
            errors.append(
                ApiError(
                    404,
                    "OBJECT_NOT_FOUND",
                    f"Could not get some {SINGULAR[t].upper()} objects, they may be deleted or "
                    "not exist. Check that ids are valid.",
                ).standard_error({"ids": missing})
            )
        return batch_answer(200, results, errors, now)

    def batch_update(self, t: str, body: Any) -> BatchAnswer:
        inputs = check_object_inputs(body)
        now = now_ms()
        w = Writer(self.store, t)
        plans, seen = [], {}
        for i, x in enumerate(inputs):
            rid, id_prop = str(x.get("id", "")), x.get("idProperty")
            if id_prop == "email" and t == "contacts":
                raise bad_request(
                    f"Unable to perform update/upsert by non-unique {TYPE_IDS[t]} property: email"
                )
            try:
                rec = self._get(t, rid, id_prop)
            except ApiError as e:
                p = Planned(i, x.get("objectWriteTraceId"))
                p.error = e
                plans.append(p)
                continue
            if rec.id in seen:
                raise bad_request(
                    f"Duplicate IDs found in batch input: [{rid}]. IDs must be unique"
                )
            seen[rec.id] = i
            plans.append(w.plan(i, x.get("properties"), rec, trace=x.get("objectWriteTraceId")))
        results, errors = run_batch(w, plans, is_partial(inputs), now)
        return batch_answer(200, results, errors, now)

    def batch_upsert(self, t: str, body: Any) -> BatchAnswer:
        inputs = check_object_inputs(body)
        now = now_ms()
        store = self.store
        w = Writer(store, t)
        unique = store.schema.unique[t]
        validators = store.schema.validators[t]
        plans, seen = [], {}
        for i, x in enumerate(inputs):
            id_prop = x.get("idProperty")
            trace = x.get("objectWriteTraceId")
            if not id_prop:
                raise bad_request(f"Invalid input JSON: inputs[{i}].idProperty is required")
            if id_prop not in unique:
                raise bad_request(
                    f"Unable to perform update/upsert by non-unique {TYPE_IDS[t]} property: {id_prop}"
                )
            raw = str(x.get("id", ""))
            try:
                key = validators[id_prop](raw) if raw else ""
            except PropertyError as e:
                # The id becomes the record's value: it is checked as a create's would be.
                raise validation_error([(id_prop, e.code, e.message)]) from None
            if not key:
                raise bad_request(f"Upsert input {i} has no id")
            if key in seen:
                raise bad_request(
                    f"Duplicate IDs found in batch input: [{raw}]. IDs must be unique"
                )
            seen[key] = i
            rec = store.find(t, id_prop, key)
            props = x.get("properties")
            if rec is None:
                plans.append(w.plan(i, props, None, trace=trace, forced={id_prop: key}))
            else:
                plans.append(w.plan(i, props, rec, trace=trace))
        partial = is_partial(inputs) and not (
            t == "contacts" and inputs[0].get("idProperty") == "email"
        )
        results, errors = run_batch(w, plans, partial, now, upsert=True)
        return batch_answer(200, results, errors, now)

    def batch_archive(self, t: str, body: Any) -> None:
        for x in check_object_inputs(body):
            self.archive(t, str(x.get("id", "")))

    # -- merge
    def merge(self, t: str, body: dict[str, Any]) -> dict[str, Any]:
        return merge_records(self.store, t, body).to_public()
