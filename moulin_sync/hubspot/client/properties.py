"""Property definitions and groups (v3): the portal's schema, read and completed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import hubspot.crm.properties as properties_sdk

from moulin_sync.hubspot.client import endpoints as e
from moulin_sync.hubspot.client.endpoints import Endpoint
from moulin_sync.hubspot.client.errors import HubSpotApiError
from moulin_sync.hubspot.client.object_shapes import check_type, results
from moulin_sync.hubspot.client.sdk import model, new
from moulin_sync.hubspot.client.transport import Transport


class PropertiesApi:
    def __init__(self, transport: Transport) -> None:
        self._send = transport.send
        self._core = transport.api("properties.core", lambda crm: crm.properties.core_api)
        self._groups = transport.api("properties.groups", lambda crm: crm.properties.groups_api)

    def list(self, object_type: str) -> list[dict[str, Any]]:
        """Every property definition of the object type (HubSpot's JSON, camelCase)."""
        return results(
            self._send, e.LIST_PROPERTIES, self._core.get_all_with_http_info, object_type
        )

    def create_group(
        self, object_type: str, name: str, label: str, display_order: int | None = None
    ) -> dict[str, Any]:
        check_type(object_type)
        body = new(
            properties_sdk.PropertyGroupCreate, name=name, label=label, display_order=display_order
        )
        return self._create(
            e.CREATE_GROUP,
            lambda **kw: self._groups.create_with_http_info(object_type, body, **kw),
            e.GET_GROUP,
            lambda **kw: self._groups.get_by_name_with_http_info(object_type, name, **kw),
            object_type,
        )

    def create(self, object_type: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        """Create a property from HubSpot's JSON (``name``, ``label``, ``type``,
        ``fieldType``, ``groupName``, ``options``, ``hasUniqueValue``...).

        A property that already exists is a 409 `HubSpotApiError` — unless the 409 answers
        a retry of this very call whose first attempt went unanswered: that attempt made
        the property, which is then returned as if its answer had arrived."""
        check_type(object_type)
        body = model(properties_sdk.PropertyCreate, definition, "property definition")
        return self._create(
            e.CREATE_PROPERTY,
            lambda **kw: self._core.create_with_http_info(object_type, body, **kw),
            e.GET_PROPERTY,
            lambda **kw: self._core.get_by_name_with_http_info(object_type, body.name, **kw),
            object_type,
        )

    def update(self, object_type: str, name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change a property (label, options...; HubSpot never changes hasUniqueValue)."""
        check_type(object_type)
        body = model(properties_sdk.PropertyUpdate, changes, "property changes")
        answer = self._send(
            e.UPDATE_PROPERTY,
            lambda **kw: self._core.update_with_http_info(object_type, name, body, **kw),
            objectType=object_type,
        )
        return dict(answer.body)

    def _create(
        self,
        create: Endpoint,
        send: Callable[..., Any],
        read: Endpoint,
        read_back: Callable[..., Any],
        object_type: str,
    ) -> dict[str, Any]:
        try:
            return dict(self._send(create, send, objectType=object_type).body)
        except HubSpotApiError as exc:
            if exc.status == 409 and exc.after_lost_answer:
                # The first attempt made it; its answer was lost, the retry saw it exist.
                return dict(self._send(read, read_back, objectType=object_type).body)
            raise
