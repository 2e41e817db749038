"""The Typeform emulator as the pipeline's tests and the demo use it: a process of the
real `moulin-sync emulator typeform` command, with the NPS form and helpers to submit
answers through its admin API."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from moulin_sync.testing.emulator import EmulatorProcess, run_emulator_process

TOKEN = "tf-pipeline-token"
FORM_ID = "NpsMoulin"


def nps_form(score_ref: str = "nps", comment_ref: str = "comment") -> dict[str, Any]:
    """The onboarding survey: a 0–10 score, a comment, the customer's email and id hidden."""
    return {
        "title": "Recommanderiez-vous Le Moulin ?",
        "fields": [
            {"ref": score_ref, "type": "opinion_scale", "title": "De 0 à 10 ?"},
            {"ref": comment_ref, "type": "long_text", "title": "Pourquoi ?"},
        ],
        "hidden": ["email", "customer_id"],
    }


def answer(
    token: str,
    submitted_at: dt.datetime,
    *,
    score: int | None = None,
    comment: str | None = None,
    email: str | None = None,
    customer_id: str | None = None,
    score_ref: str = "nps",
) -> dict[str, Any]:
    """One response in the API's own item shape."""
    answers: list[dict[str, Any]] = []
    if score is not None:
        answers.append({"field": {"ref": score_ref, "type": "opinion_scale"}, "type": "number",
                        "number": score})  # fmt: skip
    if comment is not None:
        answers.append({"field": {"ref": "comment", "type": "long_text"}, "type": "text",
                        "text": comment})  # fmt: skip
    hidden = {k: v for k, v in (("email", email), ("customer_id", customer_id)) if v is not None}
    return {
        "token": token,
        "submitted_at": submitted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hidden": hidden,
        "answers": answers,
    }


class TypeformHandle:
    """A running emulator: its address and token, its admin API, the form's answers."""

    def __init__(self, process: EmulatorProcess, token: str) -> None:
        self.process = process
        self.token = token
        self.base_url = process.base_url
        self.admin = process.admin
        self.http = httpx.Client(
            base_url=process.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def reset(self, *, rate: float | None = None, burst: float = 20, delay: float = 0) -> None:
        """Empty, no fault, no listing delay; no rate limit unless `rate` is given."""
        self.admin.reset()
        self.admin.clear_faults()
        self.admin.reset_stats()
        settings = {"listing_delay": delay, "rate": rate, "burst": burst}
        self.http.post("/_emulator/settings", json=settings).raise_for_status()

    def has_form(self, form_id: str = FORM_ID) -> bool:
        return self.http.get(f"/forms/{form_id}").status_code == 200

    def create_form(self, form_id: str = FORM_ID, form: dict[str, Any] | None = None) -> None:
        answer_ = self.http.post(f"/_emulator/forms/{form_id}", json=form or nps_form())
        answer_.raise_for_status()

    def submit(self, items: Sequence[dict[str, Any]], form_id: str = FORM_ID) -> None:
        for start in range(0, len(items), 5_000):
            done = self.http.post(
                f"/_emulator/forms/{form_id}/responses",
                json={"items": list(items[start : start + 5_000])},
            )
            done.raise_for_status()

    def requests(self, route: str = "/forms/{form_id}/responses") -> int:
        """Answered listing requests since the stats were reset (429s apart)."""
        return sum(
            row["count"]
            for row in self.admin.stats()
            if row["route"] == route and row["method"] == "GET" and row["status"] != 429
        )


@contextlib.contextmanager
def run_typeform_emulator(
    token: str = TOKEN, *, state_path: str | Path | None = None, listing_delay: float = 0
) -> Iterator[TypeformHandle]:
    """The emulator in a process of its own, listing answers at once unless told."""
    auth = {"Authorization": f"Bearer {token}"}
    args = ["--token", token, "--listing-delay", str(listing_delay)]
    with run_emulator_process(
        "moulin_sync.emulators.typeform", auth=auth, extra_args=args, state_path=state_path
    ) as process:
        handle = TypeformHandle(process, token)
        try:
            yield handle
        finally:
            handle.http.close()


@contextlib.contextmanager
def demo(root: Path, console: Any, seed: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    """`make demo`'s Typeform: the emulator (its state under `root`), filled once with the
    demo customers' NPS answers; yields (label, address, the variables that turn it on)."""
    from moulin_sync.demo_data.typeform import fill_typeform

    with run_typeform_emulator(state_path=root / "typeform_emulator.json") as typeform:
        if not typeform.has_form(FORM_ID):
            source = f"sqlite:///{root / 'app_du_moulin.db'}"
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            filled = fill_typeform(
                typeform.base_url, typeform.token, FORM_ID, source, seed=seed, now=now
            )
            console.print(f"Typeform: {filled.responses:,} NPS answers to the onboarding survey.")
        yield (
            "Typeform",
            typeform.base_url,
            {
                "TYPEFORM_BASE_URL": typeform.base_url,
                "TYPEFORM_TOKEN": typeform.token,
                "TYPEFORM_FORM_ID": FORM_ID,
            },
        )
