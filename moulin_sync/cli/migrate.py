"""`moulin-sync migrate`: the sync state store's schema brought to this release's.

Opening the store does the same on its own; the command lets an operator do it (or look,
with --show) before a run, e.g. right after installing a new release.
"""

from __future__ import annotations

import click


@click.command("migrate")
@click.option("--state-url", metavar="URL", help="The state store (default: MOULIN_STATE_URL).")
@click.option("--show", is_flag=True, help="Print the current and head revision; change nothing.")
def migrate(state_url: str | None, show: bool) -> None:
    """Upgrade the sync state store's schema to this release's (Alembic revisions), one
    process at a time; a store made before migrations is recognised and stamped first."""
    from sqlalchemy.exc import SQLAlchemyError

    from moulin_sync.hubspot.sync import migrate as migrations
    from moulin_sync.hubspot.sync.state_db import (
        RETRY_DELAYS_S,
        STATE_URL_VARIABLE,
        Retrying,
        StateStoreError,
        connect,
        first_line,
    )
    from moulin_sync.lib.urls import redacted
    from moulin_sync.settings import SettingsError

    try:
        url = state_url or _settings_state_url()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    shown = f"state store at {redacted(url)}"
    try:
        if show:
            click.echo(f"{shown}: {_revisions(url)}")
            return
        engine = connect(url)
        try:
            retrying = Retrying(engine, url, RETRY_DELAYS_S)
            done = retrying("migrate", lambda: migrations.upgrade_to_head(engine))
        finally:
            engine.dispose()
    except (StateStoreError, SQLAlchemyError) as exc:
        message = str(exc)
        if not isinstance(exc, StateStoreError):
            message = (
                f"{STATE_URL_VARIABLE}: cannot {'read' if show else 'migrate'} the sync state "
                f"store at {redacted(url)} "
                f"({first_line(exc, url)}). Check that the database exists and is reachable."
            )
        if state_url:  # the option, not the variable, named the store
            message = message.replace(f"{STATE_URL_VARIABLE}:", "--state-url:", 1)
        raise click.ClickException(message) from None
    click.echo(f"{shown}: {done.describe()}")


def _settings_state_url() -> str:
    from moulin_sync.cli.preflight import settings_or_fail

    return settings_or_fail().state_url


def _revisions(url: str) -> str:
    """Where the store is, beside head, without creating or changing anything."""
    from moulin_sync.hubspot.sync import migrate as migrations
    from moulin_sync.hubspot.sync.state_db import StateStoreError, connect, require_existing

    head = migrations.head_revision()
    try:
        require_existing(url)
    except StateStoreError:
        return f"no store yet (head {head}; the first open or `moulin-sync migrate` makes it)"
    engine = connect(url)
    try:
        current = migrations.current_revision(engine)
        matched = None if current else migrations.pre_migration_revision(engine)
    finally:
        engine.dispose()
    if current is None and matched is None:
        return f"empty (head {head}; the first open or `moulin-sync migrate` makes it)"
    if current is None:
        return f"made before migrations, matches {matched}; head {head} (`moulin-sync migrate`)"
    if current == head:
        return f"at head {head}"
    if current not in migrations.known_revisions():
        return f"at {current}, unknown to this release (head {head}): upgrade moulin-sync"
    return f"at {current}, head {head} (`moulin-sync migrate` upgrades it)"
