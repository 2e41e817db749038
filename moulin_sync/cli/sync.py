"""`moulin-sync sync`: the nightly job, now, for a range of months."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from moulin_sync.cli.runner import RunSummary


@click.command()
@click.option("--from", "first", help="First month (YYYY-MM-01); default: start of history.")
@click.option("--to", "last", help="Last month (YYYY-MM-01); default: the current month.")
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
    ranges = _tonights_ranges() if nightly else [(first, last)]
    failed = False
    for months in ranges:
        summary = run_nightly_sync(*months)
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
        found = tonights_spans(
            dt.datetime.now(dt.UTC),
            source_url=settings.source_url,
            state_url=settings.state_url,
            timezone=settings.timezone,
        )
    except (SettingsError, SourceError, StateStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tonight's schedule runs {len(found)} span(s) of months:")
    for span in found:
        click.echo(f"  {span.describe()}")
    return [(span.first, span.last) for span in found]


def _report(summary: RunSummary) -> None:
    click.echo(f"months {summary.partitions[0]} → {summary.partitions[1]}:")
    for key, values in sorted(summary.assets.items()):
        if "write_calls" in values:
            click.echo(
                f"{key}: created {values['created']}, updated {values['updated']}, "
                f"unchanged {values['unchanged']}, rejected {values['rejected']}, "
                f"write calls {values['write_calls']}"
            )
    for name, passed, _ in summary.checks:
        click.echo(f"check {name}: {'passed' if passed else 'FAILED'}")
    for failure in summary.failures:
        click.echo(failure, err=True)
