"""Typeform NPS answers on the HubSpot contact, against both emulators: pulled
incrementally, the latest answer per customer, never a contact created for an answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetKey, AssetSelection

from moulin_sync.defs.typeform.resources import Typeform
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import SyncWorld, new_world, table_text
from moulin_sync.testing.typeform_emulator import (
    FORM_ID,
    TypeformHandle,
    answer,
    nps_form,
    run_typeform_emulator,
)

# The NPS stream with everything upstream of it, and their checks.
NPS_ASSETS = AssetSelection.assets(AssetKey(["hubspot", "contacts.nps"])).upstream()
SOURCE = "typeform/nps_responses"
WRITE = "hubspot/contacts.nps"
STEP = "typeform__nps_responses"
T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def typeform_server() -> Iterator[TypeformHandle]:
    with run_typeform_emulator() as handle:
        yield handle


@pytest.fixture
def typeform(typeform_server: TypeformHandle) -> TypeformHandle:
    typeform_server.reset()
    typeform_server.create_form()
    return typeform_server


@pytest.fixture
def world(hubspot: EmulatorHandle, typeform: TypeformHandle, tmp_path: Path) -> SyncWorld:
    made = new_world(tmp_path, hubspot, customers=120, companies=4, orders=300, dirty_rate=0)
    made.sources = ("app_du_moulin", "typeform")
    made.extra = {
        "typeform": Typeform(token=typeform.token, form_id=FORM_ID, base_url=typeform.base_url)
    }
    return made


def _customers(world: SyncWorld, n: int) -> list[tuple[int, str]]:
    return world.sql(
        "SELECT id, lower(trim(email)) FROM customers WHERE deleted_at IS NULL "
        "AND anonymized_at IS NULL ORDER BY id LIMIT ?",
        (n,),
    )


def _nps(world: SyncWorld) -> dict[str, dict]:
    """{customer id: its contact's NPS properties}, of the contacts that have some."""
    return {
        o["properties"]["moulin_customer_id"]: {
            k: v for k, v in o["properties"].items() if k.startswith("nps_")
        }
        for o in world.objects("contacts")
        if o["properties"].get("moulin_customer_id") and o["properties"].get("nps_score")
    }


def _run(world: SyncWorld, **kwargs) -> dict[str, dict]:
    return world.run(NPS_ASSETS, **kwargs)


def test_first_pull_writes_each_customers_answer_on_their_contact(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    (a, email_a), (b, _), (c, email_c) = _customers(world, 3)
    contacts_before = len(world.objects("contacts"))
    typeform.submit(
        [
            answer("r1", T0, score=10, comment="Le pain est parfait.\nMerci !", email=email_a),
            answer("r2", T0 + dt.timedelta(hours=1), score=3, customer_id=str(b)),
            answer("r3", T0 + dt.timedelta(hours=2), score=8, email=email_c.upper()),
            answer("r4", T0 + dt.timedelta(hours=3), score=9, email="personne@inconnu.fr"),
            answer("r6", T0 + dt.timedelta(hours=5), score=12, email=email_c),
            answer("r7", T0 + dt.timedelta(hours=6), score=5, email="pas-un-email"),
            answer("r5", T0 + dt.timedelta(hours=4), email=email_a, comment="sans note"),
        ]
    )

    meta = _run(world)

    nps = _nps(world)
    assert nps[str(a)] == {
        "nps_score": "10",
        "nps_comment": "Le pain est parfait.\nMerci !",
        "nps_submitted_at": "2026-10-01T09:00:00.000Z",
        "nps_category": "promoter",
    }
    assert nps[str(b)]["nps_category"] == "detractor", "matched by the hidden customer_id"
    assert nps[str(c)]["nps_score"] == "8", "matched by the hidden email, case aside"
    assert len(nps) == 3
    # The stranger's answer creates no contact; the check shows it.
    assert len(world.objects("contacts")) == contacts_before + meta["hubspot/contacts"]["created"]
    assert not any(
        o["properties"].get("email") == "personne@inconnu.fr" for o in world.objects("contacts")
    )
    check = meta[f"check:{SOURCE}:nps_answers_have_a_customer"]
    assert not check["passed"] and check["unmatched"] == 2
    found = table_text(check["examples"])
    assert "personne@inconnu.fr" in found and "no live customer has this email" in found
    assert "the hidden email is not an email" in found
    # An answer without a score is reported with its reason; the customer's scored one wins.
    with world.state() as state:
        rejected = dict(
            state.load("contacts.nps").filter(pl.col("status") == "rejected")
            .select("source_key", "last_error").iter_rows()
        )  # fmt: skip
    assert "no answer to the score question (ref nps)" in rejected["r5"]
    assert rejected["r6"] == "score 12 is outside 0–10", "a score out of range is reported"
    assert nps[str(c)]["nps_score"] == "8", "and the earlier valid answer stays"
    source = meta[SOURCE]
    assert (source["matched"], source["unmatched"], source["answers"]) == (5, 2, 7)
    assert source["nps"] == pytest.approx(0.0)  # 1 promoter, 1 passive, 1 detractor
    assert "2026-10" in table_text(source["nps_by_month"])
    written = meta[WRITE]
    assert written["updated"] == 3 and written["created"] == 0


def test_a_nothing_new_pull_is_one_request_and_writes_nothing(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    (_a, email_a), *_ = _customers(world, 1)
    typeform.submit([answer("r1", T0, score=9, email=email_a)])
    _run(world)
    typeform.admin.reset_stats()
    world.hubspot.admin.reset_stats()

    meta = _run(world)

    assert typeform.requests() == 1, "a pull with nothing new costs one request"
    assert meta[WRITE]["write_calls"] == 0 and meta[WRITE]["unchanged"] == 1
    assert meta[SOURCE]["new_answers"] == 0


def test_the_latest_answer_wins_and_a_late_older_one_changes_nothing(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    (a, email_a), *_ = _customers(world, 1)
    typeform.submit([answer("r1", T0, score=6, email=email_a, comment="Bof")])
    _run(world)
    later = T0 + dt.timedelta(days=20)
    typeform.submit([answer("r2", later, score=9, email=email_a)])
    _run(world)
    assert _nps(world)[str(a)]["nps_score"] == "9"
    assert _nps(world)[str(a)]["nps_category"] == "promoter"
    assert not _nps(world)[str(a)].get("nps_comment"), "the new answer has no comment"

    # Submitted before r2 but listed only now (Typeform lists answers late): pulled
    # through the look-back window, and it does not win.
    typeform.submit([answer("r0", later - dt.timedelta(hours=2), score=2, email=email_a)])
    meta = _run(world)
    assert meta[SOURCE]["new_answers"] == 1
    assert _nps(world)[str(a)]["nps_score"] == "9"
    assert meta[WRITE]["write_calls"] == 0


def test_an_answer_waits_for_its_contact_and_never_makes_one(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    (a, email_a), *_ = _customers(world, 1)
    world.sql("UPDATE customers SET first_name = ? WHERE id = ?", ("X" * 70_000, a))
    typeform.submit([answer("r1", T0, score=7, email=email_a)])

    meta = _run(world)

    assert str(a) not in _nps(world)
    assert meta[WRITE]["waiting"] == 1
    assert f"contact {a}" in table_text(meta[WRITE]["waiting_for"])
    world.sql("UPDATE customers SET first_name = 'Ana' WHERE id = ?", (a,))
    _run(world)
    assert _nps(world)[str(a)]["nps_score"] == "7", "written once its contact landed"


def test_the_1000_answers_page_boundary(world: SyncWorld, typeform: TypeformHandle) -> None:
    (a, email_a), *_ = _customers(world, 1)
    many = [
        answer(f"p{i:04d}", T0 + dt.timedelta(hours=i), score=i % 11, email=f"x{i}@ailleurs.fr")
        for i in range(1000)
    ]
    typeform.submit(many)
    typeform.admin.reset_stats()
    meta = _run(world)
    assert typeform.requests() == 2, "1,000 answers: a full page, then an empty one"
    assert meta[SOURCE]["answers"] == 1000
    typeform.submit([answer("p1000", T0 + dt.timedelta(hours=1000), score=10, email=email_a)])
    typeform.admin.reset_stats()
    meta = _run(world)
    assert meta[SOURCE]["answers"] == 1001
    assert typeform.requests() == 1, "since the last pull's newest answer: one page"
    assert _nps(world)[str(a)]["nps_score"] == "10"


def test_a_429_storm_at_two_requests_a_second_loses_nothing(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    typeform.reset(rate=2, burst=2)
    typeform.create_form()
    typeform.submit(
        [
            answer(f"s{i:04d}", T0 + dt.timedelta(minutes=i), score=8, email=f"s{i}@x.fr")
            for i in range(4_500)
        ]
    )
    typeform.admin.add_fault(kind="status", status=429, count=3, method="GET", route="/forms/")
    meta = _run(world)
    assert meta[SOURCE]["answers"] == 4_500
    rate_limited = sum(r["count"] for r in typeform.admin.stats() if r["status"] == 429)
    assert rate_limited == 3, "only the injected 429s: the client keeps to 2 requests/s"


def test_a_fault_mid_paging_then_a_rerun_loses_nothing_and_doubles_nothing(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    people = _customers(world, 30)
    typeform.submit(
        [
            answer(f"f{i:04d}", T0 + dt.timedelta(minutes=i), score=i % 11, email=people[i % 30][1])
            for i in range(2_500)
        ]
    )
    # The third listing request fails, whatever the client's retries.
    typeform.admin.add_fault(
        kind="status", status=503, count=20, method="GET", route=f"/forms/{FORM_ID}/responses",
        skip=2,
    )  # fmt: skip
    failed = world.run(NPS_ASSETS, expect_success=False)
    assert SOURCE not in failed, "a failed pull keeps nothing of itself"
    assert not _nps(world)
    typeform.admin.clear_faults()

    meta = _run(world)

    assert meta[SOURCE]["answers"] == 2_500
    nps = _nps(world)
    assert len(nps) == 30
    latest = {people[i % 30][0]: i % 11 for i in range(2_500)}  # the last one per customer
    assert {int(k): int(v["nps_score"]) for k, v in nps.items()} == latest


def test_a_form_whose_questions_changed_is_named_in_one_line(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    typeform.create_form(form=nps_form(score_ref="note_sur_10"))
    result = world.run(NPS_ASSETS, expect_success=False)
    assert "hubspot/contacts" in result, "the other streams go on"
    failure = world.failures[STEP]
    assert failure.startswith(
        "TYPEFORM_NPS_FIELD_REF: form NpsMoulin has no question with ref 'nps'"
    )
    assert "note_sur_10" in failure and "\n" not in failure


def test_a_wrong_token_is_named_in_one_line(world: SyncWorld, typeform: TypeformHandle) -> None:
    world.extra = {"typeform": Typeform(token="wrong", form_id=FORM_ID, base_url=typeform.base_url)}
    world.run(NPS_ASSETS, expect_success=False)
    failure = world.failures[STEP]
    assert failure.startswith("TYPEFORM_TOKEN: Typeform at ") and "refused the token" in failure


def test_an_erased_customer_gets_no_nps_and_their_answers_are_not_kept(
    world: SyncWorld, typeform: TypeformHandle
) -> None:
    (a, email_a), (b, email_b) = _customers(world, 2)
    typeform.submit(
        [answer("e1", T0, score=9, email=email_a), answer("e2", T0, score=5, email=email_b)]
    )
    world.sql("UPDATE customers SET deleted_at = '2026-11-20 10:00:00' WHERE id = ?", (a,))
    _run(world)
    assert str(a) not in _nps(world) and str(b) in _nps(world)
    kept = pl.read_parquet(Path(world.data_dir, "typeform", "nps_responses", "all.parquet"))
    assert "e1" not in kept["token"].to_list() and "e2" in kept["token"].to_list()
    payloads = Path(world.data_dir, "hubspot_payloads", "contacts.nps")
    for path in payloads.rglob("*.parquet"):
        assert str(a) not in pl.read_parquet(path)["source_key"].to_list(), path
