"""Whatever shape a request has, the Typeform emulator answers a Typeform error or a
success, never a 500 nor the toolkit's catch-all for its own bugs, and a refused request
changes nothing (random requests)."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moulin_sync.testing.emulator import EmulatorProcess

from .helpers import FORM_ID, item, post_items

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip
# Items near the right shape: a real item with one key replaced by anything.
ITEM_KEYS = ("token", "response_id", "landed_at", "submitted_at", "hidden", "answers",
             "metadata", "calculated", "variables", "response_type", "other")  # fmt: skip
NEAR_ITEMS = st.builds(lambda key, value: {**item(1), key: value}, st.sampled_from(ITEM_KEYS), JSON)
ANSWERS = st.builds(lambda answer: item(2, score=None, answers=[answer]), JSON)
PARAMS = ("page_size", "since", "until", "after", "before", "sort", "completed",
          "response_type", "query", "included_response_ids", "fields", "answered_fields")  # fmt: skip
QUERIES = st.dictionaries(st.sampled_from(PARAMS), st.text(max_size=12), max_size=4)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def refused_unchanged(tf: EmulatorProcess, answer: httpx.Response, before: Any) -> None:
    assert answer.status_code < 500, answer.text
    body = answer.json()
    if answer.status_code >= 400:
        assert set(body) == {"code", "description", "details"}
        assert "emulator could not process" not in body["description"], body  # not a bug
        assert tf.admin.state() == before


@FUZZ
@given(body=st.one_of(JSON, st.builds(lambda i: {"items": [i]}, NEAR_ITEMS | ANSWERS | JSON)))
def test_posted_responses(tf: EmulatorProcess, api: httpx.Client, form: str, body: Any) -> None:
    api.delete(f"/_emulator/forms/{FORM_ID}/responses")
    before = tf.admin.state()
    answer = api.post(f"/_emulator/forms/{FORM_ID}/responses", json=body)
    refused_unchanged(tf, answer, before)


@FUZZ
@given(body=st.one_of(JSON, st.builds(lambda f: {"fields": [f]}, JSON)))
def test_posted_forms(tf: EmulatorProcess, api: httpx.Client, form: str, body: Any) -> None:
    before = tf.admin.state()
    answer = api.post(f"/_emulator/forms/{FORM_ID}", json=body)
    if answer.status_code < 300:
        api.post(f"/_emulator/forms/{FORM_ID}", json={"fields": []}).raise_for_status()
    else:
        refused_unchanged(tf, answer, before)


@FUZZ
@given(params=QUERIES)
def test_listing_parameters(
    tf: EmulatorProcess, api: httpx.Client, form: str, params: dict[str, str]
) -> None:
    if not api.get(f"/forms/{FORM_ID}/responses").json()["total_items"]:
        post_items(api, [item(1), item(2)])
    before = tf.admin.state()
    answer = api.get(f"/forms/{FORM_ID}/responses", params=params)
    refused_unchanged(tf, answer, before)
    if answer.status_code == 200:
        assert tf.admin.state() == before


def test_nan_and_infinity_are_refused(tf: EmulatorProcess, api: httpx.Client, form: str) -> None:
    """Python's JSON parser takes them; stored, they would make answers no client parses."""
    before = tf.admin.state()
    for body in (
        b'{"items": [{"metadata": {"x": NaN}}]}',
        b'{"fields": [], "settings": {"a": -Infinity}}',
    ):
        path = f"/_emulator/forms/{FORM_ID}" + ("/responses" if b"items" in body else "")
        answer = api.post(path, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and "NaN" in answer.json()["details"][0]["description"]
    assert tf.admin.state() == before
