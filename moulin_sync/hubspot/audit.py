"""Reading deals back from HubSpot itself, to prove there is one deal per order.

The checks trust HubSpot, not our state store: a duplicate made by a legacy import, a
person, or another tool is only visible there. Search pages through at most 10,000
results per query, so a window holding more is halved until each half fits; search has
its own rate limit (the client paces it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient

SEARCH_CAP = 10_000
DEAL_AUDIT_PROPERTIES = ["moulin_order_id", "amount", "closedate", "dealstage", "pipeline"]


def _ms(moment: dt.datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def window_filter(
    start: dt.datetime,
    end: dt.datetime,
    date_property: str = "closedate",
    also: Sequence[dict] = (),
) -> list[dict]:
    """Records whose `date_property` falls in [start, end) (and that pass `also`)."""
    # BETWEEN is inclusive at both ends: stop one millisecond before the next window.
    between = {
        "propertyName": date_property,
        "operator": "BETWEEN",
        "value": _ms(start),
        "highValue": str(int(end.timestamp() * 1000) - 1),
    }
    return [{"filters": [between, *also]}]


def search_windows(
    client: HubSpotClient,
    start: dt.datetime,
    end: dt.datetime,
    cap: int = SEARCH_CAP,
    *,
    object_type: str = "deals",
    date_property: str = "closedate",
    also: Sequence[dict] = (),
) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut into windows of at most `cap` records each (by `date_property`)."""
    filters = window_filter(start, end, date_property, also)
    total = client.objects.search_total(object_type, filters)
    if total <= cap or end - start <= dt.timedelta(seconds=2):
        return [(start, end)]
    middle = start + (end - start) / 2
    split = {"object_type": object_type, "date_property": date_property, "also": also}
    return search_windows(client, start, middle, cap, **split) + search_windows(
        client, middle, end, cap, **split
    )


def deals_closing_between(
    client: HubSpotClient, start: dt.datetime, end: dt.datetime, cap: int = SEARCH_CAP
) -> pl.DataFrame:
    """Every live deal whose close date falls in [start, end): ours and anyone else's."""
    frames = [
        _window_deals(client, low, high) for low, high in search_windows(client, start, end, cap)
    ]
    return _all_deals(frames)


def _window_deals(client: HubSpotClient, low: dt.datetime, high: dt.datetime) -> pl.DataFrame:
    rows = [
        (str(deal["id"]), *(deal["properties"].get(name) or None for name in DEAL_AUDIT_PROPERTIES))
        for deal in client.objects.search("deals", window_filter(low, high), DEAL_AUDIT_PROPERTIES)
    ]
    return pl.DataFrame(
        rows,
        schema={"deal_id": pl.String, **{name: pl.String for name in DEAL_AUDIT_PROPERTIES}},
        orient="row",
    )


def _all_deals(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The windows' deals, once each (`search_windows` gives at least one window)."""
    return pl.concat(frames).unique("deal_id", maintain_order=True)


def deals_with_contacts_closing_between(
    client: HubSpotClient, start: dt.datetime, end: dt.datetime, cap: int = SEARCH_CAP
) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """`deals_closing_between`, and each deal's contacts: a window's associations are read
    while the next window pages (reads and searches have separate rate limits)."""
    frames, pending = [], []
    with ThreadPoolExecutor(1) as reads:
        for low, high in search_windows(client, start, end, cap):
            window = _window_deals(client, low, high)
            frames.append(window)
            pending.append(
                reads.submit(deal_associations, client, window["deal_id"].to_list(), "contacts")
            )
        contacts_of: dict[str, list[str]] = {}
        for answer in pending:
            contacts_of.update(answer.result())
    return _all_deals(frames), contacts_of


def deal_associations(
    client: HubSpotClient, deal_ids: Iterable[str], target: str = "contacts"
) -> dict[str, list[str]]:
    """deal id → the ids of its associated `target` records (v4 batch read, 1,000 per call)."""
    ids = list(deal_ids)
    found: dict[str, list[str]] = {}
    for start in range(0, len(ids), 1000):
        answer = client.associations.read("deals", target, ids[start : start + 1000])
        found.update({k: [str(t["toObjectId"]) for t in v] for k, v in answer.items()})
    return found


@dataclass(frozen=True)
class Duplicates:
    by_key: pl.DataFrame  # moulin_order_id, deal_ids (every deal carrying the same order id)
    look_alikes: pl.DataFrame  # deal_id (without our key), order_id, owned_deal_id

    @property
    def count(self) -> int:
        """Deals too many: one per extra deal on a key, one per look-alike."""
        extra = int((self.by_key["deals"] - 1).sum() or 0) if self.by_key.height else 0
        return extra + self.look_alikes.height


def _day(column: str, timezone: str) -> pl.Expr:
    """The local day of an ISO 8601 instant as HubSpot gives it (UTC, `Z`): an order
    placed at 00:30 in Paris closes on that Paris day, not on the UTC day before."""
    text = pl.col(column).str.replace(r"Z$", "+00:00")
    instant = pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", strict=False),
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC", strict=False),
        text.str.to_datetime("%Y-%m-%d", time_zone="UTC", strict=False),
    )
    return instant.dt.convert_time_zone(timezone).dt.date()


def _amount(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Float64, strict=False).round(2)


def find_duplicates(
    deals: pl.DataFrame,
    contacts_of: dict[str, list[str]],
    owned: pl.DataFrame,
    timezone: str,
) -> Duplicates:
    """Duplicates among `deals` (as read from HubSpot).

    `owned` (order_id, deal_id, contact_id, amount, closedate) describes our deals. A deal
    without `moulin_order_id` duplicates one of ours when it has the same contact, amount
    and close day (in `timezone`) — what a legacy import of the same order would look
    like.
    """
    keyed = deals.filter(pl.col("moulin_order_id").is_not_null())
    by_key = (
        keyed.group_by("moulin_order_id")
        .agg(deal_ids=pl.col("deal_id").sort(), deals=pl.len())
        .filter(pl.col("deals") > 1)
        .sort("moulin_order_id")
    )
    strangers = deals.filter(pl.col("moulin_order_id").is_null())
    rows = [
        (deal_id, contact, amount, closedate)
        for deal_id, amount, closedate in strangers.select(
            "deal_id", "amount", "closedate"
        ).iter_rows()
        for contact in contacts_of.get(deal_id, [])
    ]
    legacy = pl.DataFrame(
        rows,
        schema={
            "deal_id": pl.String,
            "contact_id": pl.String,
            "amount": pl.String,
            "closedate": pl.String,
        },
        orient="row",
    ).with_columns(day=_day("closedate", timezone), value=_amount("amount"))
    ours = owned.with_columns(day=_day("closedate", timezone), value=_amount("amount")).select(
        "order_id", pl.col("deal_id").alias("owned_deal_id"), "contact_id", "day", "value"
    )
    look_alikes = (
        legacy.join(ours, on=["contact_id", "day", "value"], how="inner")
        .select("deal_id", "order_id", "owned_deal_id")
        .unique("deal_id", keep="first")
        .sort("deal_id")
    )
    return Duplicates(by_key=by_key, look_alikes=look_alikes)


def audit_duplicates(
    client: HubSpotClient, start: dt.datetime, end: dt.datetime, timezone: str
) -> tuple[pl.DataFrame, Duplicates]:
    """HubSpot's deals closing in [start, end), and the duplicates among them (close
    days counted in `timezone`)."""
    deals, contacts_of = deals_with_contacts_closing_between(client, start, end)
    return deals, duplicates_among(deals, contacts_of, timezone)


def duplicates_among(
    deals: pl.DataFrame, contacts_of: dict[str, list[str]], timezone: str
) -> Duplicates:
    """The duplicates among `deals` read from HubSpot, with each deal's contacts."""
    first_contact = {deal: (linked[0] if linked else None) for deal, linked in contacts_of.items()}
    owned = (
        deals.filter(pl.col("moulin_order_id").is_not_null())
        .with_columns(
            contact_id=pl.col("deal_id").replace_strict(
                first_contact, default=None, return_dtype=pl.String
            )
        )
        .select(
            pl.col("moulin_order_id").alias("order_id"),
            "deal_id",
            "contact_id",
            "amount",
            "closedate",
        )
    )
    return find_duplicates(deals, contacts_of, owned, timezone)
