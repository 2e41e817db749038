"""HubSpotClient: input checks, error parsing, redaction (no server), then every method, the
retry policy and the budget guards against the HubSpot emulator."""

from __future__ import annotations

import contextlib
import itertools
import pickle
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import hubspot.crm.objects as objects_sdk
import pytest
from urllib3 import HTTPHeaderDict

import moulin_sync.hubspot.client.objects as objects_module
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.hubspot.client import BatchOutcome, HubSpotClient, ObjectResult
from moulin_sync.hubspot.client.errors import (
    DailyBudgetExhausted,
    HubSpotAmbiguousWrite,
    HubSpotApiError,
    HubSpotConfigError,
    HubSpotConnectionError,
    HubSpotNotFound,
    SearchWindowTooLarge,
)
from moulin_sync.hubspot.client.problems import PropertyProblem
from moulin_sync.testing.hubspot_emulator import EmulatorHandle, free_port

TOKEN = "pat-eu1-0000-very-secret-token"
UPSERT = "/crm/v3/objects/contacts/batch/upsert"
CREATE = "/crm/v3/objects/contacts/batch/create"
PRIMARY_CONTACT_TO_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}
CONTACT_TO_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}
DEAL_TO_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}


def dead_url() -> str:
    """A local port nobody listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


def contacts(n: int, start: int = 0, domain: str = "moulin.test") -> list[dict[str, Any]]:
    return [
        {"id": f"c{i}@{domain}", "properties": {"firstname": f"C{i}", "lastname": "Test"}}
        for i in range(start, start + n)
    ]


def stored(emulator: EmulatorHandle, object_type: str) -> list[dict[str, Any]]:
    return [r for r in emulator.admin.state()["objects"][object_type] if not r["archived"]]


def emails(emulator: EmulatorHandle) -> Counter[str]:
    return Counter(r["properties"].get("email") for r in stored(emulator, "contacts"))


def by_template(calls: Counter[str]) -> Counter[str]:
    """The client's "METHOD /crm/v3/objects/contacts/..." keys as the emulator's route templates."""
    out: Counter[str] = Counter()
    for key, n in calls.items():
        method, path = key.split(" ", 1)
        path = re.sub(r"^/crm/v3/objects/[^/{]+", "/crm/v3/objects/{objectType}", path)
        path = re.sub(r"^/crm/v3/(properties|pipelines)/[^/{]+", r"/crm/v3/\1/{objectType}", path)
        path = re.sub(
            r"^/crm/v4/associations/[^/]+/[^/]+",
            "/crm/v4/associations/{fromObjectType}/{toObjectType}",
            path,
        )
        out[f"{method} {path}"] += n
    return out


def emulator_counts(emulator: EmulatorHandle) -> Counter[str]:
    out: Counter[str] = Counter()
    for row in emulator.admin.stats():
        out[f"{row['method']} {row['route']}"] += row["count"]
    return out


def batches_of(items: list[Any], size: int = 100) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def count_status(emulator: EmulatorHandle, status: int) -> int:
    return sum(r["count"] for r in emulator.admin.stats() if r["status"] == status)


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


# =============================================================================== objects
def test_upsert_update_read_get_archive_round_trip(
    client: HubSpotClient, emulator: EmulatorHandle
) -> None:
    first = client.objects.batch_upsert("contacts", contacts(3), "email")
    assert isinstance(first, BatchOutcome) and first.status == 200 and first.ok
    assert [r.new for r in first.results] == [True, True, True]
    ids = {r.properties["email"]: r.id for r in first.results}
    assert all(isinstance(i, str) and i.isdigit() for i in ids.values())

    again = client.objects.batch_upsert(
        "contacts", [{"id": "c0@moulin.test", "properties": {"firstname": "Zoé"}}], "email"
    )
    assert again.results[0].new is False and again.results[0].id == ids["c0@moulin.test"]

    updated = client.objects.batch_update(
        "contacts", [{"id": ids["c1@moulin.test"], "properties": {"lastname": "Meunier"}}]
    )
    assert updated.ok and updated.results[0].properties["lastname"] == "Meunier"

    read = client.objects.batch_read(
        "contacts", list(ids.values()), None, ["firstname", "lastname"]
    )
    assert read.status == 200
    names = {r.id: (r.properties["firstname"], r.properties["lastname"]) for r in read.results}
    assert names[ids["c0@moulin.test"]] == ("Zoé", "Test")
    assert names[ids["c1@moulin.test"]] == ("C1", "Meunier")

    one = client.objects.get("contacts", ids["c2@moulin.test"], ["email", "firstname"])
    assert one is not None and one["id"] == ids["c2@moulin.test"]
    assert one["properties"]["firstname"] == "C2"
    by_email = client.objects.get("contacts", "c2@moulin.test", ["email"], id_property="email")
    assert by_email is not None and by_email["id"] == ids["c2@moulin.test"]
    assert client.objects.get("contacts", "999999999", ["email"]) is None

    client.objects.batch_archive("contacts", [ids["c2@moulin.test"]])
    assert emails(emulator) == Counter({"c0@moulin.test": 1, "c1@moulin.test": 1})
    gone = client.objects.batch_read("contacts", [ids["c2@moulin.test"]], None, ["email"])
    assert gone.results == [] and gone.errors[0].context["ids"] == (ids["c2@moulin.test"],)


def test_batch_read_reports_missing_ids_as_errors(client: HubSpotClient) -> None:
    client.objects.batch_upsert("contacts", contacts(2), "email")
    outcome = client.objects.batch_read(
        "contacts", ["c0@moulin.test", "nobody@moulin.test", "c1@moulin.test"], "email", ["email"]
    )
    assert outcome.status == 207 and not outcome.ok
    assert sorted(r.properties["email"] for r in outcome.results) == [
        "c0@moulin.test",
        "c1@moulin.test",
    ]
    [error] = outcome.errors
    assert error.category == "OBJECT_NOT_FOUND" and error.is_not_found
    assert error.context == {"ids": ("nobody@moulin.test",)}
    assert error.message


def test_batch_create_with_trace_ids_isolates_the_bad_input(
    client: HubSpotClient, emulator: EmulatorHandle
) -> None:
    outcome = client.objects.batch_create(
        "contacts",
        [
            {"properties": {"email": "good@moulin.test"}, "objectWriteTraceId": "row-1"},
            {"properties": {"email": "not-an-email"}, "objectWriteTraceId": "row-2"},
            {"properties": {"email": "fine@moulin.test"}, "objectWriteTraceId": "row-3"},
        ],
    )
    assert outcome.status == 207
    assert sorted(r.properties["email"] for r in outcome.results) == [
        "fine@moulin.test",
        "good@moulin.test",
    ]
    assert all(r.new is True for r in outcome.results)
    [error] = outcome.errors
    assert error.trace_id == "row-2"
    assert error.category == "VALIDATION_ERROR"
    assert error.problems[0].code == "INVALID_EMAIL"
    assert "INVALID_EMAIL on email" in error.reason
    assert emails(emulator) == Counter({"good@moulin.test": 1, "fine@moulin.test": 1})


def test_batch_create_without_trace_ids_fails_whole(
    client: HubSpotClient, emulator: EmulatorHandle
) -> None:
    with pytest.raises(HubSpotApiError) as caught:
        client.objects.batch_create(
            "contacts",
            [{"properties": {"email": "good@moulin.test"}}, {"properties": {"email": "nope"}}],
        )
    error = caught.value
    assert error.status == 400 and error.category == "VALIDATION_ERROR"
    assert "INVALID_EMAIL" in error.codes and "email" in error.property_names
    assert "POST /crm/v3/objects/contacts/batch/create" in str(error)
    assert error.correlation_id
    assert client.transport.stats.retries == 0  # a 400 is not retried
    assert stored(emulator, "contacts") == []


def test_duplicate_create_raises_conflict_with_existing_id(client: HubSpotClient) -> None:
    [existing] = client.objects.batch_upsert("contacts", contacts(1), "email").results
    with pytest.raises(HubSpotApiError) as caught:
        client.objects.batch_create("contacts", [{"properties": {"email": "c0@moulin.test"}}])
    assert caught.value.status == 409 and caught.value.category == "CONFLICT"
    assert caught.value.existing_id == existing.id


def test_search_pages_and_refuses_past_the_result_window(
    client: HubSpotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for batch in batches_of(contacts(250)):
        client.objects.batch_upsert("contacts", batch, "email")
    everyone = [{"filters": [{"propertyName": "lastname", "operator": "EQ", "value": "Test"}]}]
    found = list(
        client.objects.search(
            "contacts",
            everyone,
            ["email"],
            sorts=[{"propertyName": "email", "direction": "ASCENDING"}],
            limit=100,
        )
    )
    assert len(found) == 250 and len({r["id"] for r in found}) == 250
    assert [r["properties"]["email"] for r in found] == sorted(
        r["properties"]["email"] for r in found
    )
    assert client.calls["POST /crm/v3/objects/contacts/search"] == 3
    narrow = [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "c7@moulin.test"}]}]
    assert [
        r["properties"]["email"] for r in client.objects.search("contacts", narrow, ["email"])
    ] == ["c7@moulin.test"]

    # HubSpot's 10,000 cap, shrunk to 200 so the test stays small.
    monkeypatch.setattr(objects_module, "MAX_SEARCH_RESULTS", 200)
    pages = client.objects.search("contacts", everyone, ["email"], limit=100)
    got = [next(pages) for _ in range(200)]
    assert len(got) == 200
    with pytest.raises(SearchWindowTooLarge, match=r"matches 250 records.*split the window"):
        next(pages)


def test_search_is_paced_by_its_own_limit(client: HubSpotClient, emulator: EmulatorHandle) -> None:
    started = time.monotonic()
    for _ in range(7):
        assert list(client.objects.search("contacts", [], ["email"])) == []
    elapsed = time.monotonic() - started
    assert elapsed >= 0.9  # 5 per second: the 6th waited for the first to leave the second
    assert count_status(emulator, 429) == 0 and client.transport.stats.rate_limited == 0
    assert client.transport.limiter.in_window() == 0  # searches do not spend the 10-second budget


# =============================================================================== associations
def test_associations_round_trip(client: HubSpotClient) -> None:
    client.properties.create(
        "companies",
        {
            "name": "moulin_company_id",
            "label": "ID entreprise",
            "type": "string",
            "fieldType": "text",
            "groupName": "companyinformation",
            "hasUniqueValue": True,
        },
    )
    companies = client.objects.batch_upsert(
        "companies",
        [{"id": "B1", "properties": {"name": "Boulangerie Une"}},
         {"id": "B2", "properties": {"name": "Boulangerie Deux"}}],
        "moulin_company_id",
    )  # fmt: skip
    company = {r.properties["name"]: r.id for r in companies.results}
    b1, b2 = company["Boulangerie Une"], company["Boulangerie Deux"]
    people = client.objects.batch_upsert("contacts", contacts(3), "email")
    c0, c1, c2 = (r.id for r in people.results)

    linked = client.associations.create(
        "contacts",
        "companies",
        [
            {"from": c0, "to": b1, "types": [PRIMARY_CONTACT_TO_COMPANY, CONTACT_TO_COMPANY]},
            {"from": c1, "to": b2, "types": [CONTACT_TO_COMPANY]},
            {"from": c1, "to": "404404404", "types": [CONTACT_TO_COMPANY]},
        ],
    )
    assert linked.status == 207
    assert {(r.from_id, r.to_id) for r in linked.results} == {(c0, b1), (c1, b2)}
    assert linked.errors[0].context["toObjectId"] == ("404404404",)

    links = client.associations.read("contacts", "companies", [c0, c1, c2])
    assert links == {
        c0: [{"toObjectId": b1, "typeIds": [1, 279]}],
        c1: [{"toObjectId": b2, "typeIds": [279]}],
        c2: [],  # no links is not an error
    }
    client.associations.archive("contacts", "companies", [{"from": c0, "to": b1}])
    assert client.associations.read("contacts", "companies", [c0]) == {c0: []}

    # Inline association at create time.
    deal = client.objects.batch_create(
        "deals",
        [{"properties": {"dealname": "Commande 1", "dealstage": "closedwon", "pipeline": "default"},
          "associations": [{"to": {"id": b2}, "types": [DEAL_TO_COMPANY]}]}],
    )  # fmt: skip
    deal_id = deal.results[0].id
    assert client.associations.read("deals", "companies", [deal_id]) == {
        deal_id: [{"toObjectId": b2, "typeIds": [341]}]
    }


def test_merge(client: HubSpotClient) -> None:
    primary, merged = (
        r.id for r in client.objects.batch_upsert("contacts", contacts(2), "email").results
    )
    survivor = client.objects.merge("contacts", primary, merged)
    assert survivor["id"] == primary
    assert merged in survivor["properties"]["hs_merged_object_ids"].split(";")
    assert client.objects.get("contacts", merged, ["email"]) is None
    with pytest.raises(HubSpotNotFound, match="POST /crm/v3/objects/contacts/merge"):
        client.objects.merge("contacts", primary, merged)


def test_properties_groups_and_pipelines(client: HubSpotClient) -> None:
    group = client.properties.create_group("contacts", "app_du_moulin", "App du Moulin")
    assert group["name"] == "app_du_moulin"
    definition = {
        "name": "moulin_customer_type",
        "label": "Type de client",
        "type": "enumeration",
        "fieldType": "select",
        "groupName": "app_du_moulin",
        "options": [{"label": "B2C", "value": "B2C", "displayOrder": 0, "hidden": False}],
    }
    created = client.properties.create("contacts", definition)
    assert created["name"] == "moulin_customer_type" and created["type"] == "enumeration"
    phone = client.properties.create(
        "contacts",
        {"name": "moulin_phone", "label": "Tél", "type": "phone_number",
         "fieldType": "phonenumber", "groupName": "app_du_moulin"},
    )  # fmt: skip
    # phone_number / phonenumber are missing from the SDK's own enum lists: sent anyway.
    assert phone["name"] == "moulin_phone" and phone["fieldType"] == "phonenumber"
    options = [
        *definition["options"],
        {"label": "B2B", "value": "B2B", "displayOrder": 1, "hidden": False},
    ]
    changed = client.properties.update("contacts", "moulin_customer_type", {"options": options})
    assert [o["value"] for o in changed["options"]] == ["B2C", "B2B"]
    listed = {p["name"]: p for p in client.properties.list("contacts")}
    assert {"email", "moulin_customer_type", "moulin_phone"} <= set(listed)
    with pytest.raises(HubSpotApiError) as caught:
        client.properties.create("contacts", definition)
    assert caught.value.status == 409

    [deals_pipeline, *_] = client.pipelines.list("deals")
    assert deals_pipeline["id"] == "default"
    stages = {s["id"]: s for s in deals_pipeline["stages"]}
    assert {"appointmentscheduled", "closedwon", "closedlost"} <= set(stages)
    assert set(stages["closedwon"]) >= {"id", "label", "displayOrder", "metadata"}
    ticket_stages = [s["id"] for s in client.pipelines.list("tickets")[0]["stages"]]
    assert ticket_stages[:4] == ["1", "2", "3", "4"]


# =============================================================================== retries
def test_429_storm_is_survived_with_nothing_lost(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client(max_retries=5)
    batches = list(batches_of(contacts(80), 10))
    for batch in batches[:5]:
        assert client.objects.batch_upsert("contacts", batch, "email").ok
    # HubSpot's budget shrinks mid-run (another integration, a downgrade...): 4 per 10 s,
    # with 5 calls already in the window. Three workers then hit it at once.
    emulator.admin.set_limits(per_10s=4)
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        outcomes = list(
            pool.map(lambda b: client.objects.batch_upsert("contacts", b, "email"), batches[5:])
        )
    elapsed = time.monotonic() - started
    assert all(o.ok for o in outcomes)
    assert emails(emulator) == Counter({f"c{i}@moulin.test": 1 for i in range(80)})
    rejected = count_status(emulator, 429)
    assert rejected >= 1
    assert client.transport.stats.rate_limited == rejected == client.snapshot()["rate_limited"]
    assert client.transport.limiter.limit == 4  # followed X-HubSpot-RateLimit-Max
    # It waited for the window instead of hammering: 429s at most one per worker.
    assert rejected <= 3 and elapsed < 20
    assert by_template(client.calls) == emulator_counts(emulator)


def test_healthy_run_learns_the_budget_from_headers_and_sees_no_429(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    emulator.admin.set_limits(per_10s=190)
    client = make_client(tier="free")  # starts at 100 per 10 s
    client.properties.list("contacts")
    assert client.transport.limiter.limit == 190
    for batch in batches_of(contacts(1000)):
        client.objects.batch_upsert("contacts", batch, "email")
    assert client.transport.stats.rate_limited == 0 and count_status(emulator, 429) == 0
    assert client.snapshot()["write_calls"] == 10


def test_503_and_423_bursts_are_retried(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="status", status=503, count=2, method="POST", route=UPSERT)
    assert client.objects.batch_upsert("contacts", contacts(2), "email").ok
    emulator.admin.add_fault(kind="status", status=423, count=2, method="POST", route=UPSERT)
    assert client.objects.batch_upsert("contacts", contacts(2, start=2), "email").ok
    emulator.admin.add_fault(kind="status", status=502, count=1, method="POST", route=UPSERT)
    assert client.objects.batch_upsert("contacts", contacts(1, start=4), "email").ok
    assert client.transport.stats.retries == 5
    assert client.calls[f"POST {UPSERT}"] == 8
    assert len(emails(emulator)) == 5
    assert client.snapshot()["backoff_s"] >= 2 * 0.05  # the 423s waited locked_wait_s each


def test_retries_are_bounded(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client(max_retries=2)
    emulator.admin.add_fault(kind="status", status=503, count=10, method="POST", route=UPSERT)
    with pytest.raises(HubSpotApiError) as caught:
        client.objects.batch_upsert("contacts", contacts(1), "email")
    assert caught.value.status == 503
    assert "POST /crm/v3/objects/contacts/batch/upsert failed with HTTP 503" in str(caught.value)
    assert client.calls[f"POST {UPSERT}"] == 3 and client.transport.stats.retries == 2


def test_hang_past_the_timeout_is_retried_for_upsert(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client(timeout_s=0.5)
    emulator.admin.add_fault(kind="hang", seconds=1.2, count=1, method="POST", route=UPSERT)
    started = time.monotonic()
    outcome = client.objects.batch_upsert("contacts", contacts(1), "email")
    assert (
        outcome.ok and client.transport.stats.retries == 1 and client.calls[f"POST {UPSERT}"] == 2
    )
    assert 0.5 <= time.monotonic() - started < 1.2  # gave up on the hung call at the timeout
    time.sleep(0.8)  # past the hang: whatever became of the first attempt, one record
    assert emails(emulator) == Counter({"c0@moulin.test": 1})


def test_create_whose_answer_is_lost_is_not_retried(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client(timeout_s=0.5)
    emulator.admin.add_fault(kind="drop_after_commit", count=1, method="POST", route=CREATE)
    with pytest.raises(HubSpotAmbiguousWrite, match=r"not retried.*reconcile") as caught:
        client.objects.batch_create("contacts", [{"properties": {"email": "once@moulin.test"}}])
    assert caught.value.endpoint == f"POST {CREATE}"
    assert client.calls[f"POST {CREATE}"] == 1 and client.transport.stats.retries == 0
    # HubSpot did commit it: the caller reconciles by its unique key.
    assert emails(emulator) == Counter({"once@moulin.test": 1})
    check = client.objects.batch_read("contacts", ["once@moulin.test"], "email", ["email"])
    assert len(check.results) == 1

    # Same for a timeout: HubSpot may still be working on it when the client gives up.
    emulator.admin.add_fault(kind="hang", seconds=0.8, count=1, method="POST", route=CREATE)
    with pytest.raises(HubSpotAmbiguousWrite, match="ReadTimeoutError"):
        client.objects.batch_create("contacts", [{"properties": {"email": "late@moulin.test"}}])
    assert client.calls[f"POST {CREATE}"] == 2 and client.transport.stats.retries == 0
    time.sleep(0.5)  # let the hung request finish here, not in the next test's budget


def test_upsert_whose_answer_is_lost_is_retried(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="drop_after_commit", count=1, method="POST", route=UPSERT)
    outcome = client.objects.batch_upsert("contacts", contacts(1), "email")
    assert outcome.ok and client.transport.stats.retries == 1
    # The first attempt had created it; the retry found it.
    assert outcome.results[0].new is False
    assert emails(emulator) == Counter({"c0@moulin.test": 1})


def test_5xx_on_create_retried_only_when_refused(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="status", status=503, count=1, method="POST", route=CREATE)
    created = client.objects.batch_create("contacts", [{"properties": {"email": "a@moulin.test"}}])
    assert created.ok and client.calls[f"POST {CREATE}"] == 2
    # A 504 may come after HubSpot applied the create: not retried.
    emulator.admin.add_fault(kind="status", status=504, count=1, method="POST", route=CREATE)
    with pytest.raises(HubSpotAmbiguousWrite) as caught:
        client.objects.batch_create("contacts", [{"properties": {"email": "b@moulin.test"}}])
    assert caught.value.status == 504 and client.calls[f"POST {CREATE}"] == 3


# =============================================================================== budgets, counts
def test_daily_guard_stops_before_the_reserve(make_client: Any, emulator: EmulatorHandle) -> None:
    emulator.admin.set_limits(daily=30)
    client = make_client(daily_reserve=5)
    with pytest.raises(DailyBudgetExhausted) as caught:
        for _ in range(100):
            client.objects.batch_read("contacts", ["1"], None, ["email"])
    error = caught.value
    assert (error.remaining, error.reserve, error.daily_limit) == (5, 5, 30)
    assert str(error) == (
        "HubSpot daily API budget nearly exhausted: 5 calls remain of 30 today, at or below "
        "the reserve of 5 kept for the portal's other integrations. Stopping cleanly now; "
        "the next run will continue where this one left off."
    )
    assert sum(client.calls.values()) == 25 == sum(emulator_counts(emulator).values())
    assert count_status(emulator, 429) == 0


def test_daily_limit_already_spent_raises_budget_exhausted(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    emulator.admin.set_limits(daily=2)
    make_client().pipelines.list("deals")
    make_client().pipelines.list("deals")
    client = make_client()  # knows nothing yet: its first call meets HubSpot's DAILY 429
    with pytest.raises(DailyBudgetExhausted, match="0 calls remain of 2"):
        client.properties.list("contacts")
    assert client.transport.stats.rate_limited == 1 and client.transport.stats.retries == 0


def test_call_counts_match_the_emulator(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="status", status=503, count=1, method="POST", route=UPSERT)
    ids = [r.id for r in client.objects.batch_upsert("contacts", contacts(3), "email").results]
    client.objects.batch_read("contacts", ids, None, ["email"])
    client.objects.batch_update("contacts", [{"id": ids[0], "properties": {"lastname": "X"}}])
    client.objects.get("contacts", ids[1], ["email"])
    client.objects.get("contacts", "123456789", ["email"])
    list(client.objects.search("contacts", [], ["email"]))
    client.properties.list("companies")
    client.pipelines.list("tickets")
    client.associations.read("contacts", "companies", ids)
    client.objects.batch_archive("contacts", ids[2:])
    snapshot = client.snapshot()
    assert by_template(client.calls) == emulator_counts(emulator)
    assert snapshot["calls_by_endpoint"]["POST /crm/v3/objects/contacts/batch/upsert"] == 2
    assert snapshot["calls_by_endpoint"]["GET /crm/v3/objects/contacts/{objectId}"] == 2
    assert snapshot["api_calls"] == 11 and snapshot["retries"] == 1
    # Writes: 2 upsert attempts, update, archive; search and batch/read are reads.
    assert (snapshot["write_calls"], snapshot["read_calls"]) == (4, 7)
    assert snapshot["daily_remaining"] == 625_000 - 10  # the 503 fault spent no budget


def test_wrong_token_is_a_clear_401(emulator: EmulatorHandle) -> None:
    client = HubSpotClient(emulator.base_url, TOKEN)
    with pytest.raises(HubSpotApiError) as caught:
        client.properties.list("contacts")
    assert caught.value.status == 401 and client.transport.stats.retries == 0
    assert "check HUBSPOT_ACCESS_TOKEN" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_resource_client_works_against_the_emulator(emulator: EmulatorHandle) -> None:
    resource = HubSpot(base_url=emulator.base_url, access_token=emulator.token, tier="enterprise")
    with contextlib.closing(resource.client()) as client:
        assert client.objects.batch_upsert("contacts", contacts(1), "email").ok
        assert client.transport.limiter.limit == 190 and client.transport.daily.limit == 625_000


def test_client_is_safe_to_share_between_threads(
    client: HubSpotClient, emulator: EmulatorHandle
) -> None:
    batches = list(batches_of(contacts(400), 50))
    errors: list[BaseException] = []

    def work(batch: list[dict[str, Any]]) -> None:
        try:
            client.objects.batch_upsert("contacts", batch, "email")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(emails(emulator)) == 400
    assert client.calls[f"POST {UPSERT}"] == 8 == client.transport.stats.write_calls
