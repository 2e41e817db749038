"""Demo NPS answers in the Typeform emulator, consistent with a demo App du Moulin.

    summary = fill_typeform("http://127.0.0.1:8766", "emulator-token", "MoulinNPS",
                            "sqlite:///demo.db", seed=42, now=datetime.now(UTC))

creates (or replaces) the NPS form — an `opinion_scale` question `nps` (0–10), a
`long_text` question `comment`, hidden fields `email` and `customer_id` — empties its
responses, and posts about one answer for a third of the customers of `source_url`
(`responses` to choose) through the emulator's admin route, in batches. Who answers, when
and what: `typeform_plan`. Same database, seed and `now`: the same responses, tokens
included. `now` should be the moment of the fill: nothing is submitted in its last hour,
so the emulator's listing delay (30 min by default) hides nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from moulin_sync.demo_data.typeform_plan import (
    COMMENT_FIELD,
    SCORE_FIELD,
    Answer,
    Customer,
    plan_answers,
    to_item,
)
from moulin_sync.demo_data.world import GeneratorError
from moulin_sync.emulators.typeform.timestamps import iso
from moulin_sync.lib.urls import redacted
from moulin_sync.sources.app_du_moulin.reader import SourceError, SourceReader

DEFAULT_FORM_ID = "MoulinNPS"
BATCH = 500
NPS_FORM = {
    "title": "Recommanderiez-vous Le Moulin ?",
    "fields": [
        {**SCORE_FIELD, "title": "Sur une échelle de 0 à 10, recommanderiez-vous Le Moulin "
                                 "à un proche ?"},
        {**COMMENT_FIELD, "title": "Qu'est-ce qui justifie votre note ?"},
    ],
    "hidden": ["email", "customer_id"],
}  # fmt: skip


class TypeformDemoError(GeneratorError):
    """The demo answers could not be made; the message says what to fix."""


@dataclass(frozen=True)
class TypeformSummary:
    """What `fill_typeform` posted."""

    url: str
    form_id: str
    responses: int
    customers_answering: int
    answered_twice: int
    by_email: int
    by_customer_id: int
    unknown_emails: int
    without_score: int
    old_score_ref: int
    without_comment: int
    longest_comment: int
    promoters: int
    passives: int
    detractors: int
    first_submitted_at: str
    last_submitted_at: str

    @property
    def nps(self) -> int:
        """% promoters − % detractors among the scored answers, every answer counted."""
        scored = self.promoters + self.passives + self.detractors
        return round(100 * (self.promoters - self.detractors) / scored) if scored else 0

    def rows(self) -> dict[str, int]:
        """The counts, for a table."""
        return {name: value for name, value in vars(self).items() if isinstance(value, int)}


def fill_typeform(
    base_url: str,
    token: str,
    form_id: str,
    source_url: str,
    *,
    seed: int,
    now: datetime,
    responses: int | None = None,
) -> TypeformSummary:
    """Replace form `form_id` in the Typeform emulator at `base_url` with the demo NPS form
    and its answers; `responses` defaults to a third of the customers."""
    customers = read_customers(source_url)
    count = round(len(customers) / 3) if responses is None else responses
    rng = random.Random(f"{seed}:typeform")
    try:
        answers = plan_answers(customers, count, rng, int(now.timestamp()))
    except ValueError as error:
        raise TypeformDemoError(
            f"Typeform demo answers for {redacted(source_url)}: {error}"
        ) from None
    items = [to_item(answer, rng, form_id) for answer in answers]
    post(base_url, token, form_id, items)
    return summarize(base_url, form_id, answers)


def read_customers(source_url: str) -> list[Customer]:
    """The customers who can answer: every one not anonymized, by id."""
    reader = SourceReader(source_url)
    try:
        reader.check()
        frame = reader.read_table(
            "customers", where="anonymized_at IS NULL",
            columns=["id", "email", "created_at", "deleted_at"],
        )  # fmt: skip
    except SourceError as error:
        raise TypeformDemoError(str(error)) from None
    return [
        Customer(row["id"], row["email"], int(row["created_at"].timestamp()),
                 int(row["deleted_at"].timestamp()) if row["deleted_at"] else None)
        for row in frame.iter_rows(named=True)
        if row["created_at"] is not None
    ]  # fmt: skip


def post(base_url: str, token: str, form_id: str, items: list[dict[str, Any]]) -> None:
    """The form, then its responses in batches, through the emulator's admin routes."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=120) as http:
        _call(http, "POST", f"/_emulator/forms/{form_id}", NPS_FORM)
        _call(http, "DELETE", f"/_emulator/forms/{form_id}/responses")
        for start in range(0, len(items), BATCH):
            batch = {"items": items[start : start + BATCH]}
            _call(http, "POST", f"/_emulator/forms/{form_id}/responses", batch)


def _call(http: httpx.Client, method: str, path: str, body: Any = None) -> None:
    try:
        answer = http.request(method, path, json=body)
    except httpx.HTTPError as error:
        raise TypeformDemoError(
            f"cannot reach the Typeform emulator at {http.base_url} ({error}): start it with "
            "`moulin-sync emulator typeform --port 8766` and pass its URL"
        ) from None
    if answer.status_code == 401:
        raise TypeformDemoError(f"the Typeform emulator at {http.base_url} refused the token: "
                                "pass the one it was started with (--token)")  # fmt: skip
    if answer.is_error:
        raise TypeformDemoError(f"the Typeform emulator answered {method} {path} with "
                                f"{answer.status_code}: {answer.text[:500]}")  # fmt: skip


def summarize(base_url: str, form_id: str, answers: list[Answer]) -> TypeformSummary:
    scores = [a.score for a in answers if a.score is not None]
    comments = [len(a.comment) for a in answers if a.comment]
    return TypeformSummary(
        url=base_url,
        form_id=form_id,
        responses=len(answers),
        customers_answering=len({a.customer for a in answers if a.customer is not None}),
        answered_twice=sum(a.second for a in answers),
        by_email=sum("email" in a.hidden for a in answers),
        by_customer_id=sum("customer_id" in a.hidden for a in answers),
        unknown_emails=sum(a.customer is None for a in answers),
        without_score=len(answers) - len(scores),
        old_score_ref=sum(a.old_ref for a in answers),
        without_comment=len(answers) - len(comments),
        longest_comment=max(comments, default=0),
        promoters=sum(s >= 9 for s in scores),
        passives=sum(7 <= s <= 8 for s in scores),
        detractors=sum(s <= 6 for s in scores),
        first_submitted_at=iso(answers[0].at),
        last_submitted_at=iso(answers[-1].at),
    )
