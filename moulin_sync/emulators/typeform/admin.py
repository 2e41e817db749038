"""Typeform's own admin routes, beside the toolkit's (`/_emulator/reset`, `state`, ...):
form definitions, responses posted in the API's item shape, and the emulator's settings."""

from __future__ import annotations

import bisect
import math
from typing import Any

from ..toolkit import Req, Result, RouteTable
from .core import TypeformCore
from .errors import detail, invalid
from .forms import build_form
from .handlers import find_form
from .items import build_batch
from .timestamps import iso

table = RouteTable()


def standard_json(req: Req) -> Any:
    """The body, refused when it holds NaN or Infinity: Python parses them, JSON has none,
    and they would come back in answers no client can parse."""
    if not _finite(req.body):
        raise invalid([detail("body", "NaN and Infinity are not JSON numbers", where="body")])
    return req.body


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


@table.add("POST", "/_emulator/forms/{form_id}", mutates=True)
def put_form(em: TypeformCore, req: Req) -> Result:
    """Create or replace a form definition; its responses stay (a form edited since)."""
    form_id = req.params["form_id"]
    forms = em.data["forms"]
    previous = forms.get(form_id)
    form, problems = build_form(form_id, standard_json(req), iso(em.now()), previous)
    if problems:
        raise invalid(problems)
    forms[form_id] = form
    em.data["responses"].setdefault(form_id, [])
    return (200 if previous else 201), form


@table.add("POST", "/_emulator/forms/{form_id}/responses", mutates=True)
def add_responses(em: TypeformCore, req: Req) -> Result:
    """Store `{"items": [...]}` whole, or nothing (400 naming each wrong item)."""
    form_id = req.params["form_id"]
    form = find_form(em, form_id)
    records: list[dict[str, Any]] = em.data["responses"].setdefault(form_id, [])
    taken = {r["item"][k] for r in records for k in ("token", "response_id")}
    batch = build_batch(form, standard_json(req), taken, em.now(), em.data["seq"])
    if batch.problems:
        raise invalid(batch.problems)
    for record in batch.records:
        bisect.insort(records, record, key=lambda r: (r["at"], r["seq"]))
    em.data["seq"] += len(batch.records)
    stored = [{"token": r["item"]["token"], "response_id": r["item"]["response_id"]}
              for r in batch.records]  # fmt: skip
    return 201, {"stored": len(stored), "items": stored}


@table.add("DELETE", "/_emulator/forms/{form_id}/responses", mutates=True)
def delete_responses(em: TypeformCore, req: Req) -> Result:
    """Forget every response of a form (its definition stays)."""
    form_id = req.params["form_id"]
    find_form(em, form_id)
    deleted = len(em.data["responses"].get(form_id, []))
    em.data["responses"][form_id] = []
    return 200, {"deleted": deleted}


@table.add("GET", "/_emulator/settings")
def get_settings(em: TypeformCore, req: Req) -> Result:
    return 200, _settings(em)


@table.add("POST", "/_emulator/settings")
def set_settings(em: TypeformCore, req: Req) -> Result:
    """`{"listing_delay": s, "rate": r | null, "burst": n}`, each optional; not persisted."""
    body = req.body if isinstance(req.body, dict) else None
    if body is None or set(body) - {"listing_delay", "rate", "burst"}:
        raise invalid([detail("body", 'expected {"listing_delay": seconds, "rate": per second '
                              'or null, "burst": requests}', where="body")])  # fmt: skip
    delay = body.get("listing_delay", em.listing_delay)
    rate = body.get("rate", em.limiter.rate)
    burst = body.get("burst", em.limiter.burst)
    problems = [
        detail(name, "must be a number at least " + str(low), where="body")
        for name, value, low in (("listing_delay", delay, 0), ("burst", burst, 1))
        if not _number(value) or value < low
    ]
    if rate is not None and (not _number(rate) or rate <= 0):
        problems.append(detail("rate", "must be a positive number, or null for no limit",
                               where="body"))  # fmt: skip
    if problems:
        raise invalid(problems)
    em.listing_delay = float(delay)
    em.limiter.configure(None if rate is None else float(rate), float(burst))
    return 200, _settings(em)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _settings(em: TypeformCore) -> dict[str, Any]:
    return {"listing_delay": em.listing_delay, "rate": em.limiter.rate, "burst": em.limiter.burst}


ROUTES = table.routes
