"""HubSpot's date-versioned CRM API, served by the v3/v4 handlers.

HubSpot publishes its CRM APIs under dated paths beside v3 and v4, with the same
schemas: `/crm/objects/2026-03/contacts/batch/upsert`, `/crm/properties/2026-03/deals`,
`/crm/pipelines/2026-03/deals`, `/crm/associations/2026-03/deals/contacts/batch/read`.
A client of either generation works against the emulator.
"""

from __future__ import annotations

from .core import RouteSpec

VERSIONS = ("2026-03",)
# v3/v4 prefix → its dated form ({v}: the version).
PREFIXES = {
    "/crm/v3/objects/": "/crm/objects/{v}/",
    "/crm/v4/objects/": "/crm/objects/{v}/",
    "/crm/v3/properties/": "/crm/properties/{v}/",
    "/crm/v3/pipelines/": "/crm/pipelines/{v}/",
    "/crm/v4/associations/": "/crm/associations/{v}/",
}


def dated_routes(routes: list[RouteSpec]) -> list[RouteSpec]:
    """Each route again under every dated version (after all of them: the v3 and v4
    declaration order, which Starlette matches by, is kept within each version)."""
    dated = []
    for version in VERSIONS:
        for method, path, handler, mutates in routes:
            for prefix, template in PREFIXES.items():
                if path.startswith(prefix):
                    dated_path = template.format(v=version) + path.removeprefix(prefix)
                    dated.append((method, dated_path, handler, mutates))
                    break
    return dated
