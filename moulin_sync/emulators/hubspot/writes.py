"""Validated writes of CRM objects, shared by single and batch create/update/upsert.

A `Writer` plans every write of a request first (values, required properties, pipelines,
unique values against the store and against the other inputs, associations), then applies
the planned writes; `run_batch` decides between all-or-nothing and partial (see `objects`).
"""

from __future__ import annotations

from typing import Any

from . import associations as assoc
from .errors import ApiError, Problems, bad_request, validation_error
from .object_types import PIPELINE_PROPS, REQUIRED_ON_CREATE, SINGULAR
from .store import Record, Store


def is_partial(inputs: list[dict[str, Any]]) -> bool:
    """True when every input carries a distinct `objectWriteTraceId` (partial batch)."""
    ids = [i.get("objectWriteTraceId") for i in inputs]
    return bool(ids) and all(ids) and len(set(ids)) == len(ids)


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
        for n, a in enumerate(links):
            to = a.get("to") if isinstance(a, dict) else None
            types = a.get("types") if isinstance(a, dict) else None
            if not isinstance(to, dict) or not isinstance(to.get("id"), str | int):
                raise bad_request(
                    f"Invalid input JSON: associations[{n}].to must be an object with an `id`",
                    "INVALID_INPUT",
                )
            if not isinstance(types, list) or not all(isinstance(t, dict) for t in types):
                raise bad_request(
                    f"Invalid input JSON: associations[{n}].types must be a list of "
                    "{associationCategory, associationTypeId}",
                    "INVALID_INPUT",
                )
            to_id = str(to["id"])
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
