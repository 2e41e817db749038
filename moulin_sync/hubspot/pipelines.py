"""Where an order's status puts its deal: a pipeline stage, by id, never by label.

moulin-sync keeps orders in a pipeline of their own ("Commandes App du Moulin"), created
on first run: an order's lifecycle (paid, ready, picked up...) is not a sales pipeline's
(appointment, proposal, contract...), and sales keep their own boards untouched. B2C and
B2B orders share it — the lifecycle is the same — and are told apart by the deal
property `moulin_customer_type`, which every board, view and report can filter on.
Portals that want another pipeline or labels set MOULIN_DEAL_PIPELINE and
MOULIN_DEAL_STAGES; each target is resolved through the pipelines API to its stage id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moulin_sync.hubspot.client import HubSpotClient

DEFAULT_PIPELINE_LABEL = "Commandes App du Moulin"

# (stage label, probability, closed) and the order statuses it holds, in board order.
# Cancelled and refunded orders end in closed-lost stages: the deal stays, as history.
DEFAULT_STAGES: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("En attente de paiement", "0.2", False, ("pending",)),
    ("Payée", "0.6", False, ("paid",)),
    ("Prête au retrait", "0.8", False, ("ready",)),
    ("Retirée ou livrée", "1.0", True, ("picked_up", "delivered")),
    ("Annulée", "0.0", True, ("cancelled",)),
    ("Remboursée", "0.0", True, ("refunded",)),
)
DEFAULT_STAGE_FOR_STATUS = {
    status: label for label, _, _, statuses in DEFAULT_STAGES for status in statuses
}


class PipelineError(ValueError):
    """The configured pipeline or a stage cannot be found; the message says which setting."""


@dataclass(frozen=True)
class DealPipeline:
    pipeline_id: str
    label: str
    stage_ids: dict[str, str]  # order status → stage id

    def to_json(self) -> str:
        return json.dumps(
            {"pipeline_id": self.pipeline_id, "label": self.label, "stage_ids": self.stage_ids}
        )

    @classmethod
    def from_json(cls, text: str) -> DealPipeline:
        data = json.loads(text)
        return cls(data["pipeline_id"], data["label"], dict(data["stage_ids"]))


def _pipeline_body(label: str) -> dict[str, Any]:
    return {
        "label": label,
        "displayOrder": 99,
        "stages": [
            {
                "label": stage,
                "displayOrder": i,
                "metadata": {"probability": probability, "isClosed": str(closed).lower()},
            }
            for i, (stage, probability, closed, _) in enumerate(DEFAULT_STAGES)
        ],
    }


def resolve_pipeline(
    pipelines: list[dict[str, Any]], wanted: str, stage_for_status: dict[str, str]
) -> DealPipeline | None:
    """The pipeline named `wanted` (id or label) with every status's stage id, or None
    when no such pipeline exists. A missing stage is a configuration error."""
    for pipeline in pipelines:
        if wanted not in (pipeline.get("id"), pipeline.get("label")):
            continue
        stages = pipeline.get("stages") or []
        stage_ids = {}
        for status, target in stage_for_status.items():
            match = next((s for s in stages if target in (s.get("id"), s.get("label"))), None)
            if match is None:
                known = ", ".join(f"{s.get('label')} ({s.get('id')})" for s in stages)
                raise PipelineError(
                    f"MOULIN_DEAL_STAGES: status {status!r} maps to stage {target!r}, which "
                    f"pipeline {pipeline.get('label')!r} does not have (it has: {known})."
                )
            stage_ids[status] = str(match["id"])
        return DealPipeline(str(pipeline["id"]), str(pipeline.get("label")), stage_ids)
    return None


def ensure_pipeline(
    client: HubSpotClient, wanted: str, stage_for_status: dict[str, str]
) -> tuple[DealPipeline, bool]:
    """The deal pipeline, created when it is ours and absent; (pipeline, created)."""
    found = resolve_pipeline(client.pipelines.list("deals"), wanted, stage_for_status)
    if found is not None:
        return found, False
    if wanted != DEFAULT_PIPELINE_LABEL or stage_for_status != DEFAULT_STAGE_FOR_STATUS:
        raise PipelineError(
            f"MOULIN_DEAL_PIPELINE: no deal pipeline {wanted!r} in HubSpot. Create it (with "
            "the stages MOULIN_DEAL_STAGES names), or unset both variables to let moulin-sync "
            f"create {DEFAULT_PIPELINE_LABEL!r}."
        )
    created = client.pipelines.create("deals", _pipeline_body(wanted))
    pipeline = resolve_pipeline([created], wanted, stage_for_status)
    assert pipeline is not None  # we just made it with these stages
    return pipeline, True
