"""Support tickets from Freshdesk as HubSpot tickets, keyed by `freshdesk_ticket_id`, on
the requester's contact (and, for a B2B customer, their company).

The requester is the customer who has their email (any email the requester was seen
with, the current one first: an email changed in Freshdesk moves nothing), else a HubSpot
contact that already has it (looked up, never created); a ticket of neither waits. A
ticket deleted or marked spam in Freshdesk, or of a customer erased at the source (GDPR),
is archived.
"""

from __future__ import annotations

import polars as pl

from moulin_sync.hubspot.streams.cleaning import clean_text, hubspot_datetime
from moulin_sync.hubspot.streams.payloads import Payloads, split_on_reason
from moulin_sync.hubspot.streams.spec import (
    Custom,
    Link,
    Lookup,
    PipelineSpec,
    PipelineStages,
    Property,
    PropertyGroup,
    Stage,
    StreamSpec,
    TransformContext,
)
from moulin_sync.hubspot.streams.values import (
    MAX_STRING_CHARS,
    Filled,
    Instant,
    Key,
    Name,
    Text,
    one_of,
)
from moulin_sync.sources.app_du_moulin.quality import EMAIL_PATTERN, email_problem, is_erased
from moulin_sync.sources.app_du_moulin.vocabulary import Choice
from moulin_sync.sources.freshdesk.tickets import LISTED, status_label

PRIORITIES = {1: "LOW", 2: "MEDIUM", 3: "HIGH", 4: "URGENT"}
# Freshdesk's sources, as HubSpot's `source_type` options (the others have none).
SOURCE_TYPES = {1: "EMAIL", 2: "FORM", 3: "PHONE", 7: "CHAT", 9: "FORM", 10: "EMAIL", 15: "CHAT"}
SOURCE_LABELS = {
    1: "E-mail", 2: "Portail", 3: "Téléphone", 5: "Twitter", 6: "Facebook", 7: "Chat",
    8: "MobiHelp", 9: "Widget", 10: "E-mail sortant", 11: "Ecommerce", 15: "Chat web",
}  # fmt: skip
SOURCE_TYPE_OPTIONS = (
    Choice("EMAIL", "Email"), Choice("CHAT", "Chat"), Choice("PHONE", "Phone"),
    Choice("FORM", "Form"),
)  # fmt: skip
PRIORITY_OPTIONS = tuple(Choice(v, v.title()) for v in PRIORITIES.values())
# Ends a description cut to HubSpot's limit; the whole is in Freshdesk.
CUT = "\n[…] (cut: {} characters in Freshdesk)"
NO_SUBJECT = "Ticket Freshdesk {}"

TICKET_PROPERTIES = (
    Property("subject", Name),
    Property("content", Text),
    Property("hs_pipeline", Filled),
    Property("hs_pipeline_stage", Filled),
    Property("hs_ticket_priority", one_of(PRIORITY_OPTIONS, optional=True)),
    Property("source_type", one_of(SOURCE_TYPE_OPTIONS, optional=True)),
    Custom(
        "freshdesk_ticket_id",
        Key,
        "ID ticket Freshdesk",
        "string",
        "The ticket's id in Freshdesk; one HubSpot ticket per Freshdesk ticket, never two.",
        unique=True,
    ),
    Custom("freshdesk_status", Text, "Statut Freshdesk", "string", "The status in Freshdesk."),
    Custom("freshdesk_source", Text, "Canal Freshdesk", "string", "Where the ticket came from."),
    Custom("freshdesk_type", Text, "Type Freshdesk", "string", "The ticket's type in Freshdesk."),
    Custom(
        "freshdesk_tags", Text, "Tags Freshdesk", "string", "The ticket's tags, comma-separated."
    ),
    Custom(
        "freshdesk_created_at",
        Instant,
        "Créé dans Freshdesk le",
        "datetime",
        "When the ticket was created in Freshdesk.",
    ),
    Custom("freshdesk_url", Text, "Lien Freshdesk", "string", "The ticket in Freshdesk."),
)


def ticket_payloads(
    tickets: pl.DataFrame,
    customers: pl.DataFrame,
    company_contacts: pl.DataFrame,
    *,
    context: TransformContext,
) -> Payloads:
    """One HubSpot ticket per Freshdesk ticket, keyed by its id; deleted, spam and erased
    customers' tickets archived; tickets whose requester no email can name quarantined."""
    pipeline = context.pipeline
    if pipeline is None:
        raise ValueError("ticket payloads need the ticket pipeline's stage ids")
    matched = _requesters(tickets, customers, company_contacts)
    live = matched.filter((pl.col("listing") == LISTED) & ~pl.col("of_erased"))
    frame = live.select(
        pl.col("id").cast(pl.String).alias("source_key"),
        pl.coalesce(clean_text("subject"), pl.format(NO_SUBJECT, "id")).alias("subject"),
        _content().alias("content"),
        pl.lit(pipeline.pipeline_id).alias("hs_pipeline"),
        _stage(pipeline).alias("hs_pipeline_stage"),
        pl.col("priority")
        .replace_strict(PRIORITIES, default=None, return_dtype=pl.String)
        .alias("hs_ticket_priority"),
        pl.col("source")
        .replace_strict(SOURCE_TYPES, default=None, return_dtype=pl.String)
        .alias("source_type"),
        pl.col("id").cast(pl.String).alias("freshdesk_ticket_id"),
        status_label(pl.col("status")).alias("freshdesk_status"),
        pl.col("source")
        .replace_strict(SOURCE_LABELS, default=pl.format("source {}", "source"))
        .alias("freshdesk_source"),
        pl.col("type").alias("freshdesk_type"),
        pl.col("tags").alias("freshdesk_tags"),
        hubspot_datetime("created_at").alias("freshdesk_created_at"),
        pl.col("url").alias("freshdesk_url"),
        pl.col("customer_id").cast(pl.String).alias("contact_key"),
        pl.col("company_id_adm").cast(pl.String).alias("company_key"),
        pl.col("lookup_email").alias("requester_email"),
        _no_requester().alias("reason"),
        _warning(pipeline).alias("warning"),
    )
    gone = matched.filter((pl.col("listing") != LISTED) | pl.col("of_erased"))
    erased = gone.select(pl.col("id").cast(pl.String).alias("source_key"))
    return split_on_reason(frame, erased=erased)


def _requesters(
    tickets: pl.DataFrame, customers: pl.DataFrame, company_contacts: pl.DataFrame
) -> pl.DataFrame:
    """Each ticket with its customer (by the first of the requester's emails a live
    customer has, the oldest account first), that customer's company, whether the
    requester is a customer erased at the source, and the email to look a contact up by."""
    usable = customers.filter(email_problem().is_null()).sort("created_at", "id")
    email = pl.col("email").str.strip_chars().str.to_lowercase()
    by_email = usable.group_by(email.alias("seen"), maintain_order=True).agg(
        pl.col("id").first().alias("customer_id"), is_erased().first().alias("erased")
    )
    candidates = (
        tickets.select("id", pl.col("requester_emails").alias("seen"))
        .with_row_index("row")
        .explode("seen")
        .with_columns(rank=pl.int_range(pl.len()).over("row"))
        .join(by_email, on="seen", how="inner")
        .sort("row", "rank")
    )
    live = candidates.filter(~pl.col("erased")).unique("id", keep="first", maintain_order=True)
    erased = candidates.filter(pl.col("erased")).select("id").unique()
    companies = company_contacts.sort("customer_id", "company_id").unique(
        "customer_id", keep="first"
    )
    current = pl.col("requester_email").str.strip_chars().str.to_lowercase()
    return (
        tickets.join(live.select("id", "customer_id"), on="id", how="left")
        .join(
            companies.select("customer_id", pl.col("company_id").alias("company_id_adm")),
            on="customer_id",
            how="left",
        )
        .with_columns(
            of_erased=pl.col("id").is_in(erased["id"]) & pl.col("customer_id").is_null(),
            lookup_email=pl.when(current.str.contains(EMAIL_PATTERN)).then(current),
        )
    )


def _content() -> pl.Expr:
    """The description as text, cut to HubSpot's limit with a note saying so."""
    text = pl.col("description_text").fill_null("")
    length = text.str.len_chars()
    note = pl.format(CUT, length)
    return (
        pl.when(length > MAX_STRING_CHARS)
        .then(text.str.slice(0, MAX_STRING_CHARS - 60) + note)
        .otherwise(text)
    )


def _no_requester() -> pl.Expr:
    """Why no contact can hold the ticket (null: one can, or may once it is in HubSpot)."""
    email = pl.col("requester_email").str.strip_chars()
    return (
        pl.when(pl.col("customer_id").is_not_null() | pl.col("lookup_email").is_not_null())
        .then(pl.lit(None, pl.String))
        .when(email.is_null() | (email == ""))
        .then(
            pl.format(
                "requester {} has no email: add one in Freshdesk for a contact to hold it",
                "requester_id",
            )
        )
        .otherwise(
            pl.format(
                "requester {} has the email {}, which is not an email: fix it in Freshdesk",
                "requester_id",
                "requester_email",
            )
        )
    )


def _stage(pipeline: PipelineStages) -> pl.Expr:
    """The stage of the ticket's status; a status with none, the fallback's stage."""
    stages = {int(status): stage for status, stage in pipeline.stage_ids.items()}
    fallback = pipeline.stage_ids[TICKET_PIPELINE.fallback_status or ""]
    return pl.col("status").replace_strict(stages, default=fallback, return_dtype=pl.String)


def _warning(pipeline: PipelineStages) -> pl.Expr:
    """What the source should fix while the ticket is written all the same."""
    # Reports stay short: a summary's cell holds 80 characters.
    fallback = TICKET_PIPELINE.fallback_status or ""
    stage = TICKET_PIPELINE.default_stage_for_status.get(fallback, fallback)
    unmapped = ~pl.col("status").is_in([int(s) for s in pipeline.stage_ids])
    length = pl.col("description_text").str.len_chars()
    return (
        pl.when(unmapped)
        .then(
            pl.format(
                f"Freshdesk status {{}}: no stage in {TICKET_PIPELINE.stages_variable}, put in "
                f"{stage}",
                "status",
            )
        )
        .when(length > MAX_STRING_CHARS)
        .then(
            pl.format(
                f"description of {{}} characters cut to HubSpot's {MAX_STRING_CHARS:,}", length
            )
        )
    )


# Our own pipeline: Freshdesk's statuses, each a stage. Custom statuses (6 and up) are the
# account's own: mapped in MOULIN_TICKET_STAGES, else put with the pending ones, reported.
TICKET_PIPELINE = PipelineSpec(
    object_type="tickets",
    default_label="Support Freshdesk",
    stages=(
        Stage("Ouvert", "", False, ("2",)),
        Stage("En attente", "", False, ("3",)),
        Stage("Résolu", "", True, ("4",)),
        Stage("Fermé", "", True, ("5",)),
    ),
    label_variable="MOULIN_TICKET_PIPELINE",
    stages_variable="MOULIN_TICKET_STAGES",
    status_noun="Freshdesk status",
    status_pattern=r"[6-9]|[1-9]\d+",
    fallback_status="3",
)

TICKETS = StreamSpec(
    name="tickets",
    properties=TICKET_PROPERTIES,
    transform=ticket_payloads,
    sources={
        "tickets": ("freshdesk", "tickets"),
        "customers": ("app_du_moulin", "customers"),
        "company_contacts": ("app_du_moulin", "company_contacts"),
    },
    # ticket → contact (16, HubSpot's default): the customer's contact, else a contact
    # HubSpot has with the requester's email; neither: the ticket waits. ticket →
    # company, unlabeled (339) and primary (26): a B2B customer's company, when in HubSpot.
    links=(
        Link(
            "contact_key",
            "contacts",
            (16,),
            required=True,
            lookup=Lookup("requester_email", "email"),
        ),
        Link("company_key", "companies", (339, 26)),
    ),
    pipeline=TICKET_PIPELINE,
    erasure="archive",
    customer_column="contact_key",
    property_group=PropertyGroup("freshdesk", "Freshdesk"),
    description="support tickets",
    warned_as="written with a warning",
    payload_description="One HubSpot ticket payload per Freshdesk ticket, keyed by "
    "freshdesk_ticket_id, with its requester's customer (or email, to find their contact "
    "by); the quarantine (requester without a usable email); deleted, spam and erased "
    "customers' tickets to archive.",
    write_description="Freshdesk tickets as HubSpot tickets on the requester's contact (and "
    "company), in the 'Support Freshdesk' pipeline; updated when they change, never twice; "
    "archived when deleted or marked spam.",
)
