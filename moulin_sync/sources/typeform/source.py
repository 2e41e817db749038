"""Typeform as a source: the NPS survey's answers, pulled incrementally every night
(no months: answers arrive whenever customers submit them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from moulin_sync.lib.snapshots import published_path
from moulin_sync.sources.spec import Frames, Scope, SourceFrames, SourceSpec
from moulin_sync.sources.typeform.answers import (
    answers_of,
    check_form,
    empty_answers,
    matched,
)
from moulin_sync.sources.typeform.client import TypeformClient
from moulin_sync.sources.typeform.settings import TypeformSettings, typeform_is_on

if TYPE_CHECKING:
    from moulin_sync.settings import MoulinSettings

NAME = "typeform"
NPS_RESPONSES = (NAME, "nps_responses")
CUSTOMERS = ("app_du_moulin", "customers")


def client_of(config: TypeformSettings) -> TypeformClient:
    return TypeformClient(config.base_url, config.token.get_secret_value())


def _config(settings: MoulinSettings) -> TypeformSettings:
    from moulin_sync.settings import load

    return load(TypeformSettings, fallback="TYPEFORM_TOKEN")


def _tables(scope: Scope) -> Frames:
    """The answers of the last pull (its snapshot): a dry run calls no service."""
    snapshot = published_path(scope.data_dir or ".", NPS_RESPONSES, ".parquet")
    answers = pl.read_parquet(snapshot) if snapshot.is_file() else empty_answers()
    return SourceFrames({NAME: _Table(answers)})


def _customer(scope: Scope) -> Frames:
    """One customer's answers: one request per email of theirs (Typeform's `query`
    matches hidden fields)."""
    config: TypeformSettings = scope.config[NAME]
    assert scope.known is not None and scope.customer_id is not None
    customers = scope.known.frame(CUSTOMERS)
    mine = customers.filter(pl.col("id") == scope.customer_id)
    emails = mine["email"].drop_nulls().str.strip_chars().str.to_lowercase().unique().to_list()
    found = [empty_answers()]
    with client_of(config) as client:
        for email in [e for e in emails if e]:
            page = client.responses(config.form_id, {"query": email, "page_size": 1000})
            items = page.get("items") or []
            answers = answers_of(items, config.nps_field_ref, config.comment_field_ref)
            found.append(matched(answers, customers))
    answers = pl.concat(found, how="vertical").unique("token", maintain_order=True)
    return SourceFrames({NAME: _Table(answers.filter(pl.col("customer_id") == scope.customer_id))})


class _Table:
    def __init__(self, answers: pl.DataFrame) -> None:
        self.answers = answers

    def frame(self, key: tuple[str, ...]) -> pl.DataFrame:
        if tuple(key) != NPS_RESPONSES:
            raise KeyError(f"{'/'.join(key)} is not a Typeform table")
        return self.answers


def _probe(config: TypeformSettings) -> None:
    """The token opens the form, and the form has the questions the settings name."""
    with client_of(config) as client:
        form = client.form(config.form_id)
    check_form(form, config.nps_field_ref, config.comment_field_ref)


TYPEFORM = SourceSpec(
    name=NAME,
    label="Typeform",
    config=_config,
    enabled=typeform_is_on,
    tables=_tables,
    customer=_customer,
    probe=_probe,
    resource_key="typeform",
)
