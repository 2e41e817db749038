"""Which months changed since they were last synced, from a source's change feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl


def months_changed(
    changes: pl.DataFrame,
    months: Sequence[str],
    synced_as_of: Mapping[str, dt.datetime],
) -> dict[str, int]:
    """Of `months`, those with orders changed since the month was last synced, with how
    many (a month never synced counts all its orders)."""
    as_of = pl.DataFrame(
        {"month": list(synced_as_of), "as_of": list(synced_as_of.values())},
        schema={"month": pl.String, "as_of": pl.Datetime("us", "UTC")},
    )
    counted = (
        changes.filter(pl.col("month").is_in(list(months)))
        .join(as_of, on="month", how="left")
        .filter(pl.col("as_of").is_null() | (pl.col("changed_at") > pl.col("as_of")))
        .group_by("month")
        .len()
    )
    return dict(counted.sort("month").iter_rows())
