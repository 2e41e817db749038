"""HubSpot API endpoints: objects v3, search, merge, properties, pipelines, associations v4,
owners and schemas, and the legacy properties and pipelines reads.

Each handler is a plain synchronous function `(emulator, request) -> (status, body)`, so it runs
to completion on the event loop without interleaving with another request.
"""

from __future__ import annotations

from ..core import RouteSpec
from . import associations, legacy, objects, pipelines, portal, properties

# In matching order (see `RouteTable`).
ROUTES: list[RouteSpec] = [
    *objects.table.routes,
    *properties.table.routes,
    *pipelines.table.routes,
    *associations.table.routes,
    *portal.table.routes,
    *legacy.table.routes,
]
