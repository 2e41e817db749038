"""Data-quality findings on the source tables, as pure polars functions.

Each returns one row per finding, so a check can count them and show examples, and a
transform can quarantine the same rows with the same reason.
"""

from __future__ import annotations

import polars as pl

# Close to what HubSpot accepts: a local part of letters (any script), digits and the
# RFC 5322 specials, dot-separated; '@'; a dotted domain whose labels may be any letters
# (IDN domains are valid addresses). Spaces, quotes and emoji are not.
_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@(?:\w(?:[\w-]*\w)?\.)+\w[\w-]*\w$"
MISSING_EMAIL = "missing email"
# Above this, an order amount is surely a typo (one 9e15 EUR order would swamp a total).
MAX_ORDER_AMOUNT_EUR = 1_000_000


def normalised_email(column: str = "email") -> pl.Expr:
    """Trimmed and lower-cased: the form HubSpot stores and compares."""
    return pl.col(column).str.strip_chars().str.to_lowercase()


def is_erased() -> pl.Expr:
    """A customer whose data must leave HubSpot (GDPR): deleted or anonymized."""
    return pl.col("deleted_at").is_not_null() | pl.col("anonymized_at").is_not_null()


def email_problem() -> pl.Expr:
    """Why a customer's email cannot identify a HubSpot contact, or null when it can."""
    email = normalised_email()
    return (
        pl.when(email.is_null() | (email == ""))
        .then(pl.lit(MISSING_EMAIL))
        .when(email.str.len_chars() > 254)
        .then(pl.lit("email longer than 254 characters"))
        .when(~email.str.contains(EMAIL_PATTERN))
        .then(pl.lit("invalid email syntax"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def invalid_emails(customers: pl.DataFrame) -> pl.DataFrame:
    """Live customers whose email is missing or malformed, with the reason."""
    return (
        customers.filter(~is_erased())
        .with_columns(reason=email_problem())
        .filter(pl.col("reason").is_not_null())
        .select("id", "email", "reason")
        .sort("id")
    )


def duplicate_emails(customers: pl.DataFrame) -> pl.DataFrame:
    """Valid emails (after trimming and lower-casing) carried by several live customers.

    HubSpot keys contacts by email, so these customers would collapse into one contact.
    """
    return (
        customers.filter(~is_erased() & email_problem().is_null())
        .group_by(email=normalised_email())
        .agg(customer_ids=pl.col("id").sort(), customers=pl.len())
        .filter(pl.col("customers") > 1)
        .sort("customers", "email", descending=[True, False])
    )


def oldest_first(customers: pl.DataFrame, ids: list[int]) -> list[int]:
    """These customers' ids, the oldest account first (then the lowest id): the one who
    keeps a shared email on a first sync."""
    return customers.filter(pl.col("id").is_in(ids)).sort("created_at", "id")["id"].to_list()


def orders_without_live_customer(orders: pl.DataFrame, customers: pl.DataFrame) -> pl.DataFrame:
    """Orders whose customer does not exist, or was erased (GDPR)."""
    known = customers.select(
        pl.col("id").alias("customer_id"), is_erased().alias("customer_erased")
    )
    return (
        orders.select("id", "order_number", "customer_id", "ordered_at")
        .join(known, on="customer_id", how="left")
        .with_columns(
            reason=pl.when(pl.col("customer_erased").is_null())
            .then(pl.lit("customer missing"))
            .when(pl.col("customer_erased"))
            .then(pl.lit("customer erased"))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        .filter(pl.col("reason").is_not_null())
        .drop("customer_erased")
        .sort("id")
    )
