"""Typeform's API as moulin-sync and its clients call it: a form's definition and the
listing of its responses."""

from __future__ import annotations

from typing import Any

from ..toolkit import Req, Result, RouteTable
from .core import TypeformCore
from .errors import form_not_found, invalid
from .listing import list_page
from .query import parse_list_query

table = RouteTable()


def find_form(em: TypeformCore, form_id: str) -> dict[str, Any]:
    form = em.data["forms"].get(form_id)
    if form is None:
        raise form_not_found(form_id)
    return form  # type: ignore[no-any-return]


@table.add("GET", "/forms/{form_id}/responses")
def list_responses(em: TypeformCore, req: Req) -> Result:
    form_id = req.params["form_id"]
    form = find_form(em, form_id)
    query = parse_list_query(req.query, form)
    if query.problems:
        raise invalid(query.problems)
    records = em.data["responses"].get(form_id, [])
    return 200, list_page(records, query, listed_until=int(em.now() - em.listing_delay))


@table.add("GET", "/forms/{form_id}")
def get_form(em: TypeformCore, req: Req) -> Result:
    return 200, find_form(em, req.params["form_id"])


ROUTES = table.routes
