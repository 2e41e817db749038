"""Properties API, validation by type with HubSpot's codes, uniqueness, pipelines and stages."""

from __future__ import annotations

import httpx
import pytest
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.deals import SimplePublicObjectInput as DealInput
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyUpdate,
)

from .helpers import api_error


def _prop(name: str, ptype: str = "string", field: str = "text", **kw) -> PropertyCreate:
    group = kw.pop("group_name", None)
    return PropertyCreate(
        name=name, label=name.title(), type=ptype, field_type=field,
        group_name=group or "contactinformation", **kw,
    )  # fmt: skip


def _create_contact(client, **props):
    return client.crm.contacts.basic_api.create(ContactCreate(properties=props))


def test_default_properties_groups_and_get(client) -> None:
    core = client.crm.properties.core_api
    names = {p.name for p in core.get_all("contacts").results}
    assert {"email", "firstname", "lastname", "phone", "company", "hs_object_id",
            "hs_merged_object_ids", "createdate", "lastmodifieddate"} <= names  # fmt: skip
    deal_names = {p.name for p in core.get_all("deals").results}
    assert {
        "dealname",
        "amount",
        "closedate",
        "pipeline",
        "dealstage",
        "deal_currency_code",
    } <= deal_names
    ticket_names = {p.name for p in core.get_all("tickets").results}
    assert {
        "subject",
        "content",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_priority",
    } <= ticket_names
    assert {"name", "domain"} <= {p.name for p in core.get_all("companies").results}
    email = core.get_by_name("contacts", "email")
    assert email.type == "string" and email.hubspot_defined is True
    status, _ = api_error(core.get_by_name, "contacts", "nope")
    assert status == 404
    groups = client.crm.properties.groups_api.get_all("contacts").results
    assert "contactinformation" in {g.name for g in groups}


def test_create_group_property_batch_and_patch_options(client) -> None:
    client.crm.properties.groups_api.create(
        "deals", PropertyGroupCreate(name="moulin", label="Moulin", display_order=1)
    )
    core = client.crm.properties.core_api
    created = core.create(
        "deals",
        _prop("moulin_channel", "enumeration", "select", group_name="moulin",
              options=[OptionInput(label="Web", value="web", display_order=0, hidden=False)]),
    )  # fmt: skip
    assert created.options[0].value == "web"
    status, body = api_error(core.create, "deals", _prop("moulin_channel", group_name="moulin"))
    assert status == 409
    batch = client.crm.properties.batch_api.create(
        "deals",
        BatchInputPropertyCreate(inputs=[_prop("moulin_a", group_name="moulin"),
                                         _prop("moulin_b", "number", "number", group_name="moulin")]),
    )  # fmt: skip
    assert sorted(p.name for p in batch.results) == ["moulin_a", "moulin_b"]
    deals = client.crm.deals.basic_api
    base = {"dealname": "D", "dealstage": "closedwon"}
    status, body = api_error(
        deals.create, DealCreate(properties={**base, "moulin_channel": "shop"})
    )
    assert status == 400 and body["errors"][0]["code"] == "INVALID_OPTION"
    updated = core.update(
        "deals", "moulin_channel",
        PropertyUpdate(options=[OptionInput(label="Web", value="web", display_order=0, hidden=False),
                                OptionInput(label="Shop", value="shop", display_order=1, hidden=False)]),
    )  # fmt: skip
    assert [o.value for o in updated.options] == ["web", "shop"]
    deal = deals.create(DealCreate(properties={**base, "moulin_channel": "shop"}))
    assert deal.properties["moulin_channel"] == "shop"


def test_property_in_a_missing_group_is_400(client) -> None:
    status, _ = api_error(
        client.crm.properties.core_api.create, "contacts", _prop("x1", group_name="nope")
    )
    assert status == 400


@pytest.mark.parametrize(
    ("ptype", "field", "value", "code"),
    [
        ("number", "number", "12,5", "INVALID_INTEGER"),
        ("number", "number", "1.2.3", "INVALID_INTEGER"),
        ("bool", "booleancheckbox", "yes", "INVALID_BOOLEAN"),
        ("date", "date", "2024-13-45", "INVALID_DATE"),
        ("datetime", "date", "yesterday", "INVALID_DATETIME"),
    ],
)
def test_invalid_values_by_type(client, ptype, field, value, code) -> None:
    client.crm.properties.core_api.create("contacts", _prop("typed", ptype, field))
    status, body = api_error(_create_contact, client, email="t@x.io", typed=value)
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["context"]["propertyName"] == ["typed"]
    assert code in body["message"]  # HubSpot's "Property values were not valid: [...]"


def test_valid_values_are_normalised(client) -> None:
    core = client.crm.properties.core_api
    core.create("contacts", _prop("n", "number", "number"))
    core.create("contacts", _prop("b", "bool", "booleancheckbox"))
    core.create("contacts", _prop("d", "date", "date"))
    core.create("contacts", _prop("dt", "datetime", "date"))
    c = _create_contact(client, email="v@x.io", n="-12.50", b="TRUE", d="1704067200000",
                        dt="2024-01-02T03:04:05+01:00")  # fmt: skip
    assert c.properties["n"] == "-12.50"
    assert c.properties["b"] == "true"
    assert c.properties["d"] == "2024-01-01"
    assert c.properties["dt"] == "2024-01-02T02:04:05.000Z"
    c2 = _create_contact(client, email="v2@x.io", d="2024-02-29", dt="1704164645678")
    assert c2.properties["d"] == "2024-02-29"
    assert c2.properties["dt"] == "2024-01-02T03:04:05.678Z"


def test_date_must_be_midnight_utc(client) -> None:
    client.crm.properties.core_api.create("contacts", _prop("d", "date", "date"))
    status, body = api_error(_create_contact, client, email="d@x.io", d="1645112233600")
    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_DATE"
    assert "is at 15:37:13.600 UTC, not midnight!" in body["errors"][0]["message"]


def test_unknown_property_invalid_email_option_and_length(client) -> None:
    status, body = api_error(_create_contact, client, email="x@x.io", shoe_size="42")
    assert status == 400 and body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    status, body = api_error(_create_contact, client, email="not an email")
    assert status == 400 and body["errors"][0]["code"] == "INVALID_EMAIL"
    status, body = api_error(_create_contact, client, email="x@x.io", lifecyclestage="king")
    assert status == 400 and body["errors"][0]["code"] == "INVALID_OPTION"
    status, body = api_error(_create_contact, client, email="x@x.io", city="x" * 65_537)
    assert status == 400 and body["errors"][0]["code"] == "INVALID_STRING_LENGTH"
    ok = _create_contact(client, email="x@x.io", city="x" * 65_536)
    assert len(ok.properties["city"]) == 65_536


def test_read_only_properties_are_refused(client) -> None:
    status, body = api_error(_create_contact, client, email="r@x.io", hs_object_id="5")
    assert status == 400 and body["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_email_uniqueness_is_case_insensitive_409(client) -> None:
    first = _create_contact(client, email="Uniq@X.io")
    status, body = api_error(_create_contact, client, email="uniq@x.IO")
    assert status == 409
    assert body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {first.id}"


def test_custom_unique_property_409_with_existing_id(client) -> None:
    client.crm.properties.core_api.create(
        "deals", _prop("moulin_order_id", group_name="dealinformation", has_unique_value=True)
    )
    deals = client.crm.deals.basic_api
    base = {"dealname": "D", "dealstage": "qualifiedtobuy"}
    first = deals.create(DealCreate(properties={**base, "moulin_order_id": "o-1"}))
    status, body = api_error(
        deals.create, DealCreate(properties={**base, "moulin_order_id": "o-1"})
    )
    assert status == 409 and f"Existing ID: {first.id}" in body["message"]
    second = deals.create(DealCreate(properties={**base, "moulin_order_id": "o-2"}))
    status, body = api_error(
        deals.update, second.id, DealInput(properties={"moulin_order_id": "o-1"})
    )
    assert status == 409
    deals.update(first.id, DealInput(properties={"moulin_order_id": "o-9"}))
    deals.update(second.id, DealInput(properties={"moulin_order_id": "o-1"}))  # freed: fine


def test_at_most_ten_unique_properties_per_object(client) -> None:
    core = client.crm.properties.core_api
    for i in range(10):
        core.create(
            "companies", _prop(f"u{i}", group_name="companyinformation", has_unique_value=True)
        )
    status, body = api_error(
        core.create,
        "companies",
        _prop("u10", group_name="companyinformation", has_unique_value=True),
    )
    assert status == 400
    assert "10" in body["message"]
    core.create("companies", _prop("not_unique", group_name="companyinformation"))
    c = client.crm.companies.basic_api.create(CompanyCreate(properties={"name": "A", "u0": "k"}))
    status, body = api_error(
        client.crm.companies.basic_api.create, CompanyCreate(properties={"name": "B", "u0": "k"})
    )
    assert status == 409 and c.id in body["message"]


def test_has_unique_value_cannot_change(hs) -> None:
    auth = {"Authorization": f"Bearer {hs.token}"}
    r = httpx.patch(f"{hs.base_url}/crm/v3/properties/contacts/firstname", headers=auth,
                    json={"hasUniqueValue": True})  # fmt: skip
    assert r.status_code == 400


def test_default_pipelines_and_stages(client) -> None:
    deals = client.crm.pipelines.pipelines_api.get_all("deals").results
    default = next(p for p in deals if p.id == "default")
    assert [s.id for s in default.stages] == [
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
        "decisionmakerboughtin", "contractsent", "closedwon", "closedlost",
    ]  # fmt: skip
    tickets = client.crm.pipelines.pipelines_api.get_all("tickets").results
    assert [s.id for s in tickets[0].stages] == ["1", "2", "3", "4"]
    stages = client.crm.pipelines.pipeline_stages_api.get_all("tickets", "0").results
    assert stages[3].label == "Closed"


def test_stage_values_are_validated_on_write(client) -> None:
    deals = client.crm.deals.basic_api
    status, body = api_error(
        deals.create, DealCreate(properties={"dealname": "D", "dealstage": "won"})
    )
    assert status == 400 and body["errors"][0]["code"] == "INVALID_OPTION"
    status, body = api_error(
        deals.create,
        DealCreate(properties={"dealname": "D", "dealstage": "closedwon", "pipeline": "nope"}),
    )
    assert status == 400 and body["errors"][0]["context"]["propertyName"] == ["pipeline"]
    status, body = api_error(deals.create, DealCreate(properties={"dealname": "D"}))
    assert status == 400 and body["errors"][0]["code"] == "REQUIRED_PROPERTY"
    deal = deals.create(DealCreate(properties={"dealname": "D", "dealstage": "closedwon"}))
    status, _ = api_error(deals.update, deal.id, DealInput(properties={"dealstage": "1"}))
    assert status == 400
    status, _ = api_error(
        client.crm.tickets.basic_api.create,
        __import__("hubspot.crm.tickets", fromlist=["x"]).SimplePublicObjectInputForCreate(
            properties={"subject": "S", "hs_pipeline_stage": "closedwon"}
        ),
    )
    assert status == 400


def test_create_a_pipeline_and_use_its_stages(client) -> None:
    from hubspot.crm.pipelines import PipelineInput, PipelineStageInput

    pipeline = client.crm.pipelines.pipelines_api.create(
        "deals",
        PipelineInput(
            label="B2B", display_order=1,
            stages=[PipelineStageInput(label="Quote", display_order=0, metadata={"probability": "0.5"}),
                    PipelineStageInput(label="Won", display_order=1,
                                       metadata={"probability": "1.0", "isClosed": "true"})],
        ),
    )  # fmt: skip
    assert len(pipeline.stages) == 2
    quote = pipeline.stages[0].id
    deals = client.crm.deals.basic_api
    deal = deals.create(
        DealCreate(properties={"dealname": "B", "pipeline": pipeline.id, "dealstage": quote})
    )
    assert deal.properties["pipeline"] == pipeline.id
    # a stage of the B2B pipeline is not valid in the default one
    status, _ = api_error(
        deals.create, DealCreate(properties={"dealname": "B", "dealstage": quote})
    )
    assert status == 400
    assert client.crm.pipelines.pipelines_api.get_by_id("deals", pipeline.id).label == "B2B"


@pytest.mark.parametrize(
    "email",
    [
        "jean+moulin@example.fr",
        "hans@münchen.de",
        "jean@exemple.café",
        "user@email.삼성",
        "o'brien@example.ie",
        "x@xn--mnchen-3ya.de",
    ],
)
def test_unusual_but_valid_emails_are_accepted(client, email: str) -> None:
    # HubSpot: RFC 2822 plus internationalized domains ("user@email.삼성" is valid).
    created = _create_contact(client, email=email)
    assert created.properties["email"] == email.lower()


@pytest.mark.parametrize(
    "email", ["δοκιμή@παράδειγμα.δοκιμή", "a@x_y.fr", "a@-x.fr", "jean@@x.fr", "a@b"]
)
def test_emails_hubspot_refuses(client, email: str) -> None:
    status, body = api_error(_create_contact, client, email=email)
    assert status == 400 and body["errors"][0]["code"] == "INVALID_EMAIL"
