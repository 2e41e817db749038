"""CRM object search (v3): every matching record page by page, or how many match; paced
by search's own per-second limit (a mixin of `ObjectsApi`, sharing its transport)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import hubspot.crm.objects as objects_sdk

from moulin_sync.hubspot.client import endpoints as e
from moulin_sync.hubspot.client.errors import SearchWindowTooLarge
from moulin_sync.hubspot.client.object_shapes import check_type, next_after, record
from moulin_sync.hubspot.client.sdk import model, new

MAX_SEARCH_PAGE = 200
MAX_SEARCH_RESULTS = 10_000  # HubSpot answers 400 when paging past this


def filter_groups_of(filter_groups: Sequence[Mapping[str, Any]]) -> list[Any]:
    groups = []
    for group in filter_groups:
        data = dict(group)
        filters = data.pop("filters", [])
        if data:
            raise ValueError(f"filter group: unknown field(s) {', '.join(sorted(data))}")
        groups.append(
            new(
                objects_sdk.FilterGroup,
                filters=[model(objects_sdk.Filter, f, "search filter") for f in filters],
            )
        )
    return groups


class ObjectSearch:
    """Searches of records of any object type."""

    # ObjectsApi's: its transport's send and the SDK's search API.
    _send: Callable[..., Any]
    _search: Any

    def search(
        self,
        object_type: str,
        filter_groups: Sequence[Mapping[str, Any]],
        properties: Sequence[str],
        sorts: Sequence[Mapping[str, Any]] | None = None,
        limit: int = MAX_SEARCH_PAGE,
        *,
        query: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching record, page by page (`limit` per page, at most 200).

        Paced by search's own per-second limit. HubSpot pages through at most 10,000
        results per query: asking past that raises `SearchWindowTooLarge` — split the
        window (e.g. by a date range) instead. Search reads an index that lags writes by
        seconds: never use it to decide whether to create.
        """
        check_type(object_type)
        if not 1 <= limit <= MAX_SEARCH_PAGE:
            raise ValueError(f"search limit must be between 1 and {MAX_SEARCH_PAGE}")
        groups = filter_groups_of(filter_groups)
        after: str | None = None
        while True:
            # The SDK types `sorts` as list[str]; HubSpot takes {"propertyName", "direction"}
            # objects, which serialize through unchanged.
            body = new(
                objects_sdk.PublicObjectSearchRequest,
                filter_groups=groups,
                properties=list(properties),
                sorts=[dict(s) for s in sorts or []],
                limit=limit,
                after=after,
                query=query,
            )
            answer = self._send(
                e.SEARCH,
                lambda body=body, **kw: self._search.do_search_with_http_info(
                    object_type, body, **kw
                ),
                objectType=object_type,
            )
            for raw in answer.body.get("results") or []:
                yield record(raw)
            after = next_after(answer.body)
            if after is None:
                return
            if after.isdigit() and int(after) >= MAX_SEARCH_RESULTS:
                raise SearchWindowTooLarge(object_type, answer.body.get("total"))

    def search_total(self, object_type: str, filter_groups: Sequence[Mapping[str, Any]]) -> int:
        """How many records match (one search call, one result): to size a window
        before paging it, since HubSpot pages through at most 10,000 results."""
        check_type(object_type)
        body = new(
            objects_sdk.PublicObjectSearchRequest,
            filter_groups=filter_groups_of(filter_groups),
            properties=["hs_object_id"],
            limit=1,
        )
        answer = self._send(
            e.SEARCH,
            lambda **kw: self._search.do_search_with_http_info(object_type, body, **kw),
            objectType=object_type,
        )
        return int(answer.body.get("total") or 0)
