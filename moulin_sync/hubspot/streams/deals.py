"""Deals: every order, once, keyed by `moulin_order_id`, in the month it was placed."""

from __future__ import annotations

import polars as pl

from moulin_sync.hubspot.streams.cleaning import (
    CONTROL_CHARACTERS,
    clean_text,
    decimal_string,
    hubspot_datetime,
)
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.shared import app_du_moulin, app_id, hubspot
from moulin_sync.hubspot.streams.spec import (
    Custom,
    Link,
    PipelineSpec,
    PipelineStages,
    Stage,
    StreamSpec,
    TransformContext,
)
from moulin_sync.hubspot.streams.values import (
    Instant,
    Text,
    one_of,
)
from moulin_sync.sources.app_du_moulin.quality import MAX_ORDER_AMOUNT_EUR, is_erased
from moulin_sync.sources.app_du_moulin.vocabulary import (
    CUSTOMER_TYPES,
    ORDER_CHANNELS,
    ORDER_STATUSES,
)

# What a deal of an erased customer (GDPR) is named after, in place of the person.
ERASED_CUSTOMER = "client effacé (RGPD)"

DEAL_PROPERTIES = (
    *hubspot("dealname", "amount", "deal_currency_code", "closedate", "pipeline", "dealstage"),
    app_id(
        "moulin_order_id",
        "ID commande App du Moulin",
        "The order's id in the App du Moulin; one deal per order, never two.",
    ),
    Custom(
        "moulin_order_number",
        Text,
        "Numéro de commande",
        "string",
        "The order number customers see.",
    ),
    Custom(
        "moulin_customer_type",
        one_of(CUSTOMER_TYPES),
        "Type de client",
        "enumeration",
        "B2C or B2B order.",
        CUSTOMER_TYPES,
    ),
    Custom(
        "moulin_channel",
        one_of(ORDER_CHANNELS),
        "Canal de commande",
        "enumeration",
        "Where the order was placed.",
        ORDER_CHANNELS,
    ),
    Custom(
        "moulin_order_status",
        one_of(ORDER_STATUSES),
        "Statut de commande",
        "enumeration",
        "The order's status in the App du Moulin.",
        ORDER_STATUSES,
    ),
    Custom("moulin_pickup_point", Text, "Point de retrait", "string", "Pickup point of the order."),
    Custom("moulin_paid_at", Instant, "Payée le", "datetime", "When the order was paid."),
)


def deal_payloads(
    orders: pl.DataFrame,
    customers: pl.DataFrame,
    companies: pl.DataFrame,
    pickup_points: pl.DataFrame,
    *,
    context: TransformContext,
) -> Payloads:
    """One deal per order, keyed by `moulin_order_id`, with its contact (and company).

    `partition_key` (the order's month) travels with each record into the state store.
    The close date is the day the order was placed: it is when the sale happened, and it
    is what a legacy import made before moulin-sync would carry too.
    """
    pipeline = context.pipeline
    if pipeline is None:
        raise ValueError("deal payloads need the deal pipeline's stage ids")
    # The orders' snapshot holds each order's month, worked out from the same date in the
    # same time zone (and the only month an order whose date does not read has).
    month = (
        pl.col("partition_key")
        if "partition_key" in orders.columns
        else pl.col("ordered_at").dt.convert_time_zone(context.timezone).dt.strftime("%Y-%m-01")
    )
    problems = _problems()
    # Only whether an order is blocked is computed for every order; the reason's text,
    # for the blocked ones alone (a `when` builds its `then` text for every row).
    blocked = pl.any_horizontal([condition for condition, _ in problems]).fill_null(False)
    reason = pl.coalesce([pl.when(condition).then(text) for condition, text in problems])
    # One lazy query, collected once: only the payload columns are materialised, which
    # polars computes in parallel.
    frame = (
        orders.lazy()
        .with_columns(_lookups(customers, companies, pickup_points, pipeline))
        .select(
            *_deal_columns(pipeline.pipeline_id, _order_number(orders)),
            pl.col("company_id").cast(pl.String).alias("company_key"),
            month.alias("partition_key"),
            blocked.alias("blocked"),
            # What the reason needs, for the few blocked orders.
            "customer_id",
            "customer_erased",  # null: no such customer
            "amount_eur",
            "status",
            "ordered_at",
        )
        # The order id is the source key: cast once, copied.
        .with_columns(moulin_order_id=pl.col("source_key"))
        .collect(engine="in-memory")
    )
    quarantine = frame.filter("blocked").select(
        "source_key",
        reason.alias("reason"),
        "partition_key",
        pl.col("customer_id").cast(pl.String).alias("contact_key"),
    )
    records = frame.filter(~pl.col("blocked"))
    erased = pl.DataFrame(schema={"source_key": pl.String, "partition_key": pl.String})
    return Payloads(records=records, quarantine=quarantine, erased=erased)


def _lookups(
    customers: pl.DataFrame,
    companies: pl.DataFrame,
    pickup_points: pl.DataFrame,
    pipeline: PipelineStages,
) -> list[pl.Expr]:
    """What each order takes from the small tables, cleaned once per customer, company
    or pickup point (not once per order), and its status's stage. Found by key rather
    than joined: each join gathers every column of the orders anew (a third of the
    transform's time at a million orders)."""
    # An erased customer's orders stay deals (the revenue history is the company's), but
    # without the person: no name in the deal's, no link to their contact.
    people = _by_id(
        customers.select(
            "id",
            is_erased().alias("erased"),
            pl.when(is_erased())
            .then(pl.lit(ERASED_CUSTOMER))
            .otherwise(
                pl.concat_str(
                    [clean_text("first_name"), clean_text("last_name")],
                    separator=" ",
                    ignore_nulls=True,
                )
            )
            .alias("name"),
        )
    )
    firms = _by_id(companies.select("id", clean_text("name").alias("name")))
    points = _by_id(pickup_points.select("id", clean_text("name").alias("name")))
    stages = pl.DataFrame(
        {"id": list(pipeline.stage_ids), "name": list(pipeline.stage_ids.values())},
        schema={"id": pl.String, "name": pl.String},
    )
    return [
        _found("customer_id", people, "erased").alias("customer_erased"),  # null: none such
        _found("customer_id", people, "name").alias("customer_name"),
        _found("company_id", firms, "name").alias("company_name"),
        _found("pickup_point_id", points, "name").alias("pickup_point_name"),
        _found("status", stages, "name").alias("dealstage"),
    ]


def _by_id(table: pl.DataFrame) -> pl.DataFrame:
    """One row per id (a lookup takes no duplicate key; the source's ids are unique)."""
    return table.unique("id", keep="first", maintain_order=True)


def _found(key: str, table: pl.DataFrame, column: str) -> pl.Expr:
    """`table`'s `column` in the row whose `id` is the order's `key`; null for none."""
    values = table[column]
    return pl.col(key).replace_strict(
        table["id"], values, default=pl.lit(None, values.dtype), return_dtype=values.dtype
    )


def _problems() -> list[tuple[pl.Expr, pl.Expr]]:
    """Why an order cannot become a deal, in words for the web team: the first that holds."""
    amount = pl.col("amount_eur")
    return [
        (
            pl.col("customer_erased").is_null(),
            pl.format("customer {} does not exist in the App du Moulin", "customer_id"),
        ),
        (amount.is_null(), pl.lit("amount is missing or not a number")),
        (amount < 0, pl.lit("amount is negative")),
        (
            amount > MAX_ORDER_AMOUNT_EUR,
            pl.lit(f"amount is above {MAX_ORDER_AMOUNT_EUR:,} EUR, surely a typo"),
        ),
        (
            pl.col("dealstage").is_null(),
            pl.format("unknown order status {}: map it in MOULIN_DEAL_STAGES", "status"),
        ),
        (
            pl.col("ordered_at").is_null(),
            pl.lit("order date is missing or not a date: fix ordered_at in the App du Moulin"),
        ),
    ]


def _order_number(orders: pl.DataFrame) -> pl.Expr:
    """The order number as customers see it: `clean_text`'s, without its regex pass over
    every order when no number holds a control character (the usual case)."""
    if orders["order_number"].str.contains(CONTROL_CHARACTERS).any():
        return clean_text("order_number")
    trimmed = pl.col("order_number").str.strip_chars()
    return pl.when(trimmed == "").then(None).otherwise(trimmed)


def _deal_columns(pipeline_id: str, order_number: pl.Expr) -> list[pl.Expr]:
    """The deal's properties and its contact's key, from an order and its lookups."""
    is_b2b = pl.col("company_id").is_not_null()
    return [
        pl.col("id").cast(pl.String).alias("source_key"),
        pl.concat_str(
            [
                pl.col("order_number"),
                pl.when(is_b2b)
                .then(pl.col("company_name"))
                .otherwise(pl.col("customer_name"))
                .fill_null("client inconnu"),
            ],
            separator=" — ",
        ).alias("dealname"),
        decimal_string(pl.col("amount_eur")).alias("amount"),
        pl.lit("EUR").alias("deal_currency_code"),
        hubspot_datetime("ordered_at").alias("closedate"),
        pl.lit(pipeline_id).alias("pipeline"),
        pl.col("dealstage"),
        order_number.alias("moulin_order_number"),
        pl.when(is_b2b).then(pl.lit("B2B")).otherwise(pl.lit("B2C")).alias("moulin_customer_type"),
        pl.col("channel").alias("moulin_channel"),
        pl.col("status").alias("moulin_order_status"),
        pl.col("pickup_point_name").alias("moulin_pickup_point"),
        hubspot_datetime("paid_at").alias("moulin_paid_at"),
        pl.when(pl.col("customer_erased"))
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("customer_id").cast(pl.String))
        .alias("contact_key"),
    ]


# One pipeline of our own: an order's lifecycle is not a sales pipeline's. Cancelled and
# refunded orders end in closed-lost stages: the deal stays, as history.
DEAL_PIPELINE = PipelineSpec(
    object_type="deals",
    default_label="Commandes App du Moulin",
    stages=(
        Stage("En attente de paiement", "0.2", False, ("pending",)),
        Stage("Payée", "0.6", False, ("paid",)),
        Stage("Prête au retrait", "0.8", False, ("ready",)),
        Stage("Retirée ou livrée", "1.0", True, ("picked_up", "delivered")),
        Stage("Annulée", "0.0", True, ("cancelled",)),
        Stage("Remboursée", "0.0", True, ("refunded",)),
    ),
    label_variable="MOULIN_DEAL_PIPELINE",
    stages_variable="MOULIN_DEAL_STAGES",
    status_noun="order status",
)

DEALS = StreamSpec(
    name="deals",
    properties=DEAL_PROPERTIES,
    transform=deal_payloads,
    sources=app_du_moulin("orders", "customers", "companies", "pickup_points"),
    # deal → contact (3); deal → company, unlabeled (341) and primary (5). A B2C deal is
    # never created without its contact, nor a B2B deal without its company: it waits. A
    # B2B deal goes with its company when its contact cannot be made; the contact is
    # associated when it lands.
    links=(
        Link("contact_key", "contacts", (3,), required=True, unless="company_key"),
        Link("company_key", "companies", (341, 5), required=True),
    ),
    pipeline=DEAL_PIPELINE,
    partitioned=True,
    customer_column="contact_key",
    description="orders",
    payload_description="One deal payload per order of the month, keyed by moulin_order_id, "
    "and the quarantine (customer missing, bad amount, unknown status); an erased "
    "customer's orders without their name or contact.",
    write_description="Orders as deals in HubSpot: created 100 per call with their contact "
    "(and company, as primary) inline, updated when the order changes, never twice.",
)
