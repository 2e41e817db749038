"""The HubSpot emulator served: its routes (v3/v4, their dated twins, its admin extras)
behind the toolkit's gate (auth, faults, rate limits, stats; see `toolkit.app`)."""

from __future__ import annotations

from starlette.types import ASGIApp

from ..toolkit import RouteSpec
from ..toolkit.app import create_app as serve_emulator
from . import admin, bulk, handlers
from .core import Emulator
from .dated import dated_routes

ROUTES: list[RouteSpec] = [
    *handlers.ROUTES,
    *dated_routes(handlers.ROUTES),
    *admin.ROUTES,
    *bulk.ROUTES,
]


class HubSpotEmulator(Emulator):
    def routes(self) -> list[RouteSpec]:
        return ROUTES


def create_app(em: HubSpotEmulator) -> ASGIApp:
    return serve_emulator(em)
