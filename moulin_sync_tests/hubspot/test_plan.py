"""plan_sync: what to create, update, leave, archive — from payloads and state alone."""

from pathlib import Path

import polars as pl

from moulin_sync.hubspot.plan import SyncPlan, plan_sync
from moulin_sync.hubspot.state import STATE_SCHEMA, Accepted, Rejected, SyncState
from moulin_sync.hubspot.transforms import (
    COMPANY_PROPERTIES,
    Payloads,
    blake2b_hex,
    legacy_payload_hashes,
    payload_hashes,
)

QUARANTINE = {"source_key": pl.String, "reason": pl.String}
KEYS = {"source_key": pl.String}


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
        {
            "source_key": ["q1", "q2", "q3", "q4"],
            "reason": ["missing email", "missing email", "bad", "bad"],
            "partition_key": ["2026-01-01", "2026-01-01", None, "2026-02-01"],
        }
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
                ("q1", None, None, None, "rejected", "missing email", "2026-01-01"),  # same
                ("q2", None, None, None, "rejected", "invalid email syntax"),  # reason changed
                ("q4", None, None, None, "rejected", "bad", "2026-01-01"),  # month changed
            ]
        ),
    )
    recorded = dict(plan.rejected.select("source_key", "recorded").iter_rows())
    assert recorded == {"q1": True, "q2": False, "q3": False, "q4": False}


# Upgrading from the blake2b payload hash (32 hex) to xxh3 ("xxh3:" and 32 hex) -------


def company_records(names: list[str]) -> pl.DataFrame:
    """Company payload rows with every property, hashed as the transforms hash them."""
    rows = [
        {p: f"{p} {i}" for p in COMPANY_PROPERTIES} | {"name": name} for i, name in enumerate(names)
    ]
    records = pl.DataFrame(rows, schema=dict.fromkeys(COMPANY_PROPERTIES, pl.String))
    records = records.insert_column(0, pl.Series("source_key", [str(i) for i in range(len(rows))]))
    return records.with_columns(payload_hashes(records, COMPANY_PROPERTIES))


def test_a_legacy_hash_of_the_same_payload_is_unchanged_and_rewritten() -> None:
    records = company_records(["Boulangerie Roux", "Épicerie Fine"])
    legacy = legacy_payload_hashes(records, COMPANY_PROPERTIES).to_list()
    assert all(len(h) == 32 for h in legacy)
    plan = plan_sync(
        "companies",
        Payloads(records, pl.DataFrame(schema=QUARANTINE), pl.DataFrame(schema=KEYS)),
        state(
            [
                ("0", "100", legacy[0], None, "synced"),  # same payload, old format
                ("1", "101", legacy[1], None, "rejected", "HubSpot refused it"),
            ]
        ),
    )
    assert keys(plan.unchanged) == ["0"]
    assert keys(plan.update) == ["1"], "failed last time: retried, whatever its hash"
    assert plan.rehash.rows() == [("0", records["payload_hash"][0])]
    assert "legacy" not in plan.unchanged.columns and "same" not in plan.update.columns


def test_a_legacy_hash_of_another_payload_is_an_update() -> None:
    before = company_records(["Boulangerie Roux"])
    after = company_records(["Boulangerie Roux & Fils"])
    legacy = legacy_payload_hashes(before, COMPANY_PROPERTIES).item()
    plan = plan_sync(
        "companies",
        Payloads(after, pl.DataFrame(schema=QUARANTINE), pl.DataFrame(schema=KEYS)),
        state([("0", "100", legacy, None, "synced")]),
    )
    assert keys(plan.update) == ["0"]
    assert plan.unchanged.is_empty() and plan.rehash.is_empty()


def test_a_legacy_hash_with_links_is_checked_with_its_resolved_ids() -> None:
    records = company_records(["Roux"]).with_columns(company_key=pl.lit("77"))
    # What the older release stored: blake2b of "<legacy payload hash>|<resolved id>".
    legacy_payload = legacy_payload_hashes(records, COMPANY_PROPERTIES).item()
    stored = blake2b_hex(pl.Series([f"{legacy_payload}|9001"])).item()
    companies = Payloads(records, pl.DataFrame(schema=QUARANTINE), pl.DataFrame(schema=KEYS))

    def plan_with(stored_hash: str, company_id: str) -> SyncPlan:
        return plan_sync(
            "companies",
            companies,
            state([("0", "100", stored_hash, None, "synced")]),
            links={"company_key": {"77": company_id}},
        )

    same = plan_with(stored, "9001")
    assert keys(same.unchanged) == ["0"]
    [(key, rewritten)] = same.rehash.rows()
    assert key == "0" and rewritten.startswith("xxh3:")
    # Once rewritten, the new hash is what matches.
    again = plan_with(rewritten, "9001")
    assert keys(again.unchanged) == ["0"] and again.rehash.is_empty()
    moved = plan_with(stored, "9002")
    assert keys(moved.update) == ["0"] and moved.rehash.is_empty()


def test_the_state_store_rewrites_only_the_hash(tmp_path: Path) -> None:
    store = SyncState(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.record_accepted("companies", [Accepted("0", "100", "a" * 32, partition_key="p")])
        store.record_rejected("companies", [Rejected("1", "refused")])
        store.record_hashes("companies", [("0", "b" * 64), ("1", "c" * 64)])
        rows = {r["source_key"]: r for r in store.load("companies").iter_rows(named=True)}
    finally:
        store.close()
    assert rows["0"]["payload_hash"] == "b" * 64
    assert (rows["0"]["hubspot_id"], rows["0"]["status"]) == ("100", "synced")
    assert rows["0"]["partition_key"] == "p"
    assert rows["1"]["payload_hash"] is None, "only synced records are rewritten"
