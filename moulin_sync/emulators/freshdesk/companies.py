"""Companies as Freshdesk holds and shows them: a unique name (409 `duplicate_value`)."""

from __future__ import annotations

from typing import Any

from .answers import duplicate
from .fields import Fields, given
from .store import Record, Store
from .timefmt import iso

SHOWN = (
    "id", "name", "description", "domains", "note", "created_at", "updated_at",
    "custom_fields", "health_score", "account_tier", "renewal_date", "industry",
)  # fmt: skip
WRITABLE = (
    "name", "description", "domains", "note", "health_score", "account_tier",
    "renewal_date", "industry", "custom_fields",
)  # fmt: skip


def read_company(f: Fields, *, creating: bool) -> dict[str, Any]:
    return given({
        "name": f.string("name", required=creating, nullable=False),
        "description": f.string("description"),
        "domains": f.strings("domains"),
        "note": f.string("note"),
        "health_score": f.string("health_score"),
        "account_tier": f.string("account_tier"),
        "renewal_date": f.datetime("renewal_date"),
        "industry": f.string("industry"),
        "custom_fields": f.mapping("custom_fields"),
    })  # fmt: skip


def check_unique_name(store: Store, name: str | None, rid: int | None = None) -> None:
    owner = store.company_named_as(name) if name else None
    if owner is not None and owner["id"] != rid:
        raise duplicate("name")


def new_company(rid: int, values: dict[str, Any], now: int) -> Record:
    created = values.get("created_at", now)
    return {
        "id": rid, "description": None, "domains": [], "note": None, "custom_fields": {},
        "health_score": None, "account_tier": None, "renewal_date": None, "industry": None,
        **values, "created_at": created, "updated_at": values.get("updated_at", created),
    }  # fmt: skip


def render(company: Record) -> dict[str, Any]:
    out = {k: company.get(k) for k in SHOWN}
    for k in ("created_at", "updated_at", "renewal_date"):
        out[k] = iso(company.get(k))
    return out
