"""The summary after a sync: every number whole within 80 columns, counts that do not
overlap, what waiting records wait for, "nothing changed" in words."""

import polars as pl

from moulin_sync.cli.runner import RunSummary
from moulin_sync.cli.summary import summary_lines
from moulin_sync.lib.metadata import by_cause, by_reason, table_sample


def _summary(created: int, waiting: int) -> RunSummary:
    rejections = pl.DataFrame(
        {"source_key": ["7", "9"], "reason": ["email a@b.fr also belongs to customer 3"] * 2}
    )
    waits = pl.DataFrame(
        {"source_key": ["1", "2", "3"], "reason": ["waiting for contact 8 to reach HubSpot"] * 3}
    )
    deals = {
        "created": created, "updated": 1_000_000, "unchanged": 1_000_000, "rejected": 2,
        "waiting": waiting, "write_calls": 20_000, "rate_limited_429s": 0, "duration_s": 1234.5,
        "rejections_by_cause": table_sample(by_cause(rejections)),
        "waiting_for": table_sample(by_reason(waits.head(waiting))),
    }  # fmt: skip
    return RunSummary("run", True, ("2019-01-01", "2026-12-01"), assets={"hubspot/deals": deals})


def test_a_million_of_everything_fits_80_columns_whole() -> None:
    lines = summary_lines(_summary(1_000_000, 3))
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    row = next(line.split() for line in lines if line.strip().startswith("deals"))
    assert row[1:5] == ["1,000,000", "1,000,000", "1,000,000", "2"]
    text = "\n".join(lines)
    assert "email <email> also belongs to customer # ×2" in text
    assert "Waiting deals: 3, until the record they link to is in HubSpot: contact 8 ×3" in text
    assert "Nothing changed" not in text


def test_nothing_changed_is_said_in_words() -> None:
    quiet = _summary(0, 0)
    quiet.assets["hubspot/deals"]["updated"] = 0
    assert any(line.startswith("Nothing changed") for line in summary_lines(quiet))
