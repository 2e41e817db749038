"""What an alert says: one paragraph a person reads on their phone, and its subject.

Pure functions of plain values (no Dagster), so the wording is tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# A check's metadata also holds tables and samples: the alert keeps the figures.
MAX_FIGURES = 8
MAX_FIGURE_CHARS = 80


@dataclass(frozen=True)
class FailedRun:
    job_name: str
    run_id: str
    # The first line of our error (`failure_reason`), never a stack.
    error: str
    step: str | None = None
    other_failed_steps: int = 0
    retries: int = 0


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check_name: str
    blocking: bool
    job_name: str | None
    run_id: str | None
    figures: Mapping[str, object] = field(default_factory=dict)
    description: str | None = None
    retries: int = 0

    @property
    def key(self) -> str:
        """As Dagster writes a check key: "hubspot/deals:no_duplicate_deals"."""
        return f"{self.asset}:{self.check_name}"


def run_link(run_id: str, ui_url: str | None) -> str:
    if ui_url:
        return f"{ui_url.rstrip('/')}/runs/{run_id}"
    return f"run {run_id} (set MOULIN_UI_URL for a link)"


def after_retries(retries: int) -> str:
    if retries <= 0:
        return ""
    return f" after {retries} {'retry' if retries == 1 else 'retries'}"


def run_failure_subject(failure: FailedRun) -> str:
    return f"moulin-sync: {failure.job_name} failed"


def run_failure_paragraph(failure: FailedRun, ui_url: str | None) -> str:
    where = f" in step {failure.step}" if failure.step else ""
    others = (
        f" ({failure.other_failed_steps} more failed step"
        f"{'s' if failure.other_failed_steps > 1 else ''})"
        if failure.other_failed_steps
        else ""
    )
    return (
        f"moulin-sync: the job {failure.job_name} failed{after_retries(failure.retries)}"
        f"{where}: {_sentence(failure.error)}{others} "
        f"Run: {run_link(failure.run_id, ui_url)}"
    )


def check_failure_subject(failure: FailedCheck) -> str:
    return f"moulin-sync: check {failure.check_name} on {failure.asset} failed"


def check_failure_paragraph(failure: FailedCheck, ui_url: str | None) -> str:
    kind = "blocking check" if failure.blocking else "check (severity ERROR)"
    job = f" in the job {failure.job_name}" if failure.job_name else ""
    figures = figures_text(failure.figures)
    parts = [
        f"moulin-sync: the {kind} {failure.check_name} on asset {failure.asset} "
        f"failed{after_retries(failure.retries)}{job}" + (f": {figures}." if figures else "."),
    ]
    if failure.description:
        parts.append(_sentence(failure.description))
    if failure.run_id:
        parts.append(f"Run: {run_link(failure.run_id, ui_url)}")
    return " ".join(parts)


def figures_text(metadata: Mapping[str, object]) -> str:
    """The scalar entries, "duplicate_deals: 3, months: 2024-01 to 2026-12"."""
    shown = []
    for name, value in metadata.items():
        if isinstance(value, bool | int | float | str):
            text = str(value).strip().splitlines()[0] if str(value).strip() else '""'
            if len(text) > MAX_FIGURE_CHARS:
                text = text[: MAX_FIGURE_CHARS - 1] + "…"
            shown.append(f"{name}: {text}")
    extra = len(shown) - MAX_FIGURES
    return ", ".join(shown[:MAX_FIGURES]) + (f" and {extra} more" if extra > 0 else "")


def digest_subject(failures: Sequence[FailedRun]) -> str:
    return f"moulin-sync: {_count(len(failures))} in the last 24 h"


def digest_text(failures: Sequence[FailedRun], ui_url: str | None) -> str:
    """One line per failed run, under a heading; the caller sends nothing when empty."""
    lines = [f"moulin-sync: {_count(len(failures))} in the last 24 h."]
    for failure in failures:
        where = f" in step {failure.step}" if failure.step else ""
        lines.append(
            f"- {failure.job_name}{after_retries(failure.retries)}{where}: "
            f"{_sentence(failure.error)} {run_link(failure.run_id, ui_url)}"
        )
    return "\n".join(lines)


def _count(runs: int) -> str:
    return f"{runs} failed run{'s' if runs != 1 else ''}"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def live_lag_subject(source: str, lag_s: float) -> str:
    return f"moulin-sync: live sync of the {source} is {round(lag_s / 60)} min behind"


def live_lag_paragraph(source: str, lag_s: float, max_lag_s: int, ui_url: str | None) -> str:
    """Live sync lags: the oldest change not yet in HubSpot is older than the limit."""
    where = f"{ui_url.rstrip('/')}/runs" if ui_url else "the live_sync runs in the Dagster UI"
    return (
        f"moulin-sync: the oldest change of the {source} not yet in HubSpot was made "
        f"{round(lag_s)} s ago, more than MOULIN_LIVE_MAX_LAG ({max_lag_s} s). Live runs are "
        f"failing, queued behind a long run in the hubspot_api pool, or not launched (is the "
        f"daemon up?). See {where}; the runbook's live sync section says what to do."
    )
