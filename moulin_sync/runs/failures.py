"""Why a run or a step failed, in one line, for the terminal, the alerts and the refresh
button."""

from __future__ import annotations

from typing import Any


def failure_reason(event: Any) -> str:
    """Why a step failed, in one line: the error our code raised, not Dagster's wrapper
    ("Execution of step ... failed"), nor the stack. Our errors never carry a secret
    (the HubSpot client redacts the token; URLs are shown with their password as ***)."""
    data = event.step_failure_data if event.is_step_failure else None
    # A run that fails outside any step (a resource that cannot start) carries the error.
    error = data.error if data is not None else getattr(event.event_specific_data, "error", None)
    # Dagster's wrappers, and the Failure our steps raise for a failure not worth a retry,
    # carry our error as their cause.
    while (
        error is not None
        and error.cause is not None
        and (error.cls_name.startswith("Dagster") or error.cls_name == "Failure")
    ):
        error = error.cause
    if error is None:
        return str(event.message or "failed")
    text = error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name
    return text[:1000]
