"""NPS answers from Typeform on the customer's contact: the latest answer's score,
comment, date and category. A stream that only enriches the contacts stream's records:
it never creates a contact, and an answer whose contact is not in HubSpot waits."""

from __future__ import annotations

import polars as pl

from moulin_sync.hubspot.streams.cleaning import hubspot_datetime
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import Custom, PropertyGroup, StreamSpec, TransformContext
from moulin_sync.hubspot.streams.values import MAX_STRING_CHARS, Count, Instant, Text, one_of
from moulin_sync.sources.app_du_moulin.quality import is_erased
from moulin_sync.sources.app_du_moulin.vocabulary import Choice
from moulin_sync.sources.typeform.answers import category

NPS_CATEGORIES = (
    Choice("promoter", "Promoteur (9–10)"),
    Choice("passive", "Passif (7–8)"),
    Choice("detractor", "Détracteur (0–6)"),
)
CUT = " […]"  # ends a comment cut to HubSpot's limit

NPS_PROPERTIES = (
    Custom("nps_score", Count, "Score NPS", "number", "The latest NPS answer's score, 0 to 10."),
    Custom(
        "nps_comment",
        Text,
        "Commentaire NPS",
        "string",
        "The latest NPS answer's comment, as the customer wrote it.",
        field_type="textarea",
    ),
    Custom(
        "nps_submitted_at",
        Instant,
        "Date de la réponse NPS",
        "datetime",
        "When the latest NPS answer was submitted.",
    ),
    Custom(
        "nps_category",
        one_of(NPS_CATEGORIES),
        "Catégorie NPS",
        "enumeration",
        "Promoter (9–10), passive (7–8) or detractor (0–6), by the latest score.",
        NPS_CATEGORIES,
    ),
)


def nps_payloads(
    nps_responses: pl.DataFrame, customers: pl.DataFrame, *, context: TransformContext
) -> Payloads:
    """Per customer, their latest answer with a score (an older answer arriving late
    never wins over a newer one); answers without a usable score are quarantined;
    answers of no customer are not written anywhere (the source check reports them)."""
    live = customers.filter(~is_erased()).select(pl.col("id").alias("customer_id"))
    theirs = nps_responses.join(live, on="customer_id", how="semi")
    quarantine = theirs.filter(pl.col("score_problem").is_not_null()).select(
        pl.col("token").alias("source_key"),
        pl.col("score_problem").alias("reason"),
        pl.col("customer_id").cast(pl.String).alias("source_customer"),
    )
    latest = (
        theirs.filter(pl.col("score_problem").is_null())
        .sort("submitted_at", "token", descending=True)
        .unique("customer_id", keep="first", maintain_order=True)
    )
    comment = pl.col("comment").fill_null("")
    records = latest.select(
        pl.col("customer_id").cast(pl.String).alias("source_key"),
        pl.col("score").cast(pl.String).alias("nps_score"),
        pl.when(comment.str.len_chars() > MAX_STRING_CHARS)
        .then(comment.str.slice(0, MAX_STRING_CHARS - len(CUT)) + CUT)
        .otherwise(comment)
        .alias("nps_comment"),
        hubspot_datetime("submitted_at").alias("nps_submitted_at"),
        category(pl.col("score")).alias("nps_category"),
    )
    erased = pl.DataFrame(schema={"source_key": pl.String})
    return Payloads(records=records, quarantine=quarantine.drop("source_customer"), erased=erased)


NPS = StreamSpec(
    name="contacts.nps",
    properties=NPS_PROPERTIES,
    transform=nps_payloads,
    sources={
        "nps_responses": ("typeform", "nps_responses"),
        "customers": ("app_du_moulin", "customers"),
    },
    enriches="contacts",
    customer_column="source_key",
    property_group=PropertyGroup("typeform_nps", "Typeform NPS"),
    hubspot_object="contacts",
    description="NPS answers",
    payload_description="Per customer, their latest Typeform NPS answer with a score (on "
    "their contact), and the quarantine (answers without a usable score).",
    write_description="The latest NPS answer on each customer's contact in HubSpot: score, "
    "comment, date and category; never a contact created for an answer.",
)
