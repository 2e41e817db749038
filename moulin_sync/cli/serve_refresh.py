"""`moulin-sync serve-refresh`: the service the contact card's button calls."""

from __future__ import annotations

import os

import click

from moulin_sync.cli.preflight import settings_or_fail, sources_are_there, state_store_opens


@click.command("serve-refresh")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=4,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Refreshes run at once (each in a worker process kept warm).",
)
@click.option(
    "--cooldown",
    "cooldown_s",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds after a contact's refresh succeeded during which a press answers it "
    "again instead of launching another.",
)
def serve_refresh(host: str, port: int, workers: int, cooldown_s: float) -> None:
    """Serve POST /hubspot/refresh and GET /hubspot/contact-status for the HubSpot card."""
    settings = settings_or_fail()
    if settings.refresh_secret is None or not settings.refresh_secret.get_secret_value():
        raise click.ClickException(
            "MOULIN_REFRESH_SECRET is not set: export the HubSpot app's client secret (the "
            "app's Auth tab), which signs every request the card sends."
        )
    if not os.environ.get("DAGSTER_HOME"):
        raise click.ClickException(
            "DAGSTER_HOME is not set: point it at the Dagster instance the UI and the daemon "
            "use, so refresh runs are recorded there."
        )
    sources_are_there(settings)
    state_store_opens(settings)
    import uvicorn

    from moulin_sync.refresh.service import build_service

    with build_service(settings, workers=workers, cooldown_s=cooldown_s) as app:
        click.echo(f"refresh service on http://{host}:{port} (Ctrl-C stops it)")
        uvicorn.run(app, host=host, port=port, log_level="warning")
