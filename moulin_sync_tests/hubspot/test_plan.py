"""plan_sync: what to create, update, leave, archive — from payloads and state alone."""

import polars as pl

from moulin_sync.hubspot.plan import plan_sync
from moulin_sync.hubspot.state import STATE_SCHEMA
from moulin_sync.hubspot.transforms import Payloads


def payloads(rows: list[tuple[str, str, str | None]], erased: list[str] = ()) -> Payloads:
    records = pl.DataFrame(
        rows,
        schema={"source_key": pl.String, "payload_hash": pl.String, "company_key": pl.String},
        orient="row",
    )
    return Payloads(
        records=records,
        quarantine=pl.DataFrame({"source_key": ["q"], "reason": ["missing email"]}),
        erased=pl.DataFrame({"source_key": list(erased)}, schema={"source_key": pl.String}),
    )


def state(rows: list[tuple]) -> pl.DataFrame:
    full = [(*row, *([None] * (len(STATE_SCHEMA) - len(row)))) for row in rows]
    return pl.DataFrame(full, schema=STATE_SCHEMA, orient="row")


def keys(frame: pl.DataFrame) -> list[str]:
    return sorted(frame["source_key"].to_list())


def test_new_changed_unchanged_and_failed_records() -> None:
    plan = plan_sync(
        "contacts",
        payloads([("1", "h1", None), ("2", "h2", None), ("3", "h3-new", None), ("4", "h4", None)]),
        state(
            [
                ("2", "102", "h2", None, "synced"),
                ("3", "103", "h3", None, "synced"),
                ("4", "104", "h4", None, "rejected", "HubSpot refused it"),
            ]
        ),
    )
    assert keys(plan.create) == ["1"]
    assert keys(plan.update) == ["3", "4"]  # changed, and failed last time: retried
    assert keys(plan.unchanged) == ["2"]
    assert keys(plan.rejected) == ["q"]
    assert plan.update.filter(pl.col("source_key") == "3")["hubspot_id"].item() == "103"


def test_erased_records_are_archived_once_and_only_if_in_hubspot() -> None:
    plan = plan_sync(
        "contacts",
        payloads([], erased=["5", "6", "7"]),
        state([("5", "105", "h", None, "synced"), ("6", "106", None, None, "archived")]),
    )
    assert plan.archive.rows() == [("5", "105")]
    kept = plan_sync(
        "contacts",
        payloads([], erased=["5"]),
        state([("5", "105", "h", None, "synced")]),
        archive_erased=False,
    )
    assert kept.archive.is_empty()


def test_a_link_target_appearing_or_moving_makes_an_update() -> None:
    base = payloads([("1", "h1", "77"), ("2", "h2", "88")])
    first = plan_sync(
        "contacts",
        base,
        state([]),
        links={"company_key": {"77": "9001"}},
        required_links=("company_key",),
    )
    assert keys(first.create) == ["1"]
    assert keys(first.waiting) == ["2"], "its company is not in HubSpot yet"
    accepted = dict(first.create.select("source_key", "payload_hash").iter_rows())
    same = plan_sync(
        "contacts",
        base,
        state([("1", "101", accepted["1"], None, "synced")]),
        links={"company_key": {"77": "9001"}},
    )
    assert keys(same.unchanged) == ["1"]
    moved = plan_sync(
        "contacts",
        base,
        state([("1", "101", accepted["1"], None, "synced")]),
        links={"company_key": {"77": "9002"}},
    )
    assert keys(moved.update) == ["1"], "same properties, new company: re-sent"


def test_records_merged_by_a_person_are_left_alone() -> None:
    plan = plan_sync(
        "contacts",
        payloads([("6", "h-new", None)]),
        state([("6", None, "h", None, "merged", "merged into 105")]),
    )
    assert plan.create.is_empty() and plan.update.is_empty()
    assert keys(plan.merged) == ["6"]


def test_quarantine_already_recorded_for_the_same_reason_is_not_rewritten() -> None:
    quarantine = pl.DataFrame(
        {"source_key": ["q1", "q2", "q3"], "reason": ["missing email", "missing email", "bad"]}
    )
    plan = plan_sync(
        "contacts",
        Payloads(
            records=payloads([]).records,
            quarantine=quarantine,
            erased=pl.DataFrame(schema={"source_key": pl.String}),
        ),
        state(
            [
                ("q1", None, None, None, "rejected", "missing email"),  # same reason
                ("q2", None, None, None, "rejected", "invalid email syntax"),  # reason changed
            ]
        ),
    )
    recorded = dict(plan.rejected.select("source_key", "recorded").iter_rows())
    assert recorded == {"q1": True, "q2": False, "q3": False}
