"""CRM object operations (v3): single and batch create/read/update/upsert/archive, list, merge.

Batch error policy (see docs/hubspot-emulator.md): when every input carries a distinct
`objectWriteTraceId` the batch is *partial*: good inputs are written and bad ones come back in
a 207's `errors` (context `objectWriteTraceId`). Otherwise one bad input fails the whole batch
with that input's 4xx error and nothing is written. Upserts by `email` are never partial.
"""

from __future__ import annotations

from typing import Any

from . import associations as assoc
from .errors import ApiError, bad_request, not_found, validation_error
from .schema import (
    ALWAYS_RETURNED,
    DEFAULT_RETURNED,
    PIPELINE_PROPS,
    REQUIRED_ON_CREATE,
    SINGULAR,
    TYPE_IDS,
    iso_ms,
    resolve_type,
)
from .store import Record, Store, now_ms

MAX_BATCH = 100
Problems = list[tuple[str, str, str]]


def names_from(values: list[str] | None) -> list[str]:
    """`properties=a,b&properties=c` (or a JSON list) -> ["a", "b", "c"]."""
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def shown_names(t: str, requested: list[str]) -> tuple[str, ...]:
    if not requested:
        return DEFAULT_RETURNED[t]
    return tuple(dict.fromkeys((*ALWAYS_RETURNED[t], *requested)))


def batch_envelope(
    results: list[Any], errors: list[dict[str, Any]], started: int
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_ms(started),
        "completedAt": iso_ms(now_ms()),
    }
    if errors:
        out["numErrors"] = len(errors)
        out["errors"] = errors
    return out


def check_inputs(body: Any, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise bad_request("Invalid input JSON: `inputs` must be a list of objects", "INVALID_INPUT")
    if len(inputs) > limit:
        raise bad_request(
            f"Batch input limit exceeded: {len(inputs)} inputs given, the limit is {limit}",
            "TOO_MANY_INPUTS",
        )
    return inputs


def _partial(inputs: list[dict[str, Any]]) -> bool:
    ids = [i.get("objectWriteTraceId") for i in inputs]
    return bool(ids) and all(ids) and len(set(ids)) == len(ids)


# ---------------------------------------------------------------------------- write preparation
class Planned:
    """One validated write: props to apply to `target` (None = create), or the error."""

    __slots__ = ("error", "index", "links", "props", "target", "trace")

    def __init__(self, index: int, trace: str | None) -> None:
        self.index = index
        self.trace = trace
        self.props: dict[str, str] = {}
        self.target: Record | None = None
        self.links: list[tuple[Record, int]] = []
        self.error: ApiError | None = None


def _conflict(t: str, name: str, value: str, existing_id: str) -> ApiError:
    if t == "contacts" and name == "email":
        msg = f"Contact already exists. Existing ID: {existing_id}"
    else:
        msg = f"{SINGULAR[t]} already exists with {name}={value!r}. Existing ID: {existing_id}"
    return ApiError(
        409,
        "CONFLICT",
        msg,
        errors=[{"message": msg, "code": "CONFLICT", "context": {"propertyName": [name]}}],
    )


class Writer:
    """Validates a set of writes against the store and each other, then applies them."""

    def __init__(self, store: Store, t: str) -> None:
        self.store = store
        self.t = t
        self.claims: dict[tuple[str, str], int] = {}
        self.unique_names = store.schema.unique[t]
        self.index = store.ensure_index(t)
        self.validate = store.schema.validate
        self.required = REQUIRED_ON_CREATE.get(t, ())
        self.check_pipeline = store.schema.check_pipeline if t in PIPELINE_PROPS else None

    def plan(
        self,
        index: int,
        raw_props: Any,
        target: Record | None,
        *,
        trace: str | None = None,
        links: Any = None,
        forced: dict[str, str] | None = None,
    ) -> Planned:
        p = Planned(index, trace)
        p.target = target
        t = self.t
        if raw_props is None:
            raw_props = {}
        if not isinstance(raw_props, dict):
            p.error = bad_request("`properties` must be an object of strings", "INVALID_INPUT")
            return p
        problems: Problems = []
        props = self.validate(t, raw_props, problems)
        if forced:
            props.update(forced)
        if target is None:
            for name in self.required:
                if not props.get(name):
                    problems.append((name, "REQUIRED_PROPERTY", f"Property {name} is required"))
        if self.check_pipeline is not None:
            self.check_pipeline(t, props, target.props if target else None, problems)
        if problems:
            p.error = validation_error(problems)
            return p
        self_id = target.id if target else None
        for name in self.unique_names:
            v = props.get(name)
            if not v:
                continue
            owner = self.index[name].get(v)
            if owner is not None and owner != self_id:
                p.error = _conflict(t, name, v, owner)
                return p
            prev = self.claims.get((name, v))
            if prev is not None and prev != index:
                p.error = ApiError(
                    409,
                    "CONFLICT",
                    f"{SINGULAR[t]} with {name}={v!r} appears more than once in this batch",
                )
                return p
        if links:
            try:
                p.links = self._links(links)
            except ApiError as e:
                p.error = e
                return p
        for name in self.unique_names:
            v = props.get(name)
            if v:
                self.claims[(name, v)] = index
        p.props = props
        return p

    def _links(self, links: Any) -> list[tuple[Record, int]]:
        out = []
        if not isinstance(links, list):
            raise bad_request("`associations` must be a list")
        for a in links:
            types = a.get("types") or []
            to_id = str((a.get("to") or {}).get("id", ""))
            for spec in types:
                type_id = spec.get("associationTypeId")
                to_t = next(
                    (
                        to
                        for (frm, to), ids in assoc.TYPES.items()
                        if frm == self.t and type_id in ids
                    ),
                    None,
                )
                if to_t is None:
                    raise bad_request(
                        f"{type_id} is not a valid association type from {self.t}",
                        "INVALID_ASSOCIATION_TYPE",
                    )
                assoc.check_type(self.t, to_t, type_id, spec.get("associationCategory"))
                other = self.store.get(to_t, to_id)
                if other is None:
                    raise ApiError(
                        400,
                        "VALIDATION_ERROR",
                        f"Could not create association: {SINGULAR[to_t].lower()} {to_id} does not exist",
                        errors=[
                            {"message": f"{to_t} {to_id} not found", "code": "INVALID_ASSOCIATION"}
                        ],
                    )
                out.append((other, type_id))
        return out

    def apply(self, p: Planned, now: int) -> Record:
        store = self.store
        if p.target is None:
            rec = store.insert(self.t, p.props, now)
        else:
            rec = p.target
            store.update(rec, p.props, now)
        for other, type_id in p.links:
            assoc.associate(store, rec, other, type_id)
        return rec


def run_batch(
    writer: Writer, plans: list[Planned], partial: bool, now: int, upsert: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Apply the planned writes: all or nothing, or (partial) the good ones plus errors."""
    if not partial:
        for p in plans:
            if p.error is not None:
                raise p.error
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for p in plans:
        if p.error is not None:
            errors.append(p.error.standard_error({"objectWriteTraceId": [p.trace or ""]}))
            continue
        is_new = p.target is None
        rec = writer.apply(p, now)
        out = rec.to_public()
        if p.trace:
            out["objectWriteTraceId"] = p.trace
        if upsert:
            out["new"] = is_new
        results.append(out)
    return results, errors


# ---------------------------------------------------------------------------- operations
class Objects:
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
        rec = self.store.get(t, rid)
        if rec is not None:
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
    def batch_create(self, t: str, body: Any) -> tuple[int, dict[str, Any]]:
        inputs = check_inputs(body)
        now = now_ms()
        w = Writer(self.store, t)
        plans = [
            w.plan(i, x.get("properties"), None, trace=x.get("objectWriteTraceId"),
                   links=x.get("associations"))
            for i, x in enumerate(inputs)
        ]  # fmt: skip
        results, errors = run_batch(w, plans, _partial(inputs), now)
        return (207 if errors else 201), batch_envelope(results, errors, now)

    def batch_read(self, t: str, body: Any, archived: bool) -> tuple[int, dict[str, Any]]:
        inputs = check_inputs(body)
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
        return (207 if errors else 200), batch_envelope(results, errors, now)

    def batch_update(self, t: str, body: Any) -> tuple[int, dict[str, Any]]:
        inputs = check_inputs(body)
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
        results, errors = run_batch(w, plans, _partial(inputs), now)
        return (207 if errors else 200), batch_envelope(results, errors, now)

    def batch_upsert(self, t: str, body: Any) -> tuple[int, dict[str, Any]]:
        inputs = check_inputs(body)
        now = now_ms()
        store = self.store
        w = Writer(store, t)
        unique = store.schema.unique[t]
        validators = store.schema.validators[t]
        plans, seen = [], {}
        for i, x in enumerate(inputs):
            id_prop = x.get("idProperty")
            trace = x.get("objectWriteTraceId")
            if not id_prop or id_prop not in unique:
                raise bad_request(
                    f"Unable to perform update/upsert by non-unique {TYPE_IDS[t]} property: {id_prop}"
                )
            raw = str(x.get("id", ""))
            try:
                key = validators[id_prop](raw) if raw else ""
            except Exception:
                key = raw
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
        partial = _partial(inputs) and not (
            t == "contacts" and inputs[0].get("idProperty") == "email"
        )
        results, errors = run_batch(w, plans, partial, now, upsert=True)
        return (207 if errors else 200), batch_envelope(results, errors, now)

    def batch_archive(self, t: str, body: Any) -> None:
        for x in check_inputs(body):
            self.archive(t, str(x.get("id", "")))

    # -- merge
    def merge(self, t: str, body: dict[str, Any]) -> dict[str, Any]:
        if t not in ("contacts", "deals", "companies"):
            raise bad_request(f"Merging is not supported for {t}")
        pid, lid = str(body.get("primaryObjectId", "")), str(body.get("objectIdToMerge", ""))
        if not pid or not lid or pid == lid:
            raise bad_request("primaryObjectId and objectIdToMerge must be two different ids")
        store = self.store
        survivor, loser = store.get(t, pid), store.get(t, lid)
        if survivor is None or loser is None:
            raise not_found(f"Object not found: {lid if survivor else pid}")
        merged = [x for x in survivor.props.get("hs_merged_object_ids", "").split(";") if x]
        merged += [lid, *[x for x in loser.props.get("hs_merged_object_ids", "").split(";") if x]]
        assoc.move_all(store, loser, survivor)
        store.delete(loser)
        now = now_ms()
        store.update(survivor, {"hs_merged_object_ids": ";".join(dict.fromkeys(merged))}, now)
        return survivor.to_public()
