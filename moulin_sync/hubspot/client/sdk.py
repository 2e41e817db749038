"""Building `hubspot-api-client` request models, cheaply and by HubSpot's own field names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import hubspot.crm.associations.v4 as associations_sdk
import hubspot.crm.contacts as contacts_sdk
import hubspot.crm.objects as objects_sdk
import hubspot.crm.pipelines as pipelines_sdk
import hubspot.crm.properties as properties_sdk

T = TypeVar("T")

# Every SDK package has its own ApiException class (same shape, no shared base we can use).
API_EXCEPTIONS: tuple[type[Exception], ...] = (
    objects_sdk.ApiException,
    contacts_sdk.ApiException,
    associations_sdk.ApiException,
    properties_sdk.ApiException,
    pipelines_sdk.ApiException,
)

# An SDK model built without `local_vars_configuration` makes a fresh `Configuration`,
# whose constructor sets the level of every logger in the process: in a Dagster step that
# was two thirds of a 100-deal batch's cost. Models only read `client_side_validation`
# from it, so one shared instance serves every package's models.
_MODEL_CONFIGURATION = objects_sdk.Configuration()


def new(cls: type[T], **fields: Any) -> T:
    """An SDK model, sharing one `Configuration` (see `_MODEL_CONFIGURATION`)."""
    return cls(**fields, local_vars_configuration=_MODEL_CONFIGURATION)


def model(cls: type[T], data: Mapping[str, Any], what: str) -> T:
    """Build an SDK model from HubSpot's camelCase JSON keys, refusing unknown keys.

    The SDK's models take snake_case arguments (``_from`` for ``from``); mapping through
    their `attribute_map` keeps callers on HubSpot's documented names and catches typos
    before a request is sent.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} must be a dict, got {type(data).__name__}")
    by_json_name = {json_name: attr for attr, json_name in cls.attribute_map.items()}  # type: ignore[attr-defined]
    unknown = sorted(set(data) - set(by_json_name))
    if unknown:
        raise ValueError(
            f"{what}: unknown field(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(by_json_name))}"
        )
    return new(cls, **{by_json_name[k]: v for k, v in data.items()})


def association_types(types: Any, spec_class: type[T], what: str) -> list[T]:
    """`types` of an association (``[{associationCategory, associationTypeId}]``) as models.

    HubSpot answers 2xx to ``types: []`` and links nothing: refused here instead.
    """
    if not isinstance(types, list) or not types:
        raise ValueError(f"{what}: `types` must be a non-empty list of association types")
    for spec in types:
        if (
            not isinstance(spec, Mapping)
            or "associationCategory" not in spec
            or "associationTypeId" not in spec
        ):
            raise ValueError(
                f"{what}: each type needs associationCategory and associationTypeId, got {spec!r}"
            )
    return [model(spec_class, t, "association type") for t in types]
