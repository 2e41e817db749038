"""The HubSpot client layer: one thin, deliberate wrapper over `hubspot-api-client` 12.0.0.

Every asset that writes to HubSpot goes through `HubSpotClient`, which adds what the SDK
leaves to its callers:

* **pacing** — a client-side limiter for the rolling 10-second window (and search's own
  per-second limit) that follows the ``X-HubSpot-RateLimit-*`` headers, so a healthy run sees
  (almost) no 429s while using (almost) all of the budget (see `ratelimit.py`);
* **deliberate retries** — urllib3's own retries are switched off (by default they would
  silently re-send only some methods); 429, 423, 5xx, timeouts and dropped connections are
  retried a bounded number of times with backoff, *except* where a retry could duplicate
  data: a batch create whose answer was lost raises `HubSpotAmbiguousWrite` instead;
* **a daily-budget guard** — `DailyBudgetExhausted` before a call would eat into the reserve;
* **plain data** — dicts and dataclasses in and out (callers never see SDK models), 207
  partial failures surfaced as `BatchOutcome.errors`, non-2xx answers as `HubSpotApiError`;
* **counting** — calls per ``"METHOD /route/template"``, 429s, retries, reads and writes.

Answers are read raw (``_preload_content=False``) from the SDK's ``*_with_http_info``
methods: that gives the status and headers, and the JSON as HubSpot sent it (camelCase,
207 bodies included) instead of SDK models that would have to be converted back.

This module defines a Dagster resource: no ``from __future__ import annotations`` here,
Dagster reads the field annotations at runtime.
"""

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

import dagster as dg
import hubspot
import hubspot.crm.associations.v4 as assoc_v4
import hubspot.crm.contacts as contacts_sdk
import hubspot.crm.objects as objects_sdk
import hubspot.crm.pipelines as pipelines_sdk
import hubspot.crm.properties as properties_sdk
import urllib3
from pydantic import Field

from moulin_sync.hubspot.errors import (
    HubSpotAmbiguousWrite,
    HubSpotApiError,
    HubSpotConfigError,
    HubSpotConnectionError,
    HubSpotNotFound,
    SearchWindowTooLarge,
)
from moulin_sync.hubspot.ratelimit import (
    SEARCH_PER_S,
    SEARCH_WINDOW_S,
    WINDOW_S,
    Clock,
    DailyBudget,
    Sleep,
    SlidingWindowLimiter,
    backoff_delay,
    tier_limits,
)

logger = logging.getLogger(__name__)

OBJECT_TYPES = ("contacts", "companies", "deals", "tickets")
MAX_BATCH_INPUTS = 100  # HubSpot's documented maximum per v3 batch call
MAX_ASSOCIATION_CREATE_INPUTS = 2_000  # v4 batch create / archive
MAX_ASSOCIATION_READ_INPUTS = 1_000  # v4 batch read
MAX_SEARCH_PAGE = 200
MAX_SEARCH_RESULTS = 10_000  # HubSpot answers 400 when paging past this
RETRYABLE_5XX = frozenset({500, 502, 503, 504})
# A 503 means the request was refused before being processed; 500/502/504 may come after
# HubSpot applied it (a gateway timing out on a slow batch), so they are ambiguous for a
# non-idempotent write, like a lost connection.
REFUSED_5XX = frozenset({503})

T = TypeVar("T")

# Every SDK package has its own ApiException class (same shape, no shared base we can use).
_SDK_API_EXCEPTIONS: tuple[type[Exception], ...] = (
    objects_sdk.ApiException,
    contacts_sdk.ApiException,
    assoc_v4.ApiException,
    properties_sdk.ApiException,
    pipelines_sdk.ApiException,
)


# --------------------------------------------------------------------------- plain data
@dataclass
class BatchOutcome:
    """What a batch call did.

    `status` is HubSpot's HTTP status (200, 201, or 207 when some inputs failed).
    `results`: for object batches ``{"id": str, "properties": dict, "new": bool | None}``
    (plus ``"objectWriteTraceId"`` when HubSpot echoes it); for `associations_create`
    ``{"from": str, "to": str, "labels": list[str]}``.
    `errors`: ``{"status", "category", "message", "context", "errors"}`` per failed input;
    ``context`` says which input (``{"ids": [...]}``, ``{"objectWriteTraceId": [...]}``...)
    and ``errors`` holds the per-property details (``code``, ``context.propertyName``).
    """

    status: int
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def chunked(seq: Iterable[T], size: int = MAX_BATCH_INPUTS) -> Iterator[list[T]]:
    """Split `seq` into lists of at most `size` items (HubSpot batches take 100)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    chunk: list[T] = []
    for item in seq:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class _Endpoint:
    """One HubSpot route, as counted and as the retry policy sees it."""

    method: str
    template: str
    # Safe to send twice: the second attempt cannot duplicate data. False for creates
    # (a second batch create makes second records) and merges.
    idempotent: bool = True
    search: bool = False

    @property
    def is_write(self) -> bool:
        # Search and batch/read are POSTs that change nothing.
        return (
            self.method != "GET" and not self.search and not self.template.endswith("/batch/read")
        )

    def key(self, **types: str) -> str:
        """``"POST /crm/v3/objects/contacts/batch/upsert"``: object types filled in, ids not."""
        path = self.template
        for name, value in types.items():
            path = path.replace("{" + name + "}", value)
        return f"{self.method} {path}"


_OBJ = "/crm/v3/objects/{objectType}"
_ASSOC = "/crm/v4/associations/{fromObjectType}/{toObjectType}"
_PROPS = "/crm/v3/properties/{objectType}"
E_BATCH_CREATE = _Endpoint("POST", f"{_OBJ}/batch/create", idempotent=False)
E_BATCH_UPSERT = _Endpoint("POST", f"{_OBJ}/batch/upsert")
E_BATCH_UPDATE = _Endpoint("POST", f"{_OBJ}/batch/update")
E_BATCH_READ = _Endpoint("POST", f"{_OBJ}/batch/read")
E_BATCH_ARCHIVE = _Endpoint("POST", f"{_OBJ}/batch/archive")
E_SEARCH = _Endpoint("POST", f"{_OBJ}/search", search=True)
E_GET_OBJECT = _Endpoint("GET", f"{_OBJ}/{{objectId}}")
E_MERGE = _Endpoint("POST", f"{_OBJ}/merge", idempotent=False)
E_ASSOC_CREATE = _Endpoint("POST", f"{_ASSOC}/batch/create")
E_ASSOC_READ = _Endpoint("POST", f"{_ASSOC}/batch/read")
E_ASSOC_ARCHIVE = _Endpoint("POST", f"{_ASSOC}/batch/archive")
E_LIST_PROPERTIES = _Endpoint("GET", _PROPS)
E_GET_PROPERTY = _Endpoint("GET", f"{_PROPS}/{{propertyName}}")
E_GET_GROUP = _Endpoint("GET", f"{_PROPS}/groups/{{groupName}}")
# Creating a property or group twice cannot duplicate it (names are unique): a retry after
# a lost answer at worst gets a 409 CONFLICT — the first attempt's own doing, so the create
# answers with what that attempt made (see `create_property`).
E_CREATE_GROUP = _Endpoint("POST", f"{_PROPS}/groups")
E_CREATE_PROPERTY = _Endpoint("POST", _PROPS)
E_UPDATE_PROPERTY = _Endpoint("PATCH", f"{_PROPS}/{{propertyName}}")
E_PIPELINES = _Endpoint("GET", "/crm/v3/pipelines/{objectType}")
# A replayed pipeline create would make a second pipeline: never retried blindly (a lost
# answer is reconciled by label, see `create_pipeline`).
E_CREATE_PIPELINE = _Endpoint("POST", "/crm/v3/pipelines/{objectType}", idempotent=False)


@dataclass
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: Any


# --------------------------------------------------------------------------- helpers
# An SDK model built without `local_vars_configuration` makes a fresh `Configuration`,
# whose constructor sets the level of every logger in the process: in a Dagster step that
# was two thirds of a 100-deal batch's cost. Models only read `client_side_validation`
# from it, so one shared instance serves every package's models.
_MODEL_CONFIGURATION = objects_sdk.Configuration()


def _new(cls: type[T], **fields: Any) -> T:
    """An SDK model, sharing one `Configuration` (see `_MODEL_CONFIGURATION`)."""
    return cls(**fields, local_vars_configuration=_MODEL_CONFIGURATION)


def _model(cls: type[T], data: Mapping[str, Any], what: str) -> T:
    """Build an SDK model from HubSpot's camelCase JSON keys, refusing unknown keys.

    The SDK's models take snake_case arguments (``_from`` for ``from``); mapping through
    their `attribute_map` keeps callers on HubSpot's documented names and catches typos
    before a request is sent.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} must be a dict, got {type(data).__name__}")
    by_json_name = {json_name: attr for attr, json_name in cls.attribute_map.items()}  # type: ignore[attr-defined]
    unknown = sorted(set(data) - set(by_json_name))
    if unknown:
        raise ValueError(
            f"{what}: unknown field(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(by_json_name))}"
        )
    return _new(cls, **{by_json_name[k]: v for k, v in data.items()})


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (HTTP dates are not used by HubSpot; ignored)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _check_type(object_type: str) -> str:
    if object_type not in OBJECT_TYPES:
        raise ValueError(
            f"unsupported object type {object_type!r}; expected one of {', '.join(OBJECT_TYPES)}"
        )
    return object_type


def _check_size(inputs: Sequence[Any], limit: int, what: str) -> None:
    if len(inputs) > limit:
        raise ValueError(
            f"{what}: {len(inputs)} inputs, HubSpot takes at most {limit} per call; "
            f"split them with chunked(inputs, {limit})"
        )


def _check_types_list(types: Any, what: str) -> list[dict[str, Any]]:
    # HubSpot answers 2xx to `types: []` and links nothing: refuse it here instead.
    if not isinstance(types, list) or not types:
        raise ValueError(f"{what}: `types` must be a non-empty list of association types")
    for spec in types:
        if (
            not isinstance(spec, Mapping)
            or "associationCategory" not in spec
            or "associationTypeId" not in spec
        ):
            raise ValueError(
                f"{what}: each type needs associationCategory and associationTypeId, got {spec!r}"
            )
    return types


def _object_result(raw: Mapping[str, Any], new: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(raw.get("id")),
        "properties": dict(raw.get("properties") or {}),
        # Only upsert answers say whether a record is new; a create's result always is.
        "new": raw.get("new", new),
    }
    if raw.get("objectWriteTraceId") is not None:
        out["objectWriteTraceId"] = raw["objectWriteTraceId"]
    return out


def _error_entry(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {"status": "error", "category": "", "message": str(raw), "context": {}, "errors": []}
    return {
        "status": str(raw.get("status", "error")),
        "category": str(raw.get("category") or raw.get("errorType") or ""),
        "message": str(raw.get("message", "")),
        "context": dict(raw.get("context") or {}),
        "errors": list(raw.get("errors") or []),
    }


def _record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A record as HubSpot sent it, with its id as a string."""
    out = dict(raw)
    if "id" in out:
        out["id"] = str(out["id"])
    return out


def _next_after(body: Any) -> str | None:
    if not isinstance(body, Mapping):
        return None
    after = ((body.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None


# --------------------------------------------------------------------------- the client
class HubSpotClient:
    """A paced, counted, retrying HubSpot client. Thread-safe: one instance per run or asset.

    `clock`, `sleep` and `rng` are injectable for tests, as are the pacing knobs:
    `rate_limit`/`rate_window_s` (an explicit cap on calls per window, and a window that
    ignores the server's interval), `search_per_s`, `locked_wait_s` (the pause after a 423),
    `backoff_base_s`/`backoff_max_s`, `max_retry_after_s` (a longer Retry-After fails fast).
    `daily_reserve=None` keeps 1 % of the daily budget for the portal's other integrations.
    """

    def __init__(
        self,
        base_url: str,
        access_token: str,
        tier: str = "professional",
        timeout_s: float = 30,
        max_retries: int = 5,
        daily_reserve: int | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        rate_limit: int | None = None,
        rate_window_s: float | None = None,
        search_per_s: int | None = SEARCH_PER_S,
        locked_wait_s: float = 2.0,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        max_retry_after_s: float = 120.0,
        pool_maxsize: int = 10,
        max_in_flight: int = 4,
    ) -> None:
        if not access_token:
            raise ValueError("access_token is empty: set HUBSPOT_ACCESS_TOKEN")
        if not base_url:
            raise ValueError("base_url is empty: set HUBSPOT_BASE_URL")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if not 1 <= max_in_flight <= pool_maxsize:
            raise ValueError(f"max_in_flight must be between 1 and pool_maxsize ({pool_maxsize})")
        limits = tier_limits(tier)
        self.base_url = base_url.rstrip("/")
        self.tier = tier.lower()
        self.timeout_s = float(timeout_s)
        self.max_retries = max_retries
        # Batch writes a sync may have waiting for HubSpot at once (see `Syncer`).
        self.max_in_flight = max_in_flight
        self._token = access_token
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._locked_wait_s = locked_wait_s
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._max_retry_after_s = max_retry_after_s

        self.limiter = SlidingWindowLimiter(
            rate_limit if rate_limit is not None else limits.per_window,
            rate_window_s or WINDOW_S,
            clock=clock,
            sleep=sleep,
            cap=rate_limit,
            fixed_window=rate_window_s is not None,
        )
        self.search_limiter = SlidingWindowLimiter(
            search_per_s if limits.per_window is not None else None,
            SEARCH_WINDOW_S,
            clock=clock,
            sleep=sleep,
        )
        self.daily = DailyBudget(limits.daily, daily_reserve)

        self._stats_lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.rate_limited = 0
        self.retries = 0
        self.write_calls = 0
        self.read_calls = 0
        self.backoff_s = 0.0

        # One SDK client, with urllib3's retries off (total=0): every retry is ours, counted
        # and paced. raise_on_status=False keeps error statuses as ApiException (not
        # MaxRetryError); raise_on_redirect=False hands a redirect back as an error status.
        self._sdk = hubspot.HubSpot(
            access_token=access_token,
            host=self.base_url,
            retry=urllib3.Retry(total=0, raise_on_status=False, raise_on_redirect=False),
            connection_pool_maxsize=pool_maxsize,
        )
        # Each `client.crm.X.Y_api` access builds a new ApiClient with its own connection
        # pool: take every API once and keep it.
        crm = self._sdk.crm
        self._batch_api = crm.objects.batch_api
        self._basic_api = crm.objects.basic_api
        self._search_api = crm.objects.search_api
        self._assoc_batch_api = crm.associations.v4.batch_api
        self._properties_api = crm.properties.core_api
        self._groups_api = crm.properties.groups_api
        self._pipelines_api = crm.pipelines.pipelines_api
        # The generic objects API has no merge: it lives in each type's own package.
        self._merge_apis: dict[str, Any] = {}
        self._merge_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"HubSpotClient(base_url={self.base_url!r}, tier={self.tier!r}, "
            f"calls={sum(self.calls.values())})"
        )

    def close(self) -> None:
        """Close the connection pools (the client stays usable: pools reopen on demand)."""
        apis = [
            self._batch_api,
            self._basic_api,
            self._search_api,
            self._assoc_batch_api,
            self._properties_api,
            self._groups_api,
            self._pipelines_api,
            *self._merge_apis.values(),
        ]
        for api in apis:
            api.api_client.rest_client.pool_manager.clear()

    def __enter__(self) -> "HubSpotClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ counters
    def snapshot(self) -> dict[str, Any]:
        """Counters for asset metadata: calls per endpoint, 429s, retries, waits, budget."""
        with self._stats_lock:
            return {
                "api_calls": sum(self.calls.values()),
                "write_calls": self.write_calls,
                "read_calls": self.read_calls,
                "rate_limited": self.rate_limited,
                "retries": self.retries,
                "calls_by_endpoint": dict(sorted(self.calls.items())),
                "throttled_s": round(self.limiter.waited_s + self.search_limiter.waited_s, 3),
                "backoff_s": round(self.backoff_s, 3),
                "daily_remaining": self.daily.remaining,
                "daily_reserve": self.daily.reserve,
            }

    # ------------------------------------------------------------------ objects v3
    def batch_upsert(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]], id_property: str
    ) -> BatchOutcome:
        """Create or update by a unique property: each input ``{"id": value, "properties": {}}``."""
        _check_type(object_type)
        _check_size(inputs, MAX_BATCH_INPUTS, "batch_upsert")
        if not id_property:
            raise ValueError("batch_upsert needs an id_property (a unique-value property)")
        seen: set[str] = set()
        models = []
        for item in inputs:
            data = {"idProperty": id_property, **item}
            model = _model(objects_sdk.SimplePublicObjectBatchInputUpsert, data, "upsert input")
            if model.id in (None, "") or model.properties is None:
                raise ValueError(f"upsert input needs an id and properties: {item!r}")
            # HubSpot rejects a batch in which two inputs resolve to one record; emails
            # match case-insensitively.
            key = str(model.id).lower() if id_property == "email" else str(model.id)
            if key in seen:
                raise ValueError(f"batch_upsert: {id_property}={model.id!r} appears twice")
            seen.add(key)
            models.append(model)
        body = _new(objects_sdk.BatchInputSimplePublicObjectBatchInputUpsert, inputs=models)
        answer = self._send(
            E_BATCH_UPSERT,
            lambda **kw: self._batch_api.upsert_with_http_info(object_type, body, **kw),
            objectType=object_type,
        )
        return self._outcome(answer)

    def batch_create(self, object_type: str, inputs: Sequence[Mapping[str, Any]]) -> BatchOutcome:
        """Create records: ``{"properties", "associations"?, "objectWriteTraceId"?}`` each.

        Give every input a distinct ``objectWriteTraceId`` to get a 207 with the failed
        inputs in `errors` instead of the whole batch failing. Never retried after a lost
        answer: raises `HubSpotAmbiguousWrite` (reconcile by the unique key).
        """
        _check_type(object_type)
        _check_size(inputs, MAX_BATCH_INPUTS, "batch_create")
        trace_ids: set[str] = set()
        models = []
        for item in inputs:
            data = dict(item)
            associations = data.pop("associations", None)
            model = _model(objects_sdk.SimplePublicObjectBatchInputForCreate, data, "create input")
            if model.properties is None:
                raise ValueError(f"create input needs properties: {item!r}")
            trace = model.object_write_trace_id
            if trace is not None:
                if trace in trace_ids:
                    raise ValueError(f"batch_create: objectWriteTraceId {trace!r} appears twice")
                trace_ids.add(trace)
            if associations:
                model.associations = [
                    _new(
                        objects_sdk.PublicAssociationsForObject,
                        to=_new(objects_sdk.PublicObjectId, id=str(a["to"]["id"])),
                        types=[
                            _model(objects_sdk.AssociationSpec, t, "association type")
                            for t in _check_types_list(a.get("types"), "inline association")
                        ],
                    )
                    for a in associations
                ]
            models.append(model)
        body = _new(objects_sdk.BatchInputSimplePublicObjectBatchInputForCreate, inputs=models)
        answer = self._send(
            E_BATCH_CREATE,
            lambda **kw: self._batch_api.create_with_http_info(object_type, body, **kw),
            objectType=object_type,
        )
        return self._outcome(answer, new=True)

    def batch_update(self, object_type: str, inputs: Sequence[Mapping[str, Any]]) -> BatchOutcome:
        """Update by HubSpot record id: each input ``{"id": hubspot_id, "properties": {}}``."""
        _check_type(object_type)
        _check_size(inputs, MAX_BATCH_INPUTS, "batch_update")
        models = []
        for item in inputs:
            model = _model(objects_sdk.SimplePublicObjectBatchInput, item, "update input")
            if model.id in (None, "") or model.properties is None:
                raise ValueError(f"update input needs an id and properties: {item!r}")
            model.id = str(model.id)
            models.append(model)
        body = _new(objects_sdk.BatchInputSimplePublicObjectBatchInput, inputs=models)
        answer = self._send(
            E_BATCH_UPDATE,
            lambda **kw: self._batch_api.update_with_http_info(object_type, body, **kw),
            objectType=object_type,
        )
        return self._outcome(answer)

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        id_property: str | None,
        properties: Sequence[str],
    ) -> BatchOutcome:
        """Read by record id (or by `id_property`); missing ids come back in `errors`."""
        _check_type(object_type)
        _check_size(ids, MAX_BATCH_INPUTS, "batch_read")
        body = _new(
            objects_sdk.BatchReadInputSimplePublicObjectId,
            inputs=[_new(objects_sdk.SimplePublicObjectId, id=str(i)) for i in ids],
            id_property=id_property,
            properties=list(properties),
            properties_with_history=[],
        )
        answer = self._send(
            E_BATCH_READ,
            lambda **kw: self._batch_api.read_with_http_info(object_type, body, **kw),
            objectType=object_type,
        )
        return self._outcome(answer)

    def batch_archive(self, object_type: str, ids: Sequence[str]) -> None:
        """Archive records by HubSpot id (ids already archived or unknown are ignored)."""
        _check_type(object_type)
        _check_size(ids, MAX_BATCH_INPUTS, "batch_archive")
        body = _new(
            objects_sdk.BatchInputSimplePublicObjectId,
            inputs=[_new(objects_sdk.SimplePublicObjectId, id=str(i)) for i in ids],
        )
        self._send(
            E_BATCH_ARCHIVE,
            lambda **kw: self._batch_api.archive_with_http_info(object_type, body, **kw),
            objectType=object_type,
        )

    def get_object(
        self,
        object_type: str,
        id: str,
        properties: Sequence[str],
        id_property: str | None = None,
    ) -> dict[str, Any] | None:
        """One record (``{"id", "properties", "createdAt", ...}``), or None if it is gone."""
        _check_type(object_type)
        kwargs: dict[str, Any] = {"properties": list(properties)}
        if id_property:
            kwargs["id_property"] = id_property
        try:
            answer = self._send(
                E_GET_OBJECT,
                lambda **kw: self._basic_api.get_by_id_with_http_info(
                    object_type, str(id), **kwargs, **kw
                ),
                objectType=object_type,
            )
        except HubSpotNotFound:
            return None
        return _record(answer.body)

    def merge(self, object_type: str, primary_id: str, merged_id: str) -> dict[str, Any]:
        """Merge `merged_id` into `primary_id`; returns the surviving record."""
        _check_type(object_type)
        api = self._merge_api(object_type)
        # The merge input is identical in every type's package; the contacts one serves all.
        body = _new(
            contacts_sdk.PublicMergeInput,
            primary_object_id=str(primary_id),
            object_id_to_merge=str(merged_id),
        )
        answer = self._send(
            E_MERGE,
            lambda **kw: api.merge_with_http_info(body, **kw),
            objectType=object_type,
        )
        return _record(answer.body)

    def search(
        self,
        object_type: str,
        filter_groups: Sequence[Mapping[str, Any]],
        properties: Sequence[str],
        sorts: Sequence[Mapping[str, Any]] | None = None,
        limit: int = MAX_SEARCH_PAGE,
        *,
        query: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching record, page by page (`limit` per page, at most 200).

        Paced by search's own per-second limit. HubSpot pages through at most 10,000
        results per query: asking past that raises `SearchWindowTooLarge` — split the
        window (e.g. by a date range) instead. Search reads an index that lags writes by
        seconds: never use it to decide whether to create.
        """
        _check_type(object_type)
        if not 1 <= limit <= MAX_SEARCH_PAGE:
            raise ValueError(f"search limit must be between 1 and {MAX_SEARCH_PAGE}")
        groups = []
        for group in filter_groups:
            data = dict(group)
            filters = data.pop("filters", [])
            if data:
                raise ValueError(f"filter group: unknown field(s) {', '.join(sorted(data))}")
            groups.append(
                _new(
                    objects_sdk.FilterGroup,
                    filters=[_model(objects_sdk.Filter, f, "search filter") for f in filters],
                )
            )
        after: str | None = None
        while True:
            # The SDK types `sorts` as list[str]; HubSpot takes {"propertyName", "direction"}
            # objects, which serialize through unchanged.
            body = _new(
                objects_sdk.PublicObjectSearchRequest,
                filter_groups=groups,
                properties=list(properties),
                sorts=[dict(s) for s in sorts or []],
                limit=limit,
                after=after,
                query=query,
            )
            answer = self._send(
                E_SEARCH,
                lambda body=body, **kw: self._search_api.do_search_with_http_info(
                    object_type, body, **kw
                ),
                objectType=object_type,
            )
            for raw in answer.body.get("results") or []:
                yield _record(raw)
            after = _next_after(answer.body)
            if after is None:
                return
            if after.isdigit() and int(after) >= MAX_SEARCH_RESULTS:
                raise SearchWindowTooLarge(object_type, answer.body.get("total"))

    def search_total(self, object_type: str, filter_groups: Sequence[Mapping[str, Any]]) -> int:
        """How many records match (one search call, one result): to size a window
        before paging it, since HubSpot pages through at most 10,000 results."""
        _check_type(object_type)
        groups = [
            _new(
                objects_sdk.FilterGroup,
                filters=[_model(objects_sdk.Filter, f, "search filter") for f in g["filters"]],
            )
            for g in filter_groups
        ]
        body = _new(
            objects_sdk.PublicObjectSearchRequest,
            filter_groups=groups,
            properties=["hs_object_id"],
            limit=1,
        )
        answer = self._send(
            E_SEARCH,
            lambda **kw: self._search_api.do_search_with_http_info(object_type, body, **kw),
            objectType=object_type,
        )
        return int(answer.body.get("total") or 0)

    # ------------------------------------------------------------------ associations v4
    def associations_create(
        self, from_type: str, to_type: str, inputs: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome:
        """Link records: ``{"from": id, "to": id, "types": [{associationCategory,
        associationTypeId}]}`` each. Idempotent (linking twice is harmless)."""
        _check_type(from_type)
        _check_type(to_type)
        _check_size(inputs, MAX_ASSOCIATION_CREATE_INPUTS, "associations_create")
        models = [
            _new(
                assoc_v4.PublicAssociationMultiPost,
                _from=_new(assoc_v4.PublicObjectId, id=str(item["from"])),
                to=_new(assoc_v4.PublicObjectId, id=str(item["to"])),
                types=[
                    _model(assoc_v4.AssociationSpec, t, "association type")
                    for t in _check_types_list(item.get("types"), "associations_create")
                ],
            )
            for item in inputs
        ]
        body = _new(assoc_v4.BatchInputPublicAssociationMultiPost, inputs=models)
        answer = self._send(
            E_ASSOC_CREATE,
            lambda **kw: self._assoc_batch_api.create_with_http_info(
                from_type, to_type, body, **kw
            ),
            fromObjectType=from_type,
            toObjectType=to_type,
        )
        results = [
            {
                "from": str(r.get("fromObjectId")),
                "to": str(r.get("toObjectId")),
                "labels": list(r.get("labels") or []),
            }
            for r in answer.body.get("results") or []
        ]
        errors = [_error_entry(e) for e in answer.body.get("errors") or []]
        return BatchOutcome(status=answer.status, results=results, errors=errors)

    def associations_read(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Each id's links: ``{id: [{"toObjectId": str, "typeIds": [int, ...]}]}``.

        Every requested id is a key; an id without links maps to ``[]`` (HubSpot reports
        those as "no associations found" errors, which are not failures here).
        """
        _check_type(from_type)
        _check_type(to_type)
        _check_size(ids, MAX_ASSOCIATION_READ_INPUTS, "associations_read")
        links: dict[str, list[dict[str, Any]]] = {str(i): [] for i in ids}
        pending: list[tuple[str, str | None]] = [(i, None) for i in links]
        while pending:
            body = _new(
                assoc_v4.BatchInputPublicFetchAssociationsBatchRequest,
                inputs=[
                    _new(assoc_v4.PublicFetchAssociationsBatchRequest, id=i, after=a)
                    for i, a in pending
                ],
            )
            answer = self._send(
                E_ASSOC_READ,
                lambda body=body, **kw: self._assoc_batch_api.get_page_with_http_info(
                    from_type, to_type, body, **kw
                ),
                fromObjectType=from_type,
                toObjectType=to_type,
            )
            pending = []
            for result in answer.body.get("results") or []:
                from_id = str((result.get("from") or {}).get("id"))
                for to in result.get("to") or []:
                    type_ids = sorted({int(t["typeId"]) for t in to.get("associationTypes") or []})
                    links.setdefault(from_id, []).append(
                        {"toObjectId": str(to["toObjectId"]), "typeIds": type_ids}
                    )
                # A record with very many links is paged per input.
                after = _next_after(result)
                if after is not None:
                    pending.append((from_id, after))
            for error in answer.body.get("errors") or []:
                if not _is_no_associations(error):
                    entry = _error_entry(error)
                    raise HubSpotApiError(
                        answer.status,
                        entry["category"],
                        entry["message"],
                        entry["errors"],
                        endpoint=E_ASSOC_READ.key(fromObjectType=from_type, toObjectType=to_type),
                    )
        return links

    def associations_archive(
        self, from_type: str, to_type: str, inputs: Sequence[Mapping[str, Any]]
    ) -> None:
        """Remove every association between each ``{"from": id, "to": id}`` pair."""
        _check_type(from_type)
        _check_type(to_type)
        _check_size(inputs, MAX_ASSOCIATION_CREATE_INPUTS, "associations_archive")
        grouped: dict[str, list[str]] = {}
        for item in inputs:
            grouped.setdefault(str(item["from"]), []).append(str(item["to"]))
        body = _new(
            assoc_v4.BatchInputPublicAssociationMultiArchive,
            inputs=[
                _new(
                    assoc_v4.PublicAssociationMultiArchive,
                    _from=_new(assoc_v4.PublicObjectId, id=from_id),
                    to=[_new(assoc_v4.PublicObjectId, id=t) for t in tos],
                )
                for from_id, tos in grouped.items()
            ],
        )
        self._send(
            E_ASSOC_ARCHIVE,
            lambda **kw: self._assoc_batch_api.archive_with_http_info(
                from_type, to_type, body, **kw
            ),
            fromObjectType=from_type,
            toObjectType=to_type,
        )

    # ------------------------------------------------------------------ schema
    def list_properties(self, object_type: str) -> list[dict[str, Any]]:
        """Every property definition of the object type (HubSpot's JSON, camelCase)."""
        _check_type(object_type)
        answer = self._send(
            E_LIST_PROPERTIES,
            lambda **kw: self._properties_api.get_all_with_http_info(object_type, **kw),
            objectType=object_type,
        )
        return list(answer.body.get("results") or [])

    def create_property_group(
        self, object_type: str, name: str, label: str, display_order: int | None = None
    ) -> dict[str, Any]:
        _check_type(object_type)
        body = _new(
            properties_sdk.PropertyGroupCreate, name=name, label=label, display_order=display_order
        )
        try:
            answer = self._send(
                E_CREATE_GROUP,
                lambda **kw: self._groups_api.create_with_http_info(object_type, body, **kw),
                objectType=object_type,
            )
        except HubSpotApiError as exc:
            if exc.status == 409 and exc.after_lost_answer:
                # The first attempt made it; its answer was lost, the retry saw it exist.
                return self._get(
                    E_GET_GROUP,
                    lambda **kw: self._groups_api.get_by_name_with_http_info(
                        object_type, name, **kw
                    ),
                    objectType=object_type,
                )
            raise
        return dict(answer.body)

    def create_property(self, object_type: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        """Create a property from HubSpot's JSON (``name``, ``label``, ``type``,
        ``fieldType``, ``groupName``, ``options``, ``hasUniqueValue``...).

        A property that already exists is a 409 `HubSpotApiError` — unless the 409 answers
        a retry of this very call whose first attempt went unanswered: that attempt made
        the property, which is then returned as if its answer had arrived."""
        _check_type(object_type)
        body = _model(properties_sdk.PropertyCreate, definition, "property definition")
        try:
            answer = self._send(
                E_CREATE_PROPERTY,
                lambda **kw: self._properties_api.create_with_http_info(object_type, body, **kw),
                objectType=object_type,
            )
        except HubSpotApiError as exc:
            if exc.status == 409 and exc.after_lost_answer:
                return self._get(
                    E_GET_PROPERTY,
                    lambda **kw: self._properties_api.get_by_name_with_http_info(
                        object_type, body.name, **kw
                    ),
                    objectType=object_type,
                )
            raise
        return dict(answer.body)

    def _get(self, endpoint: _Endpoint, call: Callable[..., Any], **types: str) -> dict[str, Any]:
        return dict(self._send(endpoint, call, **types).body)

    def update_property(
        self, object_type: str, name: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change a property (label, options...; HubSpot never changes hasUniqueValue)."""
        _check_type(object_type)
        body = _model(properties_sdk.PropertyUpdate, changes, "property changes")
        answer = self._send(
            E_UPDATE_PROPERTY,
            lambda **kw: self._properties_api.update_with_http_info(object_type, name, body, **kw),
            objectType=object_type,
        )
        return dict(answer.body)

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """Pipelines with their stages (``id``, ``label``, ``displayOrder``, ``metadata``)."""
        _check_type(object_type)
        answer = self._send(
            E_PIPELINES,
            lambda **kw: self._pipelines_api.get_all_with_http_info(object_type, **kw),
            objectType=object_type,
        )
        return list(answer.body.get("results") or [])

    def create_pipeline(self, object_type: str, pipeline: Mapping[str, Any]) -> dict[str, Any]:
        """Create a pipeline (``label``, ``displayOrder``, ``stages``); returns it with ids.

        Never sent twice blindly: when the answer is lost, the pipelines are read back and
        the one with this label (labels are unique per object type) is the result; only
        if HubSpot has none is the create sent again."""
        _check_type(object_type)
        body = _model(pipelines_sdk.PipelineInput, pipeline, "pipeline")

        def create() -> dict[str, Any]:
            return dict(
                self._send(
                    E_CREATE_PIPELINE,
                    lambda **kw: self._pipelines_api.create_with_http_info(object_type, body, **kw),
                    objectType=object_type,
                ).body
            )

        try:
            return create()
        except HubSpotAmbiguousWrite as lost:
            found = [p for p in self.pipelines(object_type) if p.get("label") == body.label]
            if found:
                logger.warning(
                    "HubSpot %s: the answer was lost but the pipeline %r exists (id %s): "
                    "using it",
                    lost.endpoint, body.label, found[0].get("id"),
                )  # fmt: skip
                return dict(found[0])
            return create()

    # ------------------------------------------------------------------ transport
    def _merge_api(self, object_type: str) -> Any:
        with self._merge_lock:
            if object_type not in self._merge_apis:
                self._merge_apis[object_type] = getattr(self._sdk.crm, object_type).basic_api
            return self._merge_apis[object_type]

    def _outcome(self, answer: _Answer, new: bool | None = None) -> BatchOutcome:
        body = answer.body if isinstance(answer.body, Mapping) else {}
        return BatchOutcome(
            status=answer.status,
            results=[_object_result(r, new) for r in body.get("results") or []],
            errors=[_error_entry(e) for e in body.get("errors") or []],
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _count(self, endpoint: _Endpoint, key: str) -> None:
        with self._stats_lock:
            self.calls[key] += 1
            if endpoint.is_write:
                self.write_calls += 1
            else:
                self.read_calls += 1

    def _observe(self, headers: Mapping[str, str], endpoint: _Endpoint) -> None:
        self.daily.observe(
            daily=_int_header(headers, "X-HubSpot-RateLimit-Daily"),
            remaining=_int_header(headers, "X-HubSpot-RateLimit-Daily-Remaining"),
        )
        if endpoint.search:
            self.search_limiter.observe(
                limit=_int_header(headers, "X-HubSpot-RateLimit-Secondly"),
                remaining=_int_header(headers, "X-HubSpot-RateLimit-Secondly-Remaining"),
            )
            return
        interval_ms = _int_header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        self.limiter.observe(
            limit=_int_header(headers, "X-HubSpot-RateLimit-Max"),
            remaining=_int_header(headers, "X-HubSpot-RateLimit-Remaining"),
            window_s=interval_ms / 1000 if interval_ms else None,
        )

    def _api_error(self, status: int, body: Any, key: str) -> HubSpotApiError:
        cls = HubSpotNotFound if status == 404 else HubSpotApiError
        if not isinstance(body, Mapping):
            text = body if isinstance(body, str) else ""
            return cls(status, "", text.strip()[:300], endpoint=key)
        return cls(
            status,
            str(body.get("category") or body.get("errorType") or ""),
            str(body.get("message") or ""),
            list(body.get("errors") or []),
            body.get("correlationId"),
            endpoint=key,
            sub_category=body.get("subCategory"),
            policy_name=body.get("policyName"),
        )

    def _parse(self, raw: bytes | str | None) -> Any:
        if not raw:
            return None
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        # Whatever the server echoes, the token never reaches a result or an exception.
        text = self._redact(text)
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, base_s=self._backoff_base_s, max_s=self._backoff_max_s, rng=self._rng
        )

    def _send(self, endpoint: _Endpoint, call: Callable[..., Any], **types: str) -> _Answer:
        """One logical call: pace, send, count, retry what is safe to retry, or raise."""
        key = endpoint.key(**types)
        limiter = self.search_limiter if endpoint.search else self.limiter
        attempt = 0
        # An earlier attempt of this write went unanswered: HubSpot may have applied it.
        lost_answer = False
        while True:
            self.daily.take_one()
            slot = limiter.acquire()
            self._count(endpoint, key)
            status: int | None = None
            headers: Mapping[str, str] = {}
            raw: Any = None
            failure: BaseException | None = None
            try:
                response = call(_preload_content=False, _request_timeout=self.timeout_s)
                try:
                    status, headers, raw = response.status, response.headers, response.data
                finally:
                    response.release_conn()
            except _SDK_API_EXCEPTIONS as exc:
                if getattr(exc, "status", 0):
                    status = int(exc.status)  # type: ignore[attr-defined]
                    headers = exc.headers or {}  # type: ignore[attr-defined]
                    raw = exc.body  # type: ignore[attr-defined]
                else:  # status 0: the SDK could not complete the exchange (e.g. TLS)
                    failure = exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                failure = exc
            finally:
                limiter.release(slot)

            if failure is not None:
                delay = self._transport_failure(endpoint, key, failure, attempt)
                lost_answer = lost_answer or (endpoint.is_write and not _never_sent(failure))
            else:
                assert status is not None
                self._observe(headers, endpoint)
                body = self._parse(raw)
                if 200 <= status < 300:
                    return _Answer(status, headers, body)
                delay = self._error_status(
                    endpoint, key, status, headers, body, attempt, limiter, lost_answer
                )
                if status in RETRYABLE_5XX and status not in REFUSED_5XX:
                    lost_answer = lost_answer or endpoint.is_write

            with self._stats_lock:
                self.retries += 1
                self.backoff_s += delay
            if delay > 0:
                self._sleep(delay)
            attempt += 1

    def _transport_failure(
        self, endpoint: _Endpoint, key: str, failure: BaseException, attempt: int
    ) -> float:
        """The delay before retrying a call that got no answer, or raise."""
        reason = _reason(failure)
        what = self._redact(f"{type(reason).__name__}: {reason}")
        if not _never_sent(failure) and not endpoint.idempotent:
            raise HubSpotAmbiguousWrite(
                f"HubSpot {key}: the request was sent but no answer came back ({what}). "
                "HubSpot may or may not have applied it, so it is not retried (a retry could "
                "create duplicates): reconcile by reading back by the unique key.",
                endpoint=key,
            ) from failure
        if attempt >= self.max_retries:
            raise HubSpotConnectionError(
                f"HubSpot {key}: no answer after {attempt + 1} attempts ({what}); "
                f"is HubSpot reachable at {self.base_url}?",
                endpoint=key,
            ) from failure
        delay = self._backoff(attempt)
        logger.warning(
            "HubSpot %s: no answer (%s); retry %d/%d in %.1f s",
            key, what, attempt + 1, self.max_retries, delay,
        )  # fmt: skip
        return delay

    def _error_status(
        self,
        endpoint: _Endpoint,
        key: str,
        status: int,
        headers: Mapping[str, str],
        body: Any,
        attempt: int,
        limiter: SlidingWindowLimiter,
        lost_answer: bool = False,
    ) -> float:
        """The delay before retrying a call answered with an error status, or raise."""
        error = self._api_error(status, body, key)
        error.after_lost_answer = lost_answer
        if status == 429:
            with self._stats_lock:
                self.rate_limited += 1
            if error.policy_name == "DAILY":
                raise self.daily.exhausted() from None
        retryable = status in (429, 423) or status in RETRYABLE_5XX
        if not retryable:
            raise error
        if not endpoint.idempotent and status in RETRYABLE_5XX and status not in REFUSED_5XX:
            raise HubSpotAmbiguousWrite(
                f"{error} — HubSpot may have applied this write before failing, so it is not "
                "retried (a retry could create duplicates): reconcile by the unique key.",
                endpoint=key,
                status=status,
            ) from None
        if attempt >= self.max_retries:
            raise error
        if status == 429:
            delay = 0.0
            retry_after = _retry_after_s(headers)
            if retry_after is not None:
                if retry_after > self._max_retry_after_s:
                    raise error
                # Everyone waits, not just this caller: the limit is shared.
                limiter.pause_for(retry_after)
            elif error.policy_name == "SECONDLY" and not endpoint.search:
                delay = self._backoff(attempt)
            elif not limiter.saturate():
                # No budget known to wait on: plain backoff.
                delay = self._backoff(attempt)
            # Otherwise the window is now full in the limiter's eyes: the next acquire()
            # waits exactly until the oldest call falls out of it.
        elif status == 423:
            delay = max(self._locked_wait_s, self._backoff(attempt))
        else:
            delay = self._backoff(attempt)
        logger.warning(
            "HubSpot %s answered %d %s; retry %d/%d%s",
            key, status, error.category, attempt + 1, self.max_retries,
            f" in {delay:.1f} s" if delay else " when the window allows",
        )  # fmt: skip
        return delay


def _reason(failure: BaseException) -> BaseException:
    return failure.reason if isinstance(failure, urllib3.exceptions.MaxRetryError) else failure


def _never_sent(failure: BaseException) -> bool:
    """A connect failure (refused, timed out) means the request never left: safe to retry
    even a create. (urllib3's NewConnectionError is a ConnectTimeoutError.)"""
    return isinstance(_reason(failure), urllib3.exceptions.ConnectTimeoutError)


def _is_no_associations(error: Any) -> bool:
    """A v4 batch read "error" that only says the record has no links of that type."""
    if not isinstance(error, Mapping):
        return False
    sub = str(error.get("subCategory") or "")
    return "NO_ASSOCIATIONS_FOUND" in sub or error.get("category") == "OBJECT_NOT_FOUND"


# --------------------------------------------------------------------------- Dagster
class HubSpot(dg.ConfigurableResource):
    """HubSpot CRM for assets: ``hubspot.client()`` gives a paced, counted `HubSpotClient`.

    Each call to `client()` builds a fresh client, so its counters describe one asset's
    work; pacing stays correct across clients because each follows the server's headers.
    """

    base_url: str = Field(description="HubSpot API base URL (HUBSPOT_BASE_URL).")
    access_token: str = Field(
        default="", description="Private app access token (HUBSPOT_ACCESS_TOKEN)."
    )
    tier: str = Field(
        default="professional",
        description="Subscription tier for the starting rate budget: free, starter, "
        "professional, enterprise or unlimited (HUBSPOT_TIER).",
    )
    timeout_s: float = Field(default=30.0, description="Timeout of one HTTP call, seconds.")
    daily_reserve: Optional[int] = Field(  # noqa: UP045 - Dagster reads this at runtime
        default=None,
        description="Daily calls left untouched for the portal's other integrations "
        "(default: 1 % of the daily limit).",
    )
    max_retries: int = Field(default=5, description="Retries of one call (429, 423, 5xx...).")
    max_in_flight: int = Field(
        default=4,
        description="Batch calls a sync keeps waiting for HubSpot's answer at once (1 to 10): "
        "HubSpot takes a few hundred milliseconds per batch, so one at a time would use a "
        "fraction of the rate limit; the rate limiter paces them either way.",
    )

    def __repr_args__(self) -> Any:
        # Pydantic's repr would print the token.
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "access_token" and value else value)

    def client(self) -> HubSpotClient:
        if not self.access_token.strip():
            raise HubSpotConfigError(
                "HUBSPOT_ACCESS_TOKEN is not set: create a private app in HubSpot (Settings > "
                "Integrations > Private Apps) with the CRM object and schema scopes, and export "
                "its access token as HUBSPOT_ACCESS_TOKEN (for the local emulator, the token it "
                "was started with)."
            )
        return HubSpotClient(
            base_url=self.base_url,
            access_token=self.access_token.strip(),
            tier=self.tier,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            daily_reserve=self.daily_reserve,
            max_in_flight=self.max_in_flight,
        )


__all__ = [
    "MAX_BATCH_INPUTS",
    "OBJECT_TYPES",
    "BatchOutcome",
    "HubSpot",
    "HubSpotClient",
    "HubSpotConfigError",
    "chunked",
]
