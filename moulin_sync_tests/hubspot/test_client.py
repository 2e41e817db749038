"""HubSpotClient without a server: input checks, error parsing, redaction, the retry
policy and the limiter against scripted answers."""

from __future__ import annotations

import itertools
import pickle
import random
from types import SimpleNamespace
from typing import Any

import hubspot.crm.objects as objects_sdk
import pytest
from urllib3 import HTTPHeaderDict

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.hubspot.client import HubSpotClient, ObjectResult
from moulin_sync.hubspot.client.errors import (
    HubSpotApiError,
    HubSpotConfigError,
    HubSpotConnectionError,
    HubSpotNotFound,
)
from moulin_sync.hubspot.client.problems import PropertyProblem
from moulin_sync_tests.hubspot.client_helpers import (
    TOKEN,
    contacts,
    dead_url,
)


# =============================================================================== no server
def test_more_than_100_inputs_are_refused_before_any_call() -> None:
    client = HubSpotClient(dead_url(), TOKEN)
    too_many = contacts(101)
    with pytest.raises(ValueError, match=r"101 inputs.*at most 100.*batches of 100"):
        client.objects.batch_upsert("contacts", too_many, "email")
    with pytest.raises(ValueError, match="at most 100"):
        client.objects.batch_create("contacts", [{"properties": {}} for _ in range(101)])
    with pytest.raises(ValueError, match="at most 100"):
        client.objects.batch_update(
            "contacts", [{"id": str(i), "properties": {}} for i in range(101)]
        )
    with pytest.raises(ValueError, match="at most 100"):
        client.objects.batch_read("contacts", [str(i) for i in range(101)], None, [])
    with pytest.raises(ValueError, match="at most 100"):
        client.objects.batch_archive("contacts", [str(i) for i in range(101)])
    assert sum(client.calls.values()) == 0


def test_bad_inputs_are_refused_before_any_call() -> None:
    client = HubSpotClient(dead_url(), TOKEN)
    with pytest.raises(ValueError, match="unsupported object type"):
        client.objects.batch_read("leads", ["1"], None, [])
    with pytest.raises(ValueError, match="appears twice"):
        # Emails match case-insensitively in HubSpot: this batch would be rejected whole.
        client.objects.batch_upsert(
            "contacts",
            [{"id": "A@x.fr", "properties": {}}, {"id": "a@x.fr", "properties": {}}],
            "email",
        )
    with pytest.raises(ValueError, match="objectWriteTraceId 't' appears twice"):
        client.objects.batch_create(
            "contacts",
            [
                {"properties": {}, "objectWriteTraceId": "t"},
                {"properties": {}, "objectWriteTraceId": "t"},
            ],
        )
    with pytest.raises(ValueError, match="non-empty list of association types"):
        # HubSpot answers 2xx to `types: []` and links nothing.
        client.associations.create("contacts", "companies", [{"from": "1", "to": "2", "types": []}])
    with pytest.raises(ValueError, match="non-empty list"):
        client.objects.batch_create(
            "deals", [{"properties": {}, "associations": [{"to": {"id": "1"}}]}]
        )
    with pytest.raises(ValueError, match=r"unknown field.*propertys"):
        client.objects.batch_update("contacts", [{"id": "1", "propertys": {}}])
    with pytest.raises(ValueError, match=r"unknown field.*propertyname"):
        list(client.objects.search("contacts", [{"filters": [{"propertyname": "email"}]}], []))
    with pytest.raises(ValueError, match="between 1 and 200"):
        list(client.objects.search("contacts", [], [], limit=500))
    assert sum(client.calls.values()) == 0


def test_conflict_error_exposes_the_existing_id() -> None:
    error = HubSpotApiError(
        409,
        "CONFLICT",
        "Contact already exists. Existing ID: 12345",
        (PropertyProblem("CONFLICT", "...", ("email",)),),
        "c0ffee",
        endpoint="POST /crm/v3/objects/contacts/batch/create",
    )
    assert error.existing_id == "12345"
    text = str(error)
    assert text.startswith(
        "HubSpot POST /crm/v3/objects/contacts/batch/create failed with HTTP 409"
    )
    assert "correlationId c0ffee" in text
    no_id = HubSpotApiError(409, "CONFLICT", "A property named x already exists")
    assert no_id.existing_id is None
    assert HubSpotApiError(400, "VALIDATION_ERROR", "Existing ID: 3").existing_id is None
    # Exceptions survive pickling (Dagster and thread pools may carry them across).
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.status, copy.existing_id, copy.endpoint) == (409, "12345", error.endpoint)


def test_validation_error_lists_codes_and_properties() -> None:
    client = HubSpotClient(dead_url(), TOKEN)
    body = client.transport.parse(
        b'{"status":"error","message":"Property values were not valid","correlationId":"abc",'
        b'"category":"VALIDATION_ERROR","errors":['
        b'{"message":"bad email","code":"INVALID_EMAIL","context":{"propertyName":["email"]}},'
        b'{"message":"not a number","code":"INVALID_INTEGER","context":{"propertyName":["discount"]}}]}'
    )
    error = HubSpotApiError.from_body(400, body, "POST /crm/v3/objects/contacts/batch/upsert")
    assert type(error) is HubSpotApiError
    assert (error.status, error.category, error.correlation_id) == (400, "VALIDATION_ERROR", "abc")
    assert error.codes == ["INVALID_EMAIL", "INVALID_INTEGER"]
    assert error.property_names == ["email", "discount"]
    assert "[INVALID_EMAIL on email; INVALID_INTEGER on discount]" in str(error)
    missing = HubSpotApiError.from_body(
        404, {"category": "OBJECT_NOT_FOUND", "message": "gone"}, "GET x"
    )
    assert isinstance(missing, HubSpotNotFound)
    html = HubSpotApiError.from_body(502, "<html>Bad gateway</html>", "POST x")
    assert html.message == "<html>Bad gateway</html>"


def test_token_never_shown() -> None:
    client = HubSpotClient(dead_url(), TOKEN, max_retries=1, backoff_base_s=0.001)
    assert TOKEN not in repr(client)
    resource = HubSpot(base_url="http://127.0.0.1:1", access_token=TOKEN)
    assert TOKEN not in repr(resource) and TOKEN not in str(resource)
    # Whatever a server echoes is redacted before it reaches a result or an exception.
    echoed = client.transport.parse(f'{{"message": "bad token {TOKEN}"}}'.encode())
    assert echoed == {"message": "bad token ***"}
    with pytest.raises(HubSpotConnectionError) as caught:
        client.objects.batch_upsert("contacts", contacts(1), "email")
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)


def test_resource_requires_a_token() -> None:
    with pytest.raises(HubSpotConfigError, match="HUBSPOT_ACCESS_TOKEN is not set: create"):
        HubSpot(base_url="http://127.0.0.1:1", access_token="  ").client()
    client = HubSpot(
        base_url="http://127.0.0.1:1/", access_token=TOKEN, tier="starter", daily_reserve=7
    ).client()
    assert (client.transport.base_url, client.transport.tier, client.transport.limiter.limit) == (
        "http://127.0.0.1:1",
        "starter",
        100,
    )
    assert client.transport.daily.reserve == 7


def test_refused_connections_are_retried_then_raised() -> None:
    client = HubSpotClient(dead_url(), TOKEN, max_retries=2, backoff_base_s=0.001)
    with pytest.raises(
        HubSpotConnectionError,
        match=r"POST /crm/v3/objects/contacts/batch/upsert: no answer after 3 attempts",
    ):
        client.objects.batch_upsert("contacts", contacts(1), "email")
    assert client.calls["POST /crm/v3/objects/contacts/batch/upsert"] == 3
    assert client.transport.stats.retries == 2
    # A refused connection never reached HubSpot: even a create is safe to retry.
    with pytest.raises(HubSpotConnectionError):
        client.objects.batch_create("contacts", [{"properties": {"email": "x@y.fr"}}])
    assert client.calls["POST /crm/v3/objects/contacts/batch/create"] == 3


class ScriptedUpsertApi:
    """Stands in for the SDK's batch API: answers `upsert_with_http_info` from a script."""

    def __init__(self, clock: Any, script: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.clock = clock
        self.script = script
        self.sent_at: list[float] = []
        self.timeouts: list[Any] = []

    def upsert_with_http_info(self, object_type: str, body: Any, **kw: Any) -> Any:
        assert kw["_preload_content"] is False
        self.timeouts.append(kw["_request_timeout"])
        self.sent_at.append(self.clock())
        status, headers, data = self.script.pop(0)
        if status >= 300:
            error = objects_sdk.ApiException(status=status, reason="scripted")
            error.headers, error.body = HTTPHeaderDict(headers), data.decode()
            raise error
        return SimpleNamespace(
            status=status, headers=HTTPHeaderDict(headers), data=data, release_conn=lambda: None
        )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


OK_BODY = b'{"status": "COMPLETE", "results": [{"id": "7", "properties": {}, "new": true}]}'
LIMIT_BODY = b'{"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}'


def scripted_client(
    script: list[tuple[int, dict[str, str], bytes]], **options: Any
) -> tuple[HubSpotClient, ScriptedUpsertApi, FakeClock]:
    clock = FakeClock()
    client = HubSpotClient(
        dead_url(), TOKEN, clock=clock, sleep=clock.sleep, rng=random.Random(1), **options
    )
    api = ScriptedUpsertApi(clock, script)
    client.objects._batch = api
    return client, api, clock


def test_429_retry_after_is_respected() -> None:
    client, api, _ = scripted_client(
        [(429, {"Retry-After": "3"}, LIMIT_BODY), (200, {}, OK_BODY)], timeout_s=12
    )
    outcome = client.objects.batch_upsert("contacts", contacts(1), "email")
    assert outcome.results == [ObjectResult("7", {}, True)]
    assert api.sent_at == [0.0, 3.0]
    assert api.timeouts == [12.0, 12.0]  # the timeout goes with every call
    assert (client.transport.stats.rate_limited, client.transport.stats.retries) == (1, 1)
    too_long, _, _ = scripted_client([(429, {"Retry-After": "3600"}, LIMIT_BODY)])
    with pytest.raises(HubSpotApiError) as caught:  # an hour: fail now, don't hang the run
        too_long.objects.batch_upsert("contacts", contacts(1), "email")
    assert caught.value.status == 429 and caught.value.category == "RATE_LIMIT"


def test_429_without_guidance_waits_for_the_window_or_backs_off() -> None:
    # Known budget: the window is assumed full, the retry waits for the oldest call to expire.
    client, api, clock = scripted_client(
        [(200, {}, OK_BODY), (429, {}, LIMIT_BODY), (200, {}, OK_BODY)],
        rate_limit=20,
        rate_window_s=1.0,
    )
    client.objects.batch_upsert("contacts", contacts(1), "email")
    clock.now = 0.25
    client.objects.batch_upsert("contacts", contacts(1), "email")
    assert api.sent_at == [0.0, 0.25, pytest.approx(1.0)]
    # No budget known (unlimited tier, no headers): exponential backoff.
    client, api, clock = scripted_client(
        [(429, {}, LIMIT_BODY)] * 3 + [(200, {}, OK_BODY)],
        tier="unlimited",
        backoff_base_s=0.5,
    )
    client.objects.batch_upsert("contacts", contacts(1), "email")
    gaps = [b - a for a, b in itertools.pairwise(api.sent_at)]
    assert 0.25 <= gaps[0] <= 0.5 and 0.5 <= gaps[1] <= 1.0 and 1.0 <= gaps[2] <= 2.0


def test_headers_of_each_answer_drive_the_limiter() -> None:
    headers = {
        "X-HubSpot-RateLimit-Max": "3",
        "X-HubSpot-RateLimit-Remaining": "0",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "2000",
        "X-HubSpot-RateLimit-Daily": "1000",
        "X-HubSpot-RateLimit-Daily-Remaining": "900",
    }
    client, api, _ = scripted_client([(200, headers, OK_BODY), (200, {}, OK_BODY)])
    client.objects.batch_upsert("contacts", contacts(1), "email")
    assert (client.transport.limiter.limit, client.transport.limiter.window_s) == (3, 2.0)
    assert (
        client.transport.daily.limit,
        client.transport.daily.remaining,
        client.transport.daily.reserve,
    ) == (1000, 900, 10)
    client.objects.batch_upsert("contacts", contacts(1), "email")
    # The server said none remain: the next call waited for the 2-second window.
    assert api.sent_at == [0.0, pytest.approx(2.0)]
