"""`TypeformEmulator`: Typeform's Responses API served — the API routes and the admin
routes on `TypeformCore` (credential, rate limit, errors, listing delay, state)."""

from __future__ import annotations

from ..toolkit import RouteSpec
from . import admin, handlers
from .core import DEFAULT_LISTING_DELAY, TypeformCore

ROUTES: list[RouteSpec] = [*handlers.ROUTES, *admin.ROUTES]


class TypeformEmulator(TypeformCore):
    def routes(self) -> list[RouteSpec]:
        return ROUTES


__all__ = ["DEFAULT_LISTING_DELAY", "TypeformEmulator"]
