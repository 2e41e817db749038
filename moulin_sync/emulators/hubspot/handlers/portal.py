"""Portal-wide reads: owners (`/crm/v3/owners`) and custom object schemas
(`/crm/v3/schemas`; a portal without custom objects answers an empty list)."""

from __future__ import annotations

from ..core import Emulator, Req, Result, RouteTable
from ..errors import bad_request, not_found
from ..portal_users import OWNERS

table = RouteTable()
MAX_OWNERS_PAGE = 500


@table.add("GET", "/crm/v3/owners")
def list_owners(em: Emulator, req: Req) -> Result:
    """Active owners, or with `archived=true` the deactivated ones (none here); `email`
    filters, `limit` (at most 500) and `after` page."""
    q = req.query
    try:
        limit = int(q.get("limit", "100"))
        start = int(q.get("after") or 0)
    except ValueError as e:
        raise bad_request("limit and after must be integers") from e
    if not 1 <= limit <= MAX_OWNERS_PAGE:
        raise bad_request(f"limit must be between 1 and {MAX_OWNERS_PAGE}")
    email = (q.get("email") or "").lower()
    owners = [
        o
        for o in OWNERS
        if o["archived"] == req.flag("archived") and (not email or o["email"] == email)
    ]
    page = owners[start : start + limit]
    body: dict = {"results": page}
    if start + limit < len(owners):
        body["paging"] = {"next": {"after": str(start + limit)}}
    return 200, body


@table.add("GET", "/crm/v3/owners/{ownerId}")
def get_owner(em: Emulator, req: Req) -> Result:
    """One owner by `id`, or by `userId` with `idProperty=userId`."""
    key = "userId" if req.query.get("idProperty") == "userId" else "id"
    wanted = req.params["ownerId"]
    for owner in OWNERS:
        if str(owner[key]) == wanted and owner["archived"] == req.flag("archived"):
            return 200, owner
    raise not_found(f"Owner {wanted} not found")


@table.add("GET", "/crm/v3/schemas")
def list_schemas(em: Emulator, req: Req) -> Result:
    return 200, {"results": []}


@table.add("GET", "/crm/v3/schemas/{objectType}")
def get_schema(em: Emulator, req: Req) -> Result:
    raise not_found(f"Unable to find object schema for {req.params['objectType']}")
