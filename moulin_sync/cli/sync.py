"""`moulin-sync sync`: the nightly job, now, for a range of months."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from moulin_sync.cli.preflight import (
    MONTH,
    hubspot_answers,
    months_within_history,
    settings_or_fail,
    sources_are_there,
    state_store_opens,
)

if TYPE_CHECKING:
    from moulin_sync.cli.runner import RunSummary


@click.command()
@click.option("--from", "first", type=MONTH, help="First month; default: start of history.")
@click.option("--to", "last", type=MONTH, help="Last month; default: the current month.")
@click.option(
    "--nightly",
    is_flag=True,
    help="Run what tonight's schedule would: the months that changed, and why each.",
)
def sync(first: str | None, last: str | None, nightly: bool) -> None:
    """Run the nightly job now, for a range of months (needs HUBSPOT_ACCESS_TOKEN)."""
    from moulin_sync.cli.runner import run_nightly_sync

    if nightly and (first or last):
        raise click.UsageError("--nightly picks its own months: leave out --from and --to")
    settings = settings_or_fail()
    months = None if nightly else months_within_history(settings, first, last)
    sources_are_there(settings)
    state_store_opens(settings)
    hubspot_answers(settings)
    from rich.console import Console

    from moulin_sync.cli.progress import SyncProgress

    ranges = _tonights_ranges() if months is None else [months]
    failed = False
    console = Console()
    for span in ranges:
        summary = run_nightly_sync(*span, view=SyncProgress(console))
        _report(summary)
        failed = failed or not summary.success
    if failed:
        raise SystemExit(1)


def _tonights_ranges() -> list[tuple[str | None, str | None]]:
    """The spans of months tonight's schedule runs, each said with why."""
    import datetime as dt

    from moulin_sync.defs.tonight import tonights_spans
    from moulin_sync.hubspot.sync.state import StateStoreError
    from moulin_sync.settings import SettingsError, load_settings
    from moulin_sync.sources.app_du_moulin.reader import SourceError

    try:
        settings = load_settings()
        found = tonights_spans(dt.datetime.now(dt.UTC), settings)
    except (SettingsError, SourceError, StateStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tonight's schedule runs {len(found)} span(s) of months:")
    for span in found:
        click.echo(f"  {span.describe()}")
    return [(span.first, span.last) for span in found]


def _report(summary: RunSummary) -> None:
    from moulin_sync.cli.summary import next_steps, summary_lines

    status = "succeeded" if summary.success else "FAILED"
    click.echo(f"nightly_sync {status} (run {summary.run_id}).")
    for line in summary_lines(summary):
        click.echo(line)
    for name, passed, _ in summary.checks:
        verdict = (
            "passed" if passed else "FAILED" if name in summary.blocking_failures else "warning"
        )
        click.echo(f"  check {name}: {verdict}")
    for failure in summary.failures:
        click.echo(failure, err=True)
    for line in next_steps(_ui_command()):
        click.echo(line)


def _ui_command() -> str:
    """How to open the UI over this run's instance."""
    import os

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return "(this run's instance was in memory: set DAGSTER_HOME to keep runs for the UI)"
    return f"DAGSTER_HOME={home} dagster-webserver -w workspace.yaml"
