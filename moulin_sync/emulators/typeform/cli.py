"""`moulin-sync emulator typeform`: run the Typeform emulator (also
`python -m moulin_sync.emulators.typeform`)."""

from __future__ import annotations

import click

from ..toolkit.cli import serve, serve_options
from .limiter import DEFAULT_BURST, DEFAULT_RATE
from .service import DEFAULT_LISTING_DELAY, TypeformEmulator

DEFAULT_TOKEN = "emulator-token"


@click.command()
@serve_options(
    credential="token",
    envvar="TYPEFORM_EMULATOR_TOKEN",
    default=DEFAULT_TOKEN,
    help="Personal access token clients must send (Authorization: bearer ...)",
)
@click.option(
    "--listing-delay",
    type=click.FloatRange(min=0),
    default=DEFAULT_LISTING_DELAY,
    show_default=True,
    help="Seconds before a submitted response is listed (Typeform: about 30 min; 0 for tests).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_RATE,
    show_default=True,
    help="Requests per second per account (Typeform: 2).",
)
@click.option(
    "--burst",
    type=click.FloatRange(min=1),
    default=DEFAULT_BURST,
    show_default=True,
    help="Requests a client may send back to back before the rate applies.",
)
def typeform_emulator_command(
    port: int,
    host: str,
    state: str | None,
    token: str,
    exit_with_parent: bool,
    listing_delay: float,
    rate: float,
    burst: float,
) -> None:
    """A stateful Typeform Responses API emulator (never contacts the real Typeform)."""
    serve(
        lambda: TypeformEmulator(token=token, state_path=state, listing_delay=listing_delay,
                                 rate=rate, burst=burst),
        host=host, port=port, exit_with_parent=exit_with_parent,
        banner=lambda url: f"Typeform emulator listening on {url} "
        f"(listing delay {listing_delay:g} s, {rate:g} requests/s, burst {burst:g})",
    )  # fmt: skip


COMMAND = typeform_emulator_command
