"""`moulin-sync emulator hubspot`: run the HubSpot emulator (also `python -m moulin_sync.emulators.hubspot`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..toolkit.cli import serve, serve_options
from .ratelimit import TIERS, limits_for

if TYPE_CHECKING:
    from .app import HubSpotEmulator

DEFAULT_TOKEN = "emulator-token"


def build(
    *,
    token: str,
    tier: str = "unlimited",
    state: str | None = None,
    rate_limit: int | None = None,
    daily_limit: int | None = None,
    search_lag: float = 0.0,
) -> HubSpotEmulator:
    from .app import HubSpotEmulator

    return HubSpotEmulator(
        token=token,
        limits=limits_for(tier, rate_limit, daily_limit),
        state_path=state,
        search_lag=search_lag,
    )


@click.command()
@serve_options(
    credential="token",
    envvar="HUBSPOT_EMULATOR_TOKEN",
    default=DEFAULT_TOKEN,
    help="Bearer token clients must send",
)
@click.option(
    "--tier",
    type=click.Choice(list(TIERS)),
    default="unlimited",
    show_default=True,
    help="HubSpot subscription tier whose rate limits apply.",
)
@click.option(
    "--rate-limit", type=int, default=None, help="Requests per rolling 10 s (overrides the tier)."
)
@click.option(
    "--daily-limit", type=int, default=None, help="Requests per day (overrides the tier)."
)
@click.option(
    "--search-lag",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds before a write becomes visible to search.",
)
def hubspot_emulator_command(
    port: int,
    host: str,
    state: str | None,
    token: str,
    exit_with_parent: bool,
    tier: str,
    rate_limit: int | None,
    daily_limit: int | None,
    search_lag: float,
) -> None:
    """A stateful HubSpot CRM API emulator (never contacts the real HubSpot)."""
    serve(
        lambda: build(token=token, tier=tier, state=state, rate_limit=rate_limit,
                      daily_limit=daily_limit, search_lag=search_lag),
        host=host, port=port, exit_with_parent=exit_with_parent,
        banner=lambda url: f"HubSpot emulator listening on {url} (tier {tier})",
    )  # fmt: skip


COMMAND = hubspot_emulator_command
