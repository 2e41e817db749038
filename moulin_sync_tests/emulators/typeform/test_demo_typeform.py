"""`fill_typeform`: the demo NPS form and answers consistent with a demo App du Moulin —
counts, each peculiarity, deterministic per seed."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from moulin_sync.demo_data import generate
from moulin_sync.demo_data.typeform import TypeformDemoError, fill_typeform, read_customers
from moulin_sync.demo_data.typeform_plan import (
    DAY,
    NEWEST,
    ONBOARDING_DAYS,
    SURVEY_DAYS,
    Customer,
    plan_answers,
)
from moulin_sync.emulators.typeform.timestamps import parse_iso
from moulin_sync.testing.emulator import EmulatorProcess

from .helpers import TOKEN

NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
FORM = "MoulinNPS"


@pytest.fixture(scope="module")
def source(tmp_path_factory: Any) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('typeform-demo') / 'moulin.db'}"
    generate(url, customers=300, companies=5, orders=600, seed=7, dirty_rate=0.05,
             today=NOW.date())  # fmt: skip
    return url


def fill(tf: EmulatorProcess, source: str, **options: Any) -> Any:
    return fill_typeform(tf.base_url, TOKEN, FORM, source, **{"seed": 3, "now": NOW, **options})


def everything(api: httpx.Client) -> list[dict[str, Any]]:
    """Every response, newest first, paged as Typeform's SDK pages."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"page_size": 1000}
    while True:
        page = api.get(f"/forms/{FORM}/responses", params=params).json()["items"]
        items += page
        if len(page) < 1000:
            return items
        params["before"] = page[-1]["response_id"]


def score(item: dict[str, Any]) -> int | None:
    return next((a["number"] for a in item["answers"] if a["type"] == "number"), None)


def test_the_nps_form(tf: EmulatorProcess, api: httpx.Client, source: str) -> None:
    fill(tf, source)
    form = api.get(f"/forms/{FORM}").json()
    assert [(f["ref"], f["type"]) for f in form["fields"]] == [("nps", "opinion_scale"),
                                                               ("comment", "long_text")]  # fmt: skip
    assert form["hidden"] == ["email", "customer_id"]


def test_a_third_of_the_customers_answer_with_realistic_scores(
    tf: EmulatorProcess, api: httpx.Client, source: str
) -> None:
    summary = fill(tf, source)
    customers = read_customers(source)
    items = everything(api)
    assert len(items) == summary.responses == round(len(customers) / 3)
    scores = Counter(score(i) for i in items if score(i) is not None)
    assert set(scores) <= set(range(11)) and len(scores) >= 8
    promoters = scores[9] + scores[10]
    passives = scores[7] + scores[8]
    detractors = sum(scores[s] for s in range(7))
    assert promoters > detractors > 0
    assert 0.2 <= passives / sum(scores.values()) <= 0.4
    assert (summary.promoters, summary.passives, summary.detractors) == (promoters, passives,
                                                                         detractors)  # fmt: skip
    assert 10 <= summary.nps <= 50
    assert len(fill(tf, source, responses=40) and everything(api)) == 40


def test_each_peculiarity_is_there(tf: EmulatorProcess, api: httpx.Client, source: str) -> None:
    summary = fill(tf, source)
    customers = {c.id: c for c in read_customers(source)}
    by_email = {c.email: c for c in customers.values() if c.email}
    items = everything(api)
    hidden = [i["hidden"] for i in items]
    unknown = [h for h in hidden if "email" in h and h["email"] not in by_email]
    by_id = [h for h in hidden if "customer_id" in h]
    assert len(unknown) == summary.unknown_emails >= 1
    assert len(by_id) == summary.by_customer_id >= 1
    assert all(int(h["customer_id"]) in customers for h in by_id)
    assert all(set(h) in ({"email"}, {"customer_id"}) for h in hidden)
    # A second answer of a customer comes through the same link (the same hidden field);
    # a demo email shared by two customers can add a third.
    repeated = Counter(tuple(h.items()) for h in hidden)
    assert sum(n - 1 for n in repeated.values()) >= summary.answered_twice >= 1
    no_score = [i for i in items if score(i) is None]
    assert len(no_score) == 1 and no_score[0]["answers"][0]["field"]["ref"] == "comment"
    old = [a["field"] for i in items for a in i["answers"]
           if a["type"] == "number" and a["field"]["ref"] != "nps"]  # fmt: skip
    assert len(old) == 1 and old[0]["type"] == "opinion_scale"
    comments = [a["text"] for i in items for a in i["answers"] if a["type"] == "text"]
    assert max(map(len, comments)) == 10_000
    assert len(items) - len(comments) == summary.without_comment >= len(items) // 5
    assert sum(len(c) < 80 for c in comments) > sum(len(c) > 300 for c in comments) > 1


def test_answers_come_after_the_account_in_the_last_months(
    tf: EmulatorProcess, api: httpx.Client, source: str
) -> None:
    fill(tf, source)
    customers = {c.id: c for c in read_customers(source)}
    by_email = {c.email: c for c in customers.values() if c.email}
    now = int(NOW.timestamp())
    launch = now - SURVEY_DAYS * DAY
    onboarding = 0
    for item in items_of_customers(everything(api), customers, by_email):
        customer, at = item
        assert customer.created < at <= now - NEWEST
        assert at >= launch - DAY
        if customer.created >= launch:
            onboarding += 1
            assert ONBOARDING_DAYS[0] * DAY <= at - customer.created  # second answers: later
    assert onboarding >= 10


def items_of_customers(items: list[dict[str, Any]], customers: dict[int, Any],
                       by_email: dict[str, Any]) -> list[tuple[Any, int]]:  # fmt: skip
    found = []
    for item in items:
        hidden = item["hidden"]
        customer = (customers.get(int(hidden["customer_id"])) if "customer_id" in hidden
                    else by_email.get(hidden["email"]))  # fmt: skip
        if customer is not None:
            found.append((customer, parse_iso(item["submitted_at"])))
    return found


def test_deterministic_for_a_seed(tf: EmulatorProcess, api: httpx.Client, source: str) -> None:
    fill(tf, source)
    first = everything(api)
    fill(tf, source)  # replaces the form's responses
    assert everything(api) == first
    fill(tf, source, seed=4)
    other = everything(api)
    assert {i["token"] for i in other}.isdisjoint({i["token"] for i in first})


def test_with_the_real_clock_everything_is_listed_despite_typeforms_delay(
    tf: EmulatorProcess, api: httpx.Client, source: str
) -> None:
    api.post("/_emulator/settings", json={"listing_delay": 1800}).raise_for_status()
    now = datetime.now(UTC)
    summary = fill(tf, source, now=now)
    assert api.get(f"/forms/{FORM}/responses").json()["total_items"] == summary.responses
    assert parse_iso(summary.last_submitted_at) <= (now - timedelta(hours=1)).timestamp()


def test_errors_say_what_to_fix(tf: EmulatorProcess, source: str, tmp_path: Path) -> None:
    with pytest.raises(TypeformDemoError, match="refused the token"):
        fill_typeform(tf.base_url, "wrong", FORM, source, seed=1, now=NOW)
    with pytest.raises(TypeformDemoError, match="cannot reach the Typeform emulator"):
        fill_typeform("http://127.0.0.1:9", TOKEN, FORM, source, seed=1, now=NOW)
    with pytest.raises(TypeformDemoError, match="no SQLite database"):
        fill_typeform(tf.base_url, TOKEN, FORM, f"sqlite:///{tmp_path}/none.db", seed=1, now=NOW)
    with pytest.raises(TypeformDemoError, match="at least 6 responses"):
        fill(tf, source, responses=3)
    assert not (tmp_path / "none.db").exists()  # the source is only read


def test_the_plan_second_answers_and_customers_without_a_usable_email() -> None:
    now = int(NOW.timestamp())
    customers = [
        Customer(i, None if i % 10 == 0 else "pas-un-email" if i % 10 == 1 else f"c{i}@ex.fr",
                 now - (400 - i) * DAY)
        for i in range(1, 301)
    ]  # fmt: skip
    answers = plan_answers(customers, 100, random.Random(5), now)
    assert answers == plan_answers(customers, 100, random.Random(5), now)
    firsts = {a.customer: a for a in answers if not a.second and a.customer is not None}
    seconds = [a for a in answers if a.second]
    assert len(seconds) == 5
    for second in seconds:  # the same customer, through the same link, later
        first = firsts[second.customer]
        assert (second.hidden, second.at > first.at) == (first.hidden, True)
    for answer in firsts.values():
        if answer.customer % 10 in (0, 1):
            assert answer.hidden == {"customer_id": str(answer.customer)}
