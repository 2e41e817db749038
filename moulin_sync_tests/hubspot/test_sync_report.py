"""A write's report by month (hubspot/sync/ledger.py): what each month's materialization
shows, however many months a run covers and however its lists grew."""

import polars as pl

from moulin_sync.hubspot.sync.ledger import SyncReport


def keys(frame: pl.DataFrame) -> list[str]:
    return frame["source_key"].to_list()


def test_each_month_holds_its_own_records_as_the_lists_grow() -> None:
    report = SyncReport("deals")
    report.rejected.extend([("1", "bad", "2026-01-01"), ("2", "worse", "2026-02-01")])
    report.waits.append(("3", "contact not in HubSpot", "2026-01-01"))
    assert keys(report.rejections("2026-01-01")) == ["1"]
    assert report.rejections("2026-03-01").columns == ["source_key", "reason"]
    assert report.rejections("2026-03-01").is_empty()
    # Asked again after the write added more: the new ones are there.
    report.rejected.append(("4", "bad", "2026-01-01"))
    report.warned[:0] = [("5", "email withheld", "2026-02-01")]
    report.warned.append(("5", "email withheld again", "2026-02-01"))
    assert keys(report.rejections("2026-01-01")) == ["1", "4"]
    assert keys(report.rejections()) == ["1", "2", "4"]
    assert report.warnings("2026-02-01").rows() == [("5", "email withheld")]
    counts = report.month_counts("2026-01-01")
    assert (counts["rejected"], counts["waiting"]) == (2, 1)
    # An unpartitioned stream's records have no month.
    report.rejected.append(("6", "bad", None))
    assert keys(report.rejections()) == ["1", "2", "4", "6"]
