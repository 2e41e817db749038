"""A stream's pipeline in HubSpot, found by label or id, created when it is ours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.spec import PipelineSpec, PipelineStages


class PipelineError(ValueError):
    """The configured pipeline or a stage cannot be found; the message says which setting."""


def resolve_pipeline(
    spec: PipelineSpec,
    pipelines: list[dict[str, Any]],
    wanted: str,
    stage_for_status: Mapping[str, str],
) -> PipelineStages | None:
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
                    f"{spec.stages_variable}: status {status!r} maps to stage "
                    f"{target!r}, which pipeline {pipeline.get('label')!r} does not have "
                    f"(it has: {known})."
                )
            stage_ids[status] = str(match["id"])
        return PipelineStages(
            object_type=spec.object_type,
            pipeline_id=str(pipeline["id"]),
            label=str(pipeline.get("label")),
            stage_ids=stage_ids,
        )
    return None


def ensure_pipeline(
    client: HubSpotClient, spec: PipelineSpec, wanted: str, overrides: Mapping[str, str]
) -> PipelineStages:
    """The pipeline, created when it is ours and absent; `overrides` replace the
    default stage of some statuses."""
    stage_for_status = {**spec.default_stage_for_status, **overrides}
    found = resolve_pipeline(
        spec, client.pipelines.list(spec.object_type), wanted, stage_for_status
    )
    if found is not None:
        return found
    if wanted != spec.default_label or stage_for_status != spec.default_stage_for_status:
        raise PipelineError(
            f"{spec.label_variable}: no {spec.object_type} pipeline {wanted!r} in "
            f"HubSpot. Create it (with the stages {spec.stages_variable} names), or "
            f"unset both variables to let moulin-sync create {spec.default_label!r}."
        )
    created = client.pipelines.create(spec.object_type, spec.body(wanted))
    pipeline = resolve_pipeline(spec, [created], wanted, stage_for_status)
    assert pipeline is not None  # just made with these stages
    return pipeline.model_copy(update={"created": True})
