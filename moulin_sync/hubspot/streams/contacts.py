"""Contacts: B2C customers and B2B contacts, keyed by `moulin_customer_id`."""

from __future__ import annotations

import polars as pl

from moulin_sync.hubspot.streams.cleaning import clean_text, decimal_string, hubspot_date, too_long
from moulin_sync.hubspot.streams.payloads import Payloads, split_on_reason
from moulin_sync.hubspot.streams.phones import e164_phones
from moulin_sync.hubspot.streams.shared import (
    app_du_moulin,
    app_id,
    hubspot,
    order_dates,
    order_figures,
)
from moulin_sync.hubspot.streams.spec import Custom, Link, StreamSpec, TransformContext
from moulin_sync.hubspot.streams.values import Bool, Day, Text, one_of
from moulin_sync.sources.app_du_moulin.quality import email_problem, is_erased, normalised_email
from moulin_sync.sources.app_du_moulin.vocabulary import CUSTOMER_TYPES

CONTACT_PROPERTIES = (
    *hubspot("email", "firstname", "lastname", "phone", "address", "zip", "city", "company"),
    app_id(
        "moulin_customer_id",
        "ID client App du Moulin",
        "The customer's id in the App du Moulin; the key every sync upserts by.",
    ),
    Custom(
        "moulin_customer_type",
        one_of(CUSTOMER_TYPES),
        "Type de client",
        "enumeration",
        "B2C (consumer) or B2B (contact of a company).",
        CUSTOMER_TYPES,
    ),
    Custom(
        "moulin_company_role",
        Text,
        "Rôle dans l'entreprise",
        "string",
        "For B2B contacts: their role at their company.",
    ),
    Custom(
        "moulin_marketing_consent",
        Bool,
        "Consentement marketing",
        "bool",
        "Opted in to marketing in the App du Moulin.",
    ),
    Custom(
        "moulin_customer_since",
        Day,
        "Client depuis",
        "date",
        "Day the customer account was created.",
    ),
    *order_dates(
        "Day of the first order (Europe/Paris).", "Day of the latest order (Europe/Paris)."
    ),
    *order_figures(
        "Orders placed, cancelled and refunded ones excluded.",
        "Sum of paid orders incl. VAT, refunds excluded.",
    ),
    Custom(
        "moulin_last_pickup_point",
        Text,
        "Dernier point de retrait",
        "string",
        "Pickup point of the customer's latest order.",
    ),
)


def contact_payloads(
    customers: pl.DataFrame,
    company_contacts: pl.DataFrame,
    companies: pl.DataFrame,
    customer_order_totals: pl.DataFrame,
    *,
    context: TransformContext,
) -> Payloads:
    """B2C customers and B2B contacts as HubSpot contacts keyed by `moulin_customer_id`."""
    erased = customers.filter(is_erased()).select(pl.col("id").cast(pl.String).alias("source_key"))
    live = customers.filter(~is_erased())
    links = company_contacts.join(
        companies.select(pl.col("id").alias("company_id"), pl.col("name").alias("company_name")),
        on="company_id",
        how="left",
    )
    joined = live.join(links, left_on="id", right_on="customer_id", how="left").join(
        customer_order_totals, left_on="id", right_on="customer_id", how="left"
    )
    frame = joined.with_columns(phone_e164=e164_phones(joined, "phone")).select(
        pl.col("id").cast(pl.String).alias("source_key"),
        email_problem().alias("email_problem"),
        normalised_email().alias("email"),
        clean_text("first_name").alias("firstname"),
        clean_text("last_name").alias("lastname"),
        pl.col("phone_e164").alias("phone"),
        clean_text("address").alias("address"),
        clean_text("postcode").alias("zip"),
        clean_text("city").alias("city"),
        clean_text("company_name").alias("company"),
        pl.col("id").cast(pl.String).alias("moulin_customer_id"),
        pl.when(pl.col("company_id").is_not_null())
        .then(pl.lit("B2B"))
        .otherwise(pl.lit("B2C"))
        .alias("moulin_customer_type"),
        clean_text("role").alias("moulin_company_role"),
        pl.col("marketing_consent").cast(pl.String).alias("moulin_marketing_consent"),
        hubspot_date("created_at", context.timezone).alias("moulin_customer_since"),
        pl.col("first_order_date").alias("moulin_first_order_date"),
        pl.col("last_order_date").alias("moulin_last_order_date"),
        pl.col("order_count").fill_null(0).cast(pl.String).alias("moulin_order_count"),
        decimal_string(pl.col("lifetime_value_eur").fill_null(0)).alias(
            "moulin_lifetime_value_eur"
        ),
        clean_text("last_pickup_point").alias("moulin_last_pickup_point"),
        pl.col("company_id").cast(pl.String).alias("company_key"),
    )
    # One email, one HubSpot contact: the oldest customer keeps it, the others wait.
    owner = (
        frame.filter(pl.col("email_problem").is_null())
        .group_by("email")
        .agg(owner=pl.col("source_key").sort_by(pl.col("source_key").cast(pl.Int64)).first())
    )
    frame = frame.join(owner, on="email", how="left").with_columns(
        reason=pl.coalesce(
            pl.col("email_problem"),
            pl.when(pl.col("owner") != pl.col("source_key")).then(
                pl.format("email {} also belongs to customer {}, the one synced", "email", "owner")
            ),
            too_long(("firstname", "lastname", "address", "city", "company")),
        )
    )
    return split_on_reason(frame, erased=erased)


CONTACTS = StreamSpec(
    name="contacts",
    properties=CONTACT_PROPERTIES,
    transform=contact_payloads,
    sources=app_du_moulin("customers", "company_contacts", "companies", "customer_order_totals"),
    # contact → company: unlabeled (279) and primary (1). HubSpot keeps one primary company.
    links=(Link("company_key", "companies", (279, 1)),),
    adopt_by="email",
    description="B2C customers and B2B contacts",
    payload_description="HubSpot contact payloads keyed by moulin_customer_id, the quarantine "
    "(no or invalid email, shared email, ...) and the GDPR erasures.",
    write_description="Customers in HubSpot: upserted by moulin_customer_id, adopted by email, "
    "associated with their company as primary, archived when erased at the source.",
)
