"""plan_sync: what to create, update, leave, archive — from payloads and state alone."""

import dataclasses
from pathlib import Path

import polars as pl

from moulin_sync.hubspot.streams.contacts import CONTACTS
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import Link
from moulin_sync.hubspot.sync.plan import plan_sync
from moulin_sync.hubspot.sync.state import STATE_SCHEMA, Accepted, Rejected, SyncState

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
        CONTACTS,
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


def test_erased_records_are_erased_once_and_only_if_in_hubspot() -> None:
    held = state(
        [
            ("5", "105", "h", None, "synced"),
            ("6", "106", None, None, "archived"),
            ("8", None, None, None, "deleted"),
        ]
    )
    erased = payloads([], erased=["5", "6", "7", "8"])
    # Deleting for good: the live one, and the one an earlier policy only archived.
    assert sorted(plan_sync(CONTACTS, erased, held).erase.rows()) == [("5", "105"), ("6", "106")]
    assert plan_sync(CONTACTS, erased, held, erasure="archive").erase.rows() == [("5", "105")]
    assert plan_sync(CONTACTS, erased, held, erasure="ignore").erase.is_empty()
    # Only contacts have a GDPR delete: an archived record of another stream is done.
    companies = dataclasses.replace(CONTACTS, name="firms", hubspot_object="companies")
    assert plan_sync(companies, erased, held).erase.rows() == [("5", "105")]


def test_a_link_target_appearing_or_moving_makes_an_update() -> None:
    base = payloads([("1", "h1", "77"), ("2", "h2", "88")])
    requiring = dataclasses.replace(
        CONTACTS, links=(Link("company_key", "companies", (279, 1), required=True),)
    )
    first = plan_sync(requiring, base, state([]), links={"company_key": {"77": "9001"}})
    assert keys(first.create) == ["1"]
    assert keys(first.waiting) == ["2"], "its company is not in HubSpot yet"
    accepted = dict(first.create.select("source_key", "payload_hash").iter_rows())
    same = plan_sync(
        CONTACTS,
        base,
        state([("1", "101", accepted["1"], None, "synced")]),
        links={"company_key": {"77": "9001"}},
    )
    assert keys(same.unchanged) == ["1"]
    moved = plan_sync(
        CONTACTS,
        base,
        state([("1", "101", accepted["1"], None, "synced")]),
        links={"company_key": {"77": "9002"}},
    )
    assert keys(moved.update) == ["1"], "same properties, new company: re-sent"


def test_a_b2b_deal_goes_with_its_company_when_its_contact_cannot_be_made() -> None:
    """A B2C deal waits for its contact; a B2B one goes with its company, and its
    contact is associated (an update) once it lands."""
    deals = Payloads(
        records=pl.DataFrame(
            {
                "source_key": ["b2c", "b2b", "b2b-no-company"],
                "payload_hash": ["h1", "h2", "h3"],
                "contact_key": ["8", "8", "8"],
                "company_key": [None, "77", "78"],
            }
        ),
        quarantine=pl.DataFrame(schema=QUARANTINE),
        erased=pl.DataFrame(schema=KEYS),
    )
    first = plan_sync(
        DEALS, deals, state([]), links={"contact_key": {}, "company_key": {"77": "9"}}
    )
    assert keys(first.create) == ["b2b"]
    assert keys(first.waiting) == ["b2b-no-company", "b2c"]
    assert first.create["contact_key_id"].to_list() == [None]
    accepted = first.create["payload_hash"].item()
    later = plan_sync(
        DEALS,
        deals,
        state([("b2b", "501", accepted, None, "synced")]),
        links={"contact_key": {"8": "1008"}, "company_key": {"77": "9", "78": "10"}},
    )
    assert keys(later.update) == ["b2b"], "its contact landed: associated"
    assert keys(later.create) == ["b2b-no-company", "b2c"]


def test_warnings_follow_the_records_planned_not_the_waiting() -> None:
    deals = Payloads(
        records=pl.DataFrame(
            {
                "source_key": ["1", "2"],
                "payload_hash": ["h1", "h2"],
                "contact_key": ["8", "9"],
                "company_key": [None, None],
            }
        ),
        quarantine=pl.DataFrame(schema=QUARANTINE),
        erased=pl.DataFrame(schema=KEYS),
        warnings=pl.DataFrame({"source_key": ["1", "2"], "reason": ["odd", "odd"]}),
    )
    plan = plan_sync(DEALS, deals, state([]), links={"contact_key": {"8": "1"}, "company_key": {}})
    assert keys(plan.warned) == ["1"], "deal 2 waits for contact 9: not written, not warned"


def test_records_merged_by_a_person_are_left_alone() -> None:
    plan = plan_sync(
        CONTACTS,
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
        CONTACTS,
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


def test_the_store_keeps_each_stream_apart(tmp_path: Path) -> None:
    """Two streams writing one HubSpot object keep their own records."""
    with SyncState(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.record_accepted("contacts", [Accepted("7", "107", "h-contact")])
        store.record_accepted("contacts.nps", [Accepted("7", "107", "h-nps")])
        store.record_rejected("contacts.nps", [Rejected("8", "no answer yet")])
        contacts = store.load("contacts")
        nps = store.load("contacts.nps")
    assert contacts.select("source_key", "payload_hash").rows() == [("7", "h-contact")]
    assert sorted(nps["source_key"]) == ["7", "8"]
    assert nps.filter(pl.col("source_key") == "7")["payload_hash"].item() == "h-nps"


def test_a_store_keyed_by_object_type_is_renamed_in_place(tmp_path: Path) -> None:
    """A state store of the release that keyed records by object type keeps its rows."""
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE sync_records (object_type VARCHAR(32), source_key VARCHAR(64), "
            "hubspot_id VARCHAR(32), payload_hash VARCHAR(64), link_key TEXT, "
            "status VARCHAR(16) NOT NULL, last_error TEXT, synced_at DATETIME, "
            "error_at DATETIME, partition_key VARCHAR(16), PRIMARY KEY (object_type, source_key))"
        )
        connection.execute(
            "INSERT INTO sync_records (object_type, source_key, hubspot_id, payload_hash, status) "
            "VALUES ('deals', '42', '9042', 'h', 'synced')"
        )
    with SyncState(f"sqlite:///{path}") as store:
        assert store.hubspot_ids("deals", ["42"]) == {"42": "9042"}
        store.record_accepted("deals", [Accepted("43", "9043", "h", fingerprints="amount:7")])
        assert store.load("deals").height == 2
        # The column added since: unknown (None) for the old row, kept for the new one.
        assert store.fingerprints_of("deals", ["42", "43"]) == {"42": None, "43": "amount:7"}


def test_partitions_load_only_their_months(tmp_path: Path) -> None:
    with SyncState(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.record_accepted("deals", [Accepted("1", "11", "h", partition_key="2026-01-01")])
        store.record_accepted("deals", [Accepted("2", "12", "h", partition_key="2026-02-01")])
        store.record_rejected("deals", [Rejected("3", "refused", "2026-02-01")])
        february = store.load("deals", partitions=["2026-02-01"])
    assert sorted(february["source_key"]) == ["2", "3"]


def test_a_link_with_a_lookup_resolves_by_its_stream_else_by_the_lookup_else_waits() -> None:
    from moulin_sync.hubspot.streams.tickets import TICKETS

    records = pl.DataFrame(
        {
            "source_key": ["1", "2", "3", "4"],
            "payload_hash": ["h1", "h2", "h3", "h4"],
            "contact_key": ["10", None, None, "11"],
            "company_key": [None, None, None, None],
            "requester_email": ["a@x.fr", "known@x.fr", "nobody@x.fr", "b@x.fr"],
        }
    )
    made = Payloads(records, pl.DataFrame(schema=QUARANTINE), pl.DataFrame(schema=KEYS))
    links = {"contact_key": {"10": "910"}, "company_key": {}}

    plan = plan_sync(
        TICKETS, made, state([]), links=links, lookups={"contact_key": {"known@x.fr": "920"}}
    )

    ids = dict(plan.create.select("source_key", "contact_key_id").iter_rows())
    assert ids == {"1": "910", "2": "920"}
    reasons = dict(plan.waiting.select("source_key", "reason").iter_rows())
    assert reasons == {
        "3": "waiting for contact nobody@x.fr to reach HubSpot",
        "4": "waiting for contact 11 to reach HubSpot",
    }
    # Not looked up (a dry run): those it would find wait, none goes without its contact.
    unlooked = plan_sync(TICKETS, made, state([]), links=links)
    assert keys(unlooked.create) == ["1"] and keys(unlooked.waiting) == ["2", "3", "4"]
