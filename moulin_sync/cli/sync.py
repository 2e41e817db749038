"""`moulin-sync sync`: the nightly job, now, for a range of months."""

from __future__ import annotations

import click


@click.command()
@click.option("--from", "first", help="First month (YYYY-MM-01); default: start of history.")
@click.option("--to", "last", help="Last month (YYYY-MM-01); default: the current month.")
def sync(first: str | None, last: str | None) -> None:
    """Run the nightly job now, for a range of months (needs HUBSPOT_ACCESS_TOKEN)."""
    from moulin_sync.cli.runner import run_nightly_sync

    summary = run_nightly_sync(first, last)
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
    if not summary.success:
        raise SystemExit(1)
