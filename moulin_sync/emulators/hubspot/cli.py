"""`moulin-sync emulator hubspot`: run the HubSpot emulator (also `python -m moulin_sync.emulators.hubspot`)."""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import threading
import time

import click

from .ratelimit import TIERS, limits_for
from .state_file import StateLocked

DEFAULT_TOKEN = "emulator-token"


def serve(
    *,
    host: str,
    port: int,
    token: str,
    tier: str = "unlimited",
    state: str | None = None,
    rate_limit: int | None = None,
    daily_limit: int | None = None,
    search_lag: float = 0.0,
    exit_with_parent: bool = False,
) -> None:
    import uvicorn

    from .app import create_app
    from .core import Emulator

    try:
        em = Emulator(
            token=token,
            limits=limits_for(tier, rate_limit, daily_limit),
            state_path=state,
            search_lag=search_lag,
        )
    except StateLocked as e:
        raise click.ClickException(str(e)) from e
    # Records hold no reference cycles: move what is loaded out of the collector's sight and
    # collect rarely, or full collections over 100k+ live dicts dominate batch throughput.
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(em),
        http="httptools",
        loop="uvloop",
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=30,
        backlog=2048,
    )
    if exit_with_parent:
        _exit_when_orphaned()
    click.echo(f"HubSpot emulator listening on http://{host}:{bound} (tier {tier})")
    sys.stdout.flush()
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        em.store.close()


def _exit_when_orphaned() -> None:
    """Stop (gracefully: the state is committed) once the process that started the
    emulator is gone, so a test or a demo killed with SIGKILL leaves no server behind."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@click.command()
@click.option("--port", type=int, default=8765, show_default=True, help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--state",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file holding the state across restarts (default: in memory).",
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
@click.option(
    "--token",
    envvar="HUBSPOT_EMULATOR_TOKEN",
    default=DEFAULT_TOKEN,
    show_default=True,
    help="Bearer token clients must send (env HUBSPOT_EMULATOR_TOKEN).",
)
@click.option(
    "--exit-with-parent",
    is_flag=True,
    help="Stop when the process that started the emulator exits (tests, the demo).",
)
def hubspot_emulator_command(
    port: int,
    host: str,
    state: str | None,
    tier: str,
    rate_limit: int | None,
    daily_limit: int | None,
    search_lag: float,
    token: str,
    exit_with_parent: bool,
) -> None:
    """A stateful HubSpot CRM API emulator (never contacts the real HubSpot)."""
    serve(
        host=host, port=port, token=token, tier=tier, state=state,
        rate_limit=rate_limit, daily_limit=daily_limit, search_lag=search_lag,
        exit_with_parent=exit_with_parent,
    )  # fmt: skip
