"""`GET /forms/{form_id}/responses`: each filter, the order, page_size, and the 400 of a
wrong parameter."""

from __future__ import annotations

import httpx
import pytest

from moulin_sync.testing.emulator import EmulatorProcess

from .helpers import T0, error, item, listing, post_items, tokens


def test_since_and_until_are_inclusive_to_the_second_in_epoch_or_iso(
    api: httpx.Client, form: str
) -> None:
    post_items(api, [item(n, at=T0 + n) for n in range(1, 6)])  # one a second
    assert tokens(listing(api, since=T0 + 2, until=T0 + 4)) == ["tok-00004", "tok-00003",
                                                                "tok-00002"]  # fmt: skip
    for since in ("2026-01-01T00:00:02", "2026-01-01T00:00:02Z", "2026-01-01T01:00:02+01:00",
                  "2026-01-01T00:00:02.900Z"):  # fmt: skip
        assert listing(api, since=since)["total_items"] == 4, since
    assert listing(api, until="2026-01-01T00:00:01Z")["total_items"] == 1


def test_newest_first_by_default_else_as_sorted(api: httpx.Client, form: str) -> None:
    post_items(
        api,
        [item(2, score=3), item(1, score=10), item(3, score=8, landed_at="2025-12-31T00:00:00Z")],
    )
    assert tokens(listing(api)) == ["tok-00003", "tok-00002", "tok-00001"]
    assert tokens(listing(api, sort="submitted_at,asc")) == ["tok-00001", "tok-00002", "tok-00003"]
    assert tokens(listing(api, sort="landed_at,asc")) == ["tok-00003", "tok-00001", "tok-00002"]
    nps = next(f["id"] for f in api.get(f"/forms/{form}").json()["fields"] if f["ref"] == "nps")
    assert tokens(listing(api, sort=f"{nps},desc")) == ["tok-00001", "tok-00003", "tok-00002"]
    assert tokens(listing(api, sort="")) == ["tok-00003", "tok-00002", "tok-00001"]


def test_page_size_defaults_to_25_and_goes_to_1000(api: httpx.Client, form: str) -> None:
    post_items(api, [item(n) for n in range(30)])
    page = listing(api)
    assert (len(page["items"]), page["total_items"], page["page_count"]) == (25, 30, 2)
    page = listing(api, page_size=7)
    assert (len(page["items"]), page["page_count"]) == (7, 5)
    assert len(listing(api, page_size=1000)["items"]) == 30


def test_completed_and_response_type(api: httpx.Client, form: str) -> None:
    post_items(api, [
        item(1),
        {"token": "partial-1", "response_type": "partial", "landed_at": "2026-01-01T00:05:00Z",
         "answers": [{"field": {"ref": "nps"}, "type": "number", "number": 2}]},
        {"token": "started-1", "response_type": "started", "landed_at": "2026-01-01T00:06:00Z"},
    ])  # fmt: skip
    assert tokens(listing(api)) == ["tok-00001"]  # completed ones unless asked
    assert tokens(listing(api, completed="true")) == ["tok-00001"]
    assert tokens(listing(api, completed="false")) == ["started-1", "partial-1"]
    assert tokens(listing(api, response_type="partial,completed")) == ["partial-1", "tok-00001"]
    partial = listing(api, response_type="partial")["items"][0]
    assert partial["response_type"] == "partial" and "submitted_at" not in partial


def test_query_matches_answers_hidden_fields_and_variables_only(
    api: httpx.Client, form: str
) -> None:
    post_items(api, [
        item(1, comment="Le pain au levain est parfait", email="ana@moulin.fr"),
        item(2, email="bruno@example.fr", hidden={"email": "bruno@example.fr", "customer_id": "4242"}),
        item(3, variables=[{"key": "segment", "type": "text", "text": "Boulangerie"}]),
        item(4, metadata={"user_agent": "LEVAIN-bot", "platform": "other", "referer": "",
                          "network_id": "", "browser": "default"}),
    ])  # fmt: skip
    assert tokens(listing(api, query="LEVAIN")) == ["tok-00001"]  # case aside; not metadata
    assert tokens(listing(api, query="ana@moulin.fr")) == ["tok-00001"]
    assert tokens(listing(api, query="4242")) == ["tok-00002"]
    assert tokens(listing(api, query="boulangerie")) == ["tok-00003"]
    assert listing(api, query="nobody@nowhere")["total_items"] == 0


def test_included_and_excluded_response_ids(api: httpx.Client, form: str) -> None:
    post_items(api, [item(n) for n in range(1, 5)])
    assert tokens(listing(api, included_response_ids="tok-00001,tok-00003")) == ["tok-00003",
                                                                               "tok-00001"]  # fmt: skip
    assert tokens(listing(api, excluded_response_ids="tok-00004,tok-00002")) == ["tok-00003",
                                                                               "tok-00001"]  # fmt: skip


def test_fields_limits_the_answers_answered_fields_the_responses(
    api: httpx.Client, form: str
) -> None:
    ids = {f["ref"]: f["id"] for f in api.get(f"/forms/{form}").json()["fields"]}
    post_items(api, [item(1, comment="Bon"), item(2, score=None, comment="Sans note")])
    only_nps = listing(api, fields=ids["nps"])["items"]
    assert [[a["field"]["ref"] for a in i["answers"]] for i in only_nps] == [[], ["nps"]]
    assert tokens(listing(api, answered_fields=ids["nps"])) == ["tok-00001"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-01-01"}, "until"),
        ({"sort": "submitted_at"}, "sort"),
        ({"sort": "score,desc"}, "sort"),
        ({"sort": "submitted_at,asc", "after": "tok-00001"}, "sort"),
        ({"after": "no-such-token"}, "after"),
        ({"before": "no-such-token"}, "before"),
        ({"completed": "yes"}, "completed"),
        ({"response_type": "finished"}, "response_type"),
    ],
)
def test_a_wrong_parameter_is_typeforms_400_naming_it(
    tf: EmulatorProcess, api: httpx.Client, form: str, params: dict[str, str], field: str
) -> None:
    post_items(api, [item(1)])
    before = tf.admin.state()
    body = error(api.get(f"/forms/{form}/responses", params=params), 400)
    assert body["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in body["details"]] == [field]
    assert body["details"][0]["in"] == "query"
    assert tf.admin.state() == before


def test_unknown_parameters_are_ignored(api: httpx.Client, form: str) -> None:
    post_items(api, [item(1)])
    assert listing(api, page=3, utm_source="x")["total_items"] == 1
