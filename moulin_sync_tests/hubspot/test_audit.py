"""Duplicate deals: what counts as a legacy look-alike of one of ours."""

import polars as pl

from moulin_sync.hubspot.audit import find_duplicates

DEALS = {"deal_id": pl.String, "moulin_order_id": pl.String, "amount": pl.String,
         "closedate": pl.String}  # fmt: skip
OWNED = {"order_id": pl.String, "deal_id": pl.String, "contact_id": pl.String,
         "amount": pl.String, "closedate": pl.String}  # fmt: skip


def _look_alikes(ours_closing: str, legacy_closing: str) -> list[str]:
    deals = pl.DataFrame(
        [("1", "7", "25.50", ours_closing), ("2", None, "25.5", legacy_closing)],
        schema=DEALS,
        orient="row",
    )
    owned = pl.DataFrame([("7", "1", "c1", "25.50", ours_closing)], schema=OWNED, orient="row")
    found = find_duplicates(deals, {"1": ["c1"], "2": ["c1"]}, owned, "Europe/Paris")
    return found.look_alikes["deal_id"].to_list()


def test_look_alikes_share_the_paris_day_of_the_order() -> None:
    # 00:30 in Paris on April 1st (22:30 UTC the day before) and 10:00 that day: one day.
    assert _look_alikes("2026-04-01T08:00:00.000Z", "2026-03-31T22:30:00Z") == ["2"]
    # 23:30 and 00:10 in Paris: the same UTC day, two Paris days: not the same order.
    assert _look_alikes("2026-03-31T22:10:00.000Z", "2026-03-31T21:30:00.000Z") == []
    # A legacy import dated by day only.
    assert _look_alikes("2026-04-01T08:00:00.000Z", "2026-04-01") == ["2"]
