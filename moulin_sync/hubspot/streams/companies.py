"""Companies: the businesses Le Moulin sells to (B2B), keyed by `moulin_company_id`."""

from __future__ import annotations

import polars as pl

from moulin_sync.hubspot.streams.cleaning import clean_text, decimal_string, too_long
from moulin_sync.hubspot.streams.payloads import Payloads, split_on_reason
from moulin_sync.hubspot.streams.shared import (
    app_du_moulin,
    app_id,
    hubspot,
    order_dates,
    order_figures,
)
from moulin_sync.hubspot.streams.spec import Custom, StreamSpec, TransformContext
from moulin_sync.hubspot.streams.values import Siret, Text

COMPANY_PROPERTIES = (
    *hubspot("name", "address", "zip", "city", "country"),
    app_id(
        "moulin_company_id",
        "ID entreprise App du Moulin",
        "The company's id in the App du Moulin; the key every sync upserts by.",
    ),
    Custom("moulin_siret", Siret, "SIRET", "string", "14-digit SIRET of the establishment."),
    Custom(
        "moulin_vat_number",
        Text,
        "Numéro de TVA",
        "string",
        "Intra-community VAT number (FR...).",
    ),
    Custom("moulin_sector", Text, "Secteur", "string", "Business sector, as in the App."),
    *order_figures(
        "B2B orders placed, cancelled and refunded ones excluded.",
        "Sum of paid B2B orders incl. VAT, refunds excluded.",
    ),
    *order_dates("Day of the first B2B order.", "Day of the latest B2B order."),
)


def company_payloads(
    companies: pl.DataFrame, company_order_totals: pl.DataFrame, *, context: TransformContext
) -> Payloads:
    """B2B companies as HubSpot companies keyed by `moulin_company_id`."""
    frame = companies.join(
        company_order_totals, left_on="id", right_on="company_id", how="left"
    ).select(
        pl.col("id").cast(pl.String).alias("source_key"),
        clean_text("name").alias("name"),
        clean_text("address").alias("address"),
        clean_text("postcode").alias("zip"),
        clean_text("city").alias("city"),
        pl.lit("France").alias("country"),
        pl.col("id").cast(pl.String).alias("moulin_company_id"),
        clean_text("siret").alias("moulin_siret"),
        clean_text("vat_number").alias("moulin_vat_number"),
        clean_text("sector").alias("moulin_sector"),
        pl.col("order_count").fill_null(0).cast(pl.String).alias("moulin_order_count"),
        decimal_string(pl.col("lifetime_value_eur").fill_null(0)).alias(
            "moulin_lifetime_value_eur"
        ),
        pl.col("first_order_date").alias("moulin_first_order_date"),
        pl.col("last_order_date").alias("moulin_last_order_date"),
    )
    frame = frame.with_columns(
        reason=pl.coalesce(
            pl.when(pl.col("name").is_null()).then(pl.lit("company has no name")),
            too_long(("name", "address", "city", "moulin_sector")),
        )
    )
    return split_on_reason(frame, erased=pl.DataFrame(schema={"source_key": pl.String}))


COMPANIES = StreamSpec(
    name="companies",
    properties=COMPANY_PROPERTIES,
    transform=company_payloads,
    sources=app_du_moulin("companies", "company_order_totals"),
    description="B2B companies",
    payload_description="HubSpot company payloads keyed by moulin_company_id, and the quarantine.",
    write_description="B2B companies in HubSpot, upserted by moulin_company_id.",
)
