"""Typeform responses as a table of NPS answers, matched to the App du Moulin's
customers: pure functions (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from moulin_sync.sources.app_du_moulin.quality import (
    EMAIL_PATTERN,
    email_problem,
    is_erased,
    normalised_email,
)
from moulin_sync.sources.typeform.client import TypeformError

SCORE_TYPES = ("opinion_scale", "nps", "rating", "number")
ANSWERS_SCHEMA = {
    "token": pl.String,
    "response_id": pl.String,
    "submitted_at": pl.Datetime("us", "UTC"),
    "landed_at": pl.Datetime("us", "UTC"),
    "score": pl.Int64,
    "score_problem": pl.String,  # why the score cannot be used (null: it can)
    "comment": pl.String,
    "hidden_email": pl.String,
    "hidden_customer_id": pl.String,
}
MATCH_SCHEMA = {"customer_id": pl.Int64, "matched_by": pl.String}


def check_form(form: Mapping[str, Any], score_ref: str, comment_ref: str) -> None:
    """The form has the questions the settings name (else one line naming the setting:
    someone edited the form)."""
    fields = {str(f.get("ref")): str(f.get("type")) for f in form.get("fields") or []}
    refs = ", ".join(f"{ref} ({kind})" for ref, kind in fields.items()) or "none"
    form_id = form.get("id", "?")
    if score_ref not in fields:
        raise TypeformError(
            f"TYPEFORM_NPS_FIELD_REF: form {form_id} has no question with ref {score_ref!r} "
            f"(its questions: {refs}). Set the ref of its score question."
        )
    if fields[score_ref] not in SCORE_TYPES:
        raise TypeformError(
            f"TYPEFORM_NPS_FIELD_REF: question {score_ref!r} of form {form_id} is a "
            f"{fields[score_ref]}, not a score ({', '.join(SCORE_TYPES)}). Set the ref of its "
            "score question."
        )
    if comment_ref not in fields:
        raise TypeformError(
            f"TYPEFORM_COMMENT_FIELD_REF: form {form_id} has no question with ref "
            f"{comment_ref!r} (its questions: {refs}). Set the ref of its comment question."
        )


def answers_of(
    items: Iterable[Mapping[str, Any]], score_ref: str, comment_ref: str
) -> pl.DataFrame:
    """One row per response: its score (the number answered to `score_ref`), comment,
    hidden fields and dates."""
    rows = []
    for item in items:
        answered = {str((a.get("field") or {}).get("ref")): a for a in item.get("answers") or []}
        score, problem = _score(answered.get(score_ref), score_ref)
        comment = answered.get(comment_ref) or {}
        hidden = item.get("hidden") or {}
        rows.append(
            (
                str(item.get("token") or item.get("response_id")),
                str(item.get("response_id") or item.get("token")),
                item.get("submitted_at"),
                item.get("landed_at"),
                score,
                problem,
                comment.get("text"),
                _text(hidden.get("email")),
                _text(hidden.get("customer_id")),
            )
        )
    frame = pl.DataFrame(
        rows,
        schema={**ANSWERS_SCHEMA, "submitted_at": pl.String, "landed_at": pl.String},
        orient="row",
    )
    return frame.with_columns(_instant("submitted_at"), _instant("landed_at")).select(
        list(ANSWERS_SCHEMA)
    )


def _score(answer: Mapping[str, Any] | None, ref: str) -> tuple[int | None, str | None]:
    if answer is None:
        return None, f"no answer to the score question (ref {ref})"
    value = answer.get("number")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None, f"the score question (ref {ref}) was not answered with a number"
    if value != int(value) or not 0 <= value <= 10:
        return None, f"score {value} is outside 0–10"
    return int(value), None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _instant(column: str) -> pl.Expr:
    text = pl.col(column).str.replace(r"Z$", "+00:00")
    return (
        pl.coalesce(
            text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", strict=False),
            text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC", strict=False),
        )
        .dt.cast_time_unit("us")
        .alias(column)
    )


def merged(known: pl.DataFrame | None, pulled: pl.DataFrame) -> pl.DataFrame:
    """Every answer once (by token): the last pull's and the new ones; newest first."""
    frames = [f.select(list(ANSWERS_SCHEMA)) for f in (known, pulled) if f is not None]
    return (
        pl.concat(frames, how="vertical")
        .unique("token", keep="first", maintain_order=True)
        .sort("submitted_at", "token", descending=True, nulls_last=True)
    )


def matched(answers: pl.DataFrame, customers: pl.DataFrame) -> pl.DataFrame:
    """The answers with the customer each is from: by the hidden field `customer_id`
    (a live customer's), else by the hidden `email` (the customer carrying it, the
    oldest account first). Answers of an erased customer (GDPR) are dropped: they are not
    kept anywhere."""
    live = customers.filter(~is_erased())
    by_id = live.select(
        pl.col("id").cast(pl.String).alias("hidden_customer_id"), pl.col("id").alias("by_id")
    )
    by_email = (
        live.filter(email_problem().is_null())
        .sort("created_at", "id")
        .group_by(normalised_email().alias("email"), maintain_order=True)
        .agg(pl.col("id").first().alias("by_email"))
    )
    erased = customers.filter(is_erased())
    gone_ids = erased["id"].cast(pl.String).to_list()
    gone_emails = erased.select(normalised_email().alias("e"))["e"].drop_nulls().to_list()
    found = (
        answers.with_columns(email=pl.col("hidden_email").str.strip_chars().str.to_lowercase())
        .join(by_id, on="hidden_customer_id", how="left")
        .join(by_email, on="email", how="left")
        .with_columns(
            customer_id=pl.coalesce("by_id", "by_email"),
            matched_by=pl.when(pl.col("by_id").is_not_null())
            .then(pl.lit("customer_id"))
            .when(pl.col("by_email").is_not_null())
            .then(pl.lit("email")),
        )
    )
    of_erased = (
        pl.col("hidden_customer_id").is_in(gone_ids).fill_null(False)
        | pl.col("email").is_in(gone_emails).fill_null(False)
    ) & pl.col("customer_id").is_null()
    return found.filter(~of_erased).select(*ANSWERS_SCHEMA, *MATCH_SCHEMA)


def why_unmatched() -> pl.Expr:
    """Why an answer names no customer, in words (for the answers that name none)."""
    email = pl.col("hidden_email").str.strip_chars().str.to_lowercase()
    return (
        pl.when(pl.col("hidden_email").is_null() & pl.col("hidden_customer_id").is_null())
        .then(pl.lit("neither hidden field email nor customer_id is filled"))
        .when(
            pl.col("hidden_email").is_not_null()
            & ~email.str.contains(EMAIL_PATTERN).fill_null(False)
        )
        .then(pl.lit("the hidden email is not an email"))
        .when(pl.col("hidden_email").is_not_null())
        .then(pl.lit("no live customer has this email"))
        .otherwise(pl.format("no live customer {}", "hidden_customer_id"))
    )


def nps_of(scores: pl.Series) -> float | None:
    """% promoters (9–10) − % detractors (0–6), of the scores given."""
    valid = scores.drop_nulls()
    if valid.is_empty():
        return None
    promoters = (valid >= 9).sum()
    detractors = (valid <= 6).sum()
    return round(100.0 * (promoters - detractors) / valid.len(), 1)


def category(score: pl.Expr) -> pl.Expr:
    """promoter (9–10), passive (7–8), detractor (0–6)."""
    return (
        pl.when(score >= 9)
        .then(pl.lit("promoter"))
        .when(score >= 7)
        .then(pl.lit("passive"))
        .when(score.is_not_null())
        .then(pl.lit("detractor"))
    )


def nps_by_month(answers: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Per month of submission: answers, promoters, passives, detractors and the NPS."""
    scored = answers.filter(pl.col("score").is_not_null()).with_columns(
        month=pl.col("submitted_at").dt.convert_time_zone(timezone).dt.strftime("%Y-%m"),
        kind=category(pl.col("score")),
    )
    by_month = scored.group_by("month").agg(
        answers=pl.len(),
        promoters=(pl.col("kind") == "promoter").sum(),
        passives=(pl.col("kind") == "passive").sum(),
        detractors=(pl.col("kind") == "detractor").sum(),
    )
    return by_month.with_columns(
        nps=((pl.col("promoters") - pl.col("detractors")) * 100.0 / pl.col("answers")).round(1)
    ).sort("month", descending=True)


def empty_answers(columns: Sequence[str] = ()) -> pl.DataFrame:
    schema = {**ANSWERS_SCHEMA, **MATCH_SCHEMA}
    return pl.DataFrame(schema={c: schema[c] for c in columns} if columns else schema)
