"""`typeform/nps_responses`: the NPS survey's answers, pulled incrementally every night
and matched to the App du Moulin's customers; its check reports the answers of nobody."""

from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    Failure,
    MetadataValue,
    Output,
    asset,
)

from moulin_sync.defs.resources import SyncSettings
from moulin_sync.defs.retries import TRANSIENT
from moulin_sync.defs.typeform.resources import Typeform
from moulin_sync.lib.metadata import table_sample
from moulin_sync.lib.snapshots import published_path
from moulin_sync.sources.typeform.answers import (
    check_form,
    matched,
    nps_by_month,
    nps_of,
    why_unmatched,
)
from moulin_sync.sources.typeform.client import TypeformError
from moulin_sync.sources.typeform.pull import pull
from moulin_sync.sources.typeform.source import NPS_RESPONSES

GROUP = "typeform"
UNMATCHED = "nps_answers_have_a_customer"


def last_pull(data_dir: str) -> pl.DataFrame | None:
    """The answers of the last pull (its snapshot), None before the first."""
    snapshot = published_path(Path(data_dir), NPS_RESPONSES, ".parquet")
    return pl.read_parquet(snapshot) if snapshot.is_file() else None


@asset(
    key=list(NPS_RESPONSES),
    group_name=GROUP,
    kinds={"typeform", "polars"},
    ins={"customers": AssetIn(key=["app_du_moulin", "customers"])},
    check_specs=[AssetCheckSpec(UNMATCHED, asset=list(NPS_RESPONSES))],
    retry_policy=TRANSIENT,
    description="The NPS survey's answers (token, submitted_at, score, comment, hidden "
    "fields, matched customer), pulled since the last pull at Typeform's 2 requests/s; an "
    "erased customer's are not kept.",
)
def nps_responses(
    context: AssetExecutionContext,
    settings: SyncSettings,
    typeform: Typeform,
    customers: pl.DataFrame,
):
    config = typeform.config()
    try:
        with typeform.client() as client:
            check_form(client.form(config.form_id), config.nps_field_ref, config.comment_field_ref)
            pulled = pull(
                client,
                config.form_id,
                last_pull(settings.data_dir),
                score_ref=config.nps_field_ref,
                comment_ref=config.comment_field_ref,
            )
    except TypeformError as exc:
        # A setting to fix: retrying would not help; the other streams go on.
        raise Failure(description=str(exc), allow_retries=False) from None
    answers = matched(pulled.answers, customers)
    yield Output(answers, metadata=_figures(answers, pulled, settings.timezone))
    yield _unmatched_check(answers)


def _figures(answers: pl.DataFrame, pulled, timezone: str) -> dict:
    """What the UI charts run after run: the NPS now and its counts (numbers, for the
    Plots tab), by month as a table, and how many answers were matched."""
    ours = answers.filter(pl.col("customer_id").is_not_null())
    latest = (
        ours.filter(pl.col("score").is_not_null())
        .sort("submitted_at", descending=True)
        .unique("customer_id", keep="first")
    )
    scores = latest["score"]
    return {
        "dagster/row_count": answers.height,
        "nps": nps_of(scores) if scores.len() else 0.0,
        "promoters": int((scores >= 9).sum()),
        "passives": int(((scores >= 7) & (scores <= 8)).sum()),
        "detractors": int((scores <= 6).sum()),
        "customers_with_an_answer": latest.height,
        "answers": answers.height,
        "new_answers": pulled.new,
        "matched": ours.height,
        "unmatched": answers.height - ours.height,
        "without_score": int(answers["score_problem"].is_not_null().sum()),
        "requests": pulled.requests,
        "pull_seconds": round(pulled.seconds, 2),
        "pulled_since": MetadataValue.text(
            pulled.since.isoformat() if pulled.since else "the form's first answer"
        ),
        "nps_by_month": table_sample(nps_by_month(answers, timezone), rows=36),
    }


def _unmatched_check(answers: pl.DataFrame) -> AssetCheckResult:
    """Answers whose hidden fields name no customer: written nowhere (never a new
    contact), shown for whoever sends the survey."""
    nobody = answers.filter(pl.col("customer_id").is_null()).select(
        "token", "submitted_at", "hidden_email", "hidden_customer_id", "score",
        why_unmatched().alias("why"),
    )  # fmt: skip
    return AssetCheckResult(
        check_name=UNMATCHED,
        passed=nobody.is_empty(),
        severity=AssetCheckSeverity.WARN,
        description="NPS answers whose hidden email or customer_id names no live customer "
        "of the App du Moulin: written nowhere.",
        metadata={"unmatched": nobody.height, "examples": table_sample(nobody, rows=20)},
    )
