"""Pipelines (v3) of any object type with stages: deals, tickets."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import hubspot.crm.pipelines as pipelines_sdk

from moulin_sync.hubspot.client import endpoints as e
from moulin_sync.hubspot.client.errors import HubSpotAmbiguousWrite
from moulin_sync.hubspot.client.object_shapes import check_type, results
from moulin_sync.hubspot.client.sdk import model
from moulin_sync.hubspot.client.transport import Transport

logger = logging.getLogger(__name__)


class PipelinesApi:
    def __init__(self, transport: Transport) -> None:
        self._send = transport.send
        self._api = transport.api("pipelines", lambda crm: crm.pipelines.pipelines_api)

    def list(self, object_type: str) -> list[dict[str, Any]]:
        """Pipelines with their stages (``id``, ``label``, ``displayOrder``, ``metadata``)."""
        return results(self._send, e.PIPELINES, self._api.get_all_with_http_info, object_type)

    def create(self, object_type: str, pipeline: Mapping[str, Any]) -> dict[str, Any]:
        """Create a pipeline (``label``, ``displayOrder``, ``stages``); returns it with ids.

        Never sent twice blindly: when the answer is lost, the pipelines are read back and
        the one with this label (labels are unique per object type) is the result; only
        if HubSpot has none is the create sent again."""
        check_type(object_type)
        body = model(pipelines_sdk.PipelineInput, pipeline, "pipeline")

        def create() -> dict[str, Any]:
            return dict(
                self._send(
                    e.CREATE_PIPELINE,
                    lambda **kw: self._api.create_with_http_info(object_type, body, **kw),
                    objectType=object_type,
                ).body
            )

        try:
            return create()
        except HubSpotAmbiguousWrite as lost:
            found = [p for p in self.list(object_type) if p.get("label") == body.label]
            if found:
                logger.warning(
                    "HubSpot %s: the answer was lost but the pipeline %r exists (id %s): "
                    "using it",
                    lost.endpoint, body.label, found[0].get("id"),
                )  # fmt: skip
                return dict(found[0])
            return create()
