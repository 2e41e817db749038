"""`moulin-sync emulator freshdesk`: run the Freshdesk emulator (also
`python -m moulin_sync.emulators.freshdesk`)."""

from __future__ import annotations

import click

from ..toolkit.cli import serve, serve_options
from .limits import PLANS

DEFAULT_API_KEY = "emulator-api-key"


@click.command()
@serve_options(
    credential="api-key",
    envvar="FRESHDESK_EMULATOR_API_KEY",
    default=DEFAULT_API_KEY,
    help="API key clients must send as the basic-auth user (password X)",
)
@click.option(
    "--plan",
    type=click.Choice(list(PLANS)),
    default="enterprise",
    show_default=True,
    help="Freshdesk plan whose per-minute rate limits apply (unlimited: none).",
)
def freshdesk_emulator_command(
    port: int, host: str, state: str | None, api_key: str, exit_with_parent: bool, plan: str
) -> None:
    """A stateful Freshdesk API v2 emulator (never contacts the real Freshdesk)."""
    from .service import FreshdeskEmulator

    serve(
        lambda: FreshdeskEmulator(api_key=api_key, plan=plan, state_path=state),
        host=host, port=port, exit_with_parent=exit_with_parent,
        banner=lambda url: f"Freshdesk emulator listening on {url} (plan {plan})",
    )  # fmt: skip


COMMAND = freshdesk_emulator_command
