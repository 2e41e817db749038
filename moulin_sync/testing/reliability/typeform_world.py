"""Typeform in a reliability world: the emulator filled with NPS answers consistent with
the world's App du Moulin, and the audit of the NPS stream against what Typeform holds.

The answers are the demo's (`demo_data/typeform_plan.py`: answers by email and by
customer_id, customers answering twice, strangers, no score, an old field ref, a
10,000-character comment) plus `EARLIER` answers of an earlier campaign, so the first pull
pages (1,000 a page). Typeform keeps its published 2 requests/s, bursts of 20.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from moulin_sync.defs.typeform.resources import Typeform
from moulin_sync.demo_data.typeform import post, read_customers
from moulin_sync.demo_data.typeform_plan import Answer, plan_answers, to_item
from moulin_sync.hubspot.streams.nps import CUT
from moulin_sync.hubspot.streams.values import MAX_STRING_CHARS
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.reliability.oracle import HubSpotImage, Verdict
from moulin_sync.testing.typeform_emulator import FORM_ID, TypeformHandle, run_typeform_emulator

NPS_STREAM = "contacts.nps"
RESPONSES = f"/forms/{FORM_ID}/responses"
FORM = f"/forms/{FORM_ID}"
SEED = 7
# The fill's "now": the App du Moulin generator's today, noon (nothing submitted after).
FILLED_AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
EARLIER = 2_100  # answers of the campaign a year before: three pages in the first pull
RATE, BURST = 2.0, 20.0  # Typeform's published limit, the emulator's default burst


class TypeformService:
    """The Typeform emulator of a world (`SourceService`)."""

    source = "typeform"
    env_prefix = "TYPEFORM_"

    def __init__(self, handle: TypeformHandle, items: Sequence[dict[str, Any]]) -> None:
        self.handle = handle
        self.items = list(items)

    def env(self) -> dict[str, str]:
        return {
            "TYPEFORM_TOKEN": self.handle.token,
            "TYPEFORM_FORM_ID": FORM_ID,
            "TYPEFORM_BASE_URL": self.handle.base_url,
        }

    def resources(self) -> dict[str, Any]:
        return {
            "typeform": Typeform(
                token=self.handle.token, form_id=FORM_ID, base_url=self.handle.base_url
            )
        }

    def reset(self) -> None:
        handle = self.handle
        handle.admin.clear_faults()
        post(handle.base_url, handle.token, FORM_ID, self.items)
        settings = {"listing_delay": 0, "rate": RATE, "burst": BURST}
        handle.http.post("/_emulator/settings", json=settings).raise_for_status()
        handle.admin.reset_stats()

    def submit(self, items: Sequence[dict[str, Any]]) -> None:
        """Answers arriving at Typeform (not kept over a reset)."""
        self.handle.submit(items)

    def stored(self) -> list[dict[str, Any]]:
        """Every response Typeform holds for the form, in the API's item shape."""
        records = self.handle.admin.state()["responses"].get(FORM_ID, [])
        return [record["item"] for record in records]

    def newest(self) -> dt.datetime:
        """The newest answer's submission time: the pull's high-water mark."""
        return max(_instant(item["submitted_at"]) for item in self.stored())

    def listing_requests(self, status: int | None = None) -> int:
        return self.handle.admin.count("GET", "/forms/{form_id}/responses", status)

    def audit(self, image: HubSpotImage, *, source_url: str) -> Verdict:
        return audit_nps(image, self.stored(), SourceReader(source_url).read_table("customers"))


def world_items(source_url: str) -> list[dict[str, Any]]:
    """The world's answers: the demo survey's, and the earlier campaign's."""
    customers = read_customers(source_url)
    rng = random.Random(f"{SEED}:reliability-typeform")
    now = int(FILLED_AT.timestamp())
    answers = plan_answers(customers, max(len(customers) // 3, 10), rng, now)
    campaign = now - 400 * 86_400
    answerers = [c for c in customers if c.created < campaign]
    for i in range(EARLIER):
        customer = rng.choice(answerers)
        hidden = {"customer_id": str(customer.id)}
        score = rng.randint(0, 10)
        answers.append(Answer(campaign + 60 * i, hidden, customer.id, score, f"Avis {i}.",
                              token=f"{rng.getrandbits(128):032x}"))  # fmt: skip
    return [to_item(answer, rng, FORM_ID) for answer in answers]


@contextmanager
def typeform_service(root: Path, source_url: str) -> Iterator[TypeformService]:
    """The world's Typeform emulator (its own process), filled."""
    root.mkdir(parents=True, exist_ok=True)
    with run_typeform_emulator(token="reliability-typeform-token") as handle:
        service = TypeformService(handle, world_items(source_url))
        service.reset()
        yield service


def answer_item(
    at: dt.datetime, customer: str, score: int, comment: str, rng: random.Random
) -> dict[str, Any]:
    """A new answer of `customer` (by the hidden customer_id), submitted at `at`."""
    answer = Answer(int(at.timestamp()), {"customer_id": customer}, int(customer), score,
                    comment, token=f"{rng.getrandbits(128):032x}")  # fmt: skip
    return to_item(answer, rng, FORM_ID)


# The audit: the NPS stream in HubSpot against Typeform itself --------------------------------


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def _category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def latest_answers(
    items: Sequence[dict[str, Any]], customers: pl.DataFrame
) -> dict[str, dict[str, Any]]:
    """Per customer id, their latest answer with a score 0–10, as the issue says it: the
    customer named by the hidden `customer_id` (a live one), else the live customer whose
    email is the hidden `email` (the oldest account holding it); the score answers the
    question `nps`, the comment the question `comment`. Ties: the greater token."""
    live = customers.filter(~quality.is_erased())
    ids = {str(i) for i in live["id"]}
    owners = (
        live.filter(quality.email_problem().is_null())
        .sort("created_at", "id")
        .group_by(quality.normalised_email().alias("email"), maintain_order=True)
        .agg(pl.col("id").first())
    )
    by_email = {email: str(i) for email, i in owners.iter_rows()}
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        hidden = item.get("hidden") or {}
        named = str(hidden.get("customer_id") or "").strip()
        email = str(hidden.get("email") or "").strip().lower()
        customer = named if named in ids else by_email.get(email)
        answered = {(a.get("field") or {}).get("ref"): a for a in item.get("answers") or []}
        score = (answered.get("nps") or {}).get("number")
        if customer is None or not isinstance(score, int | float) or not 0 <= score <= 10:
            continue
        if score != int(score):
            continue
        answer = {
            "at": _instant(item["submitted_at"]),
            "token": item["token"],
            "score": int(score),
            "comment": (answered.get("comment") or {}).get("text") or "",
        }
        held = latest.get(customer)
        if held is None or (answer["at"], answer["token"]) > (held["at"], held["token"]):
            latest[customer] = answer
    return latest


def _problem(want: dict[str, Any], have: dict[str, Any]) -> str | None:
    """How the NPS on a contact differs from the latest answer, or None."""
    comment = want["comment"]
    if len(comment) > MAX_STRING_CHARS:
        comment = comment[: MAX_STRING_CHARS - len(CUT)] + CUT
    try:
        at = _instant(have.get("nps_submitted_at", ""))
        score = float(have.get("nps_score", "nan"))
    except ValueError:
        return f"unreadable NPS {have}"
    if at < want["at"]:
        return f"an older answer ({at:%Y-%m-%d %H:%M:%S}) instead of {want['at']:%Y-%m-%d %H:%M:%S}"
    if at != want["at"]:
        return f"submitted_at {at.isoformat()}, the latest answer's is {want['at'].isoformat()}"
    if score != want["score"] or have.get("nps_category") != _category(want["score"]):
        return f"score {have.get('nps_score')} ({have.get('nps_category')}), not {want['score']}"
    if (have.get("nps_comment") or "") != comment:
        return f"comment {(have.get('nps_comment') or '')[:40]!r}…, not {comment[:40]!r}…"
    return None


def audit_nps(
    image: HubSpotImage, items: Sequence[dict[str, Any]], customers: pl.DataFrame
) -> Verdict:
    """Each contact in HubSpot carries its customer's latest answer (lost: it does not;
    mismatched: another one, an older one above all; extra: NPS on a contact whose
    customer has no answer)."""
    verdict = Verdict()
    latest = latest_answers(items, customers)
    for key in sorted(image.records.get("contacts", {}), key=lambda k: (len(k), k)):
        want, have = latest.get(key), image.values(NPS_STREAM, key)
        if want and not have:
            verdict.lost += 1
            verdict.details.append(
                f"NPS of customer {key}: the answer of {want['at']:%Y-%m-%d %H:%M:%S} is not "
                "on their contact"
            )
        elif have and not want:
            verdict.extra += 1
            verdict.details.append(f"NPS of customer {key}: {have} on a contact of no answer")
        elif want and have and (problem := _problem(want, have)):
            verdict.mismatched += 1
            verdict.details.append(f"NPS of customer {key}: {problem}")
    return verdict
