"""Contacts: B2C customers and B2B contacts, keyed by `moulin_customer_id`."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from moulin_sync.hubspot.streams.cleaning import clean_text, decimal_string, hubspot_date, too_long
from moulin_sync.hubspot.streams.fingerprints import digest, written_fingerprint
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
from moulin_sync.sources.app_du_moulin.quality import (
    MISSING_EMAIL,
    email_problem,
    is_erased,
    normalised_email,
)
from moulin_sync.sources.app_du_moulin.vocabulary import CUSTOMER_TYPES, Choice

# Why a contact has no email: the App du Moulin's is missing, invalid, or another
# customer's (HubSpot keeps one contact per email).
EMAIL_ISSUES = (
    Choice("missing", "Email manquant"),
    Choice("invalid", "Email invalide"),
    Choice("shared", "Email d'un autre client"),
)
# The App du Moulin's value is kept beside the contact for whoever fixes it, this long.
MAX_APP_EMAIL_CHARS = 320

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
    Custom(
        "moulin_email_issue",
        one_of(EMAIL_ISSUES, optional=True),
        "Problème d'email",
        "enumeration",
        "Why the contact has no email: the App du Moulin's is missing, invalid, or another "
        "customer's. Fix it in the App du Moulin; the next sync sets it.",
        EMAIL_ISSUES,
    ),
    Custom(
        "moulin_app_email",
        Text,
        "Email dans l'App du Moulin",
        "string",
        "The email the App du Moulin holds when it cannot be the contact's (invalid, or "
        "another customer's): what to fix there.",
    ),
)
EMAIL = CONTACT_PROPERTIES[0]


def contact_payloads(
    customers: pl.DataFrame,
    company_contacts: pl.DataFrame,
    companies: pl.DataFrame,
    customer_order_totals: pl.DataFrame,
    *,
    context: TransformContext,
) -> Payloads:
    """B2C customers and B2B contacts as HubSpot contacts keyed by `moulin_customer_id`.

    Every live customer becomes a contact, so every order of theirs can be a deal: one
    whose email is missing, invalid or another customer's is sent without an email,
    flagged `moulin_email_issue`, and reported as a warning for the App du Moulin to fix.
    """
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
        normalised_email().alias("app_email"),
        clean_text("email").str.slice(0, MAX_APP_EMAIL_CHARS).alias("app_email_as_typed"),
        "created_at",
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
    frame = _with_email(frame, _email_owners(frame, context)).with_columns(
        reason=too_long(("firstname", "lastname", "address", "city", "company"))
    )
    return split_on_reason(frame, erased=erased)


def _email_owners(frame: pl.DataFrame, context: TransformContext) -> pl.DataFrame:
    """(app_email, owner) of each usable email several customers carry: HubSpot keeps one
    contact per email, so one customer keeps it — the one whose contact moulin-sync
    already wrote it into, else the oldest. Nothing is merged on a guess."""
    usable = frame.filter(pl.col("email_problem").is_null())
    contested = usable.filter(pl.len().over("app_email") > 1).select(
        "source_key", "app_email", "created_at"
    )
    written = context.last_written(contested["source_key"].to_list())
    held = pl.DataFrame(
        {"source_key": list(written), "written": list(written.values())},
        schema={"source_key": pl.String, "written": pl.String},
    ).select("source_key", held=written_fingerprint("email", pl.col("written")))
    holds = (pl.col("held") == digest(EMAIL, pl.col("app_email"))).fill_null(False)
    return (
        contested.join(held, on="source_key", how="left")
        .sort(
            holds,
            "created_at",
            pl.col("source_key").cast(pl.Int64),
            descending=[True, False, False],
        )
        .group_by("app_email", maintain_order=True)
        .agg(owner=pl.col("source_key").first())
    )


def _with_email(frame: pl.DataFrame, owners: pl.DataFrame) -> pl.DataFrame:
    """The contact's email when it can be theirs; else no email, the issue and the value
    the App du Moulin holds (for whoever fixes it), and a warning saying why."""
    problem = pl.col("email_problem")
    shared = (
        problem.is_null()
        & pl.col("owner").is_not_null()
        & (pl.col("owner") != pl.col("source_key"))
    )
    issue = (
        pl.when(problem == MISSING_EMAIL)
        .then(pl.lit("missing"))
        .when(problem.is_not_null())
        .then(pl.lit("invalid"))
        .when(shared)
        .then(pl.lit("shared"))
    )
    return (
        frame.join(owners, on="app_email", how="left")
        .with_columns(moulin_email_issue=issue)
        .with_columns(
            email=pl.when(pl.col("moulin_email_issue").is_null()).then(pl.col("app_email")),
            moulin_app_email=pl.when(pl.col("moulin_email_issue") != "missing").then(
                pl.col("app_email_as_typed")
            ),
            warning=pl.coalesce(
                problem,
                pl.when(shared).then(
                    pl.format(
                        "email {} also belongs to customer {}, who keeps it", "app_email", "owner"
                    )
                ),
            ),
        )
        .drop("email_problem", "app_email", "app_email_as_typed", "created_at", "owner")
    )


def without_email(properties: Mapping[str, str], issue: str) -> dict[str, str]:
    """A contact HubSpot will not take with its email (another contact of ours holds it:
    `shared`; HubSpot finds it `invalid`): written without it, flagged why."""
    return {
        **properties,
        "email": "",
        "moulin_email_issue": issue,
        "moulin_app_email": properties.get("email") or properties.get("moulin_app_email", ""),
    }


CONTACTS = StreamSpec(
    name="contacts",
    properties=CONTACT_PROPERTIES,
    transform=contact_payloads,
    sources=app_du_moulin("customers", "company_contacts", "companies", "customer_order_totals"),
    # contact → company: unlabeled (279) and primary (1). HubSpot keeps one primary company.
    links=(Link("company_key", "companies", (279, 1)),),
    adopt_by="email",
    customer_column="source_key",
    warned_as="created without email",
    withhold=without_email,
    description="B2C customers and B2B contacts",
    payload_description="HubSpot contact payloads keyed by moulin_customer_id (one whose "
    "email is missing, invalid or another customer's goes without it, as a warning), the "
    "quarantine and the GDPR erasures.",
    write_description="Customers in HubSpot: upserted by moulin_customer_id, adopted by email, "
    "associated with their company as primary, archived when erased at the source.",
)
