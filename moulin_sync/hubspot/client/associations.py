"""Associations (v4): link, read and unlink records of two object types, in batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import hubspot.crm.associations.v4 as associations_sdk

from moulin_sync.hubspot.client import endpoints as e
from moulin_sync.hubspot.client.errors import HubSpotApiError
from moulin_sync.hubspot.client.object_shapes import check_size, check_type, next_after
from moulin_sync.hubspot.client.problems import InputError
from moulin_sync.hubspot.client.results import AssociationLink, BatchOutcome
from moulin_sync.hubspot.client.sdk import association_types, new
from moulin_sync.hubspot.client.transport import Transport

MAX_CREATE_INPUTS = 2_000  # v4 batch create / archive
MAX_READ_INPUTS = 1_000  # v4 batch read


def _no_associations(error: Any) -> bool:
    """A v4 batch read "error" that only says the record has no links of that type."""
    if not isinstance(error, Mapping):
        return False
    sub = str(error.get("subCategory") or "")
    return "NO_ASSOCIATIONS_FOUND" in sub or error.get("category") == "OBJECT_NOT_FOUND"


def _object_id(record_id: str) -> Any:
    return new(associations_sdk.PublicObjectId, id=str(record_id))


class AssociationsApi:
    def __init__(self, transport: Transport) -> None:
        self._send = transport.send
        self._batch = transport.api("associations.batch", lambda crm: crm.associations.v4.batch_api)

    def create(
        self, from_type: str, to_type: str, inputs: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome[AssociationLink]:
        """Link records: ``{"from": id, "to": id, "types": [{associationCategory,
        associationTypeId}]}`` each. Idempotent (linking twice is harmless)."""
        check_type(from_type)
        check_type(to_type)
        check_size(inputs, MAX_CREATE_INPUTS, "associations create")
        models = [
            new(
                associations_sdk.PublicAssociationMultiPost,
                _from=_object_id(item["from"]),
                to=_object_id(item["to"]),
                types=association_types(
                    item.get("types"), associations_sdk.AssociationSpec, "associations create"
                ),
            )
            for item in inputs
        ]
        body = new(associations_sdk.BatchInputPublicAssociationMultiPost, inputs=models)
        answer = self._send(
            e.ASSOCIATIONS_CREATE,
            lambda **kw: self._batch.create_with_http_info(from_type, to_type, body, **kw),
            fromObjectType=from_type,
            toObjectType=to_type,
        )
        return BatchOutcome(
            status=answer.status,
            results=[
                AssociationLink(
                    str(r.get("fromObjectId")),
                    str(r.get("toObjectId")),
                    tuple(r.get("labels") or ()),
                )
                for r in answer.body.get("results") or []
            ],
            errors=[InputError.parse(error) for error in answer.body.get("errors") or []],
        )

    def read(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Each id's links: ``{id: [{"toObjectId": str, "typeIds": [int, ...]}]}``.

        Every requested id is a key; an id without links maps to ``[]`` (HubSpot reports
        those as "no associations found" errors, which are not failures here).
        """
        check_type(from_type)
        check_type(to_type)
        check_size(ids, MAX_READ_INPUTS, "associations read")
        links: dict[str, list[dict[str, Any]]] = {str(i): [] for i in ids}
        pending: list[tuple[str, str | None]] = [(i, None) for i in links]
        while pending:
            body = new(
                associations_sdk.BatchInputPublicFetchAssociationsBatchRequest,
                inputs=[
                    new(associations_sdk.PublicFetchAssociationsBatchRequest, id=i, after=a)
                    for i, a in pending
                ],
            )
            answer = self._send(
                e.ASSOCIATIONS_READ,
                lambda body=body, **kw: self._batch.get_page_with_http_info(
                    from_type, to_type, body, **kw
                ),
                fromObjectType=from_type,
                toObjectType=to_type,
            )
            pending = []
            for result in answer.body.get("results") or []:
                from_id = str((result.get("from") or {}).get("id"))
                for to in result.get("to") or []:
                    type_ids = sorted({int(t["typeId"]) for t in to.get("associationTypes") or []})
                    links.setdefault(from_id, []).append(
                        {"toObjectId": str(to["toObjectId"]), "typeIds": type_ids}
                    )
                # A record with very many links is paged per input.
                after = next_after(result)
                if after is not None:
                    pending.append((from_id, after))
            failed = [x for x in answer.body.get("errors") or [] if not _no_associations(x)]
            if failed:
                raise HubSpotApiError.from_body(
                    answer.status,
                    failed[0],
                    e.ASSOCIATIONS_READ.key(fromObjectType=from_type, toObjectType=to_type),
                )
        return links

    def archive(self, from_type: str, to_type: str, inputs: Sequence[Mapping[str, Any]]) -> None:
        """Remove every association between each ``{"from": id, "to": id}`` pair."""
        check_type(from_type)
        check_type(to_type)
        check_size(inputs, MAX_CREATE_INPUTS, "associations archive")
        grouped: dict[str, list[str]] = {}
        for item in inputs:
            grouped.setdefault(str(item["from"]), []).append(str(item["to"]))
        body = new(
            associations_sdk.BatchInputPublicAssociationMultiArchive,
            inputs=[
                new(
                    associations_sdk.PublicAssociationMultiArchive,
                    _from=_object_id(from_id),
                    to=[_object_id(t) for t in tos],
                )
                for from_id, tos in grouped.items()
            ],
        )
        self._send(
            e.ASSOCIATIONS_ARCHIVE,
            lambda **kw: self._batch.archive_with_http_info(from_type, to_type, body, **kw),
            fromObjectType=from_type,
            toObjectType=to_type,
        )
