"""`moulin-sync demo-data`: fill a SQLite or PostgreSQL App du Moulin with demo data."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from moulin_sync.demo_data.world import MAX_DIRTY_RATE

if TYPE_CHECKING:
    from moulin_sync.demo_data.generator import GenerationSummary


def _parse_today(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-11-30") from None


def _row_counts(title: str, what: str, counts: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column(what)
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    return table


def render_summary(summary: GenerationSummary, console: Console) -> None:
    """Print the row and dirt counts as two tables."""
    console.print(_row_counts(f"App du Moulin demo data → {summary.url}", "table", summary.rows))
    if summary.dirty_rate > 0:
        title = f"Dirt injected (rate {summary.dirty_rate:g})"
        console.print(_row_counts(title, "kind", summary.dirt))
    total = sum(summary.rows.values())
    console.print(
        f"seed {summary.seed}, today {summary.today.isoformat()}: {total:,} rows in "
        f"{summary.elapsed_seconds:.1f} s ({total / max(summary.elapsed_seconds, 1e-9):,.0f} rows/s)"
    )


@click.command("demo-data")
@click.option(
    "--url",
    envvar="MOULIN_SOURCE_URL",
    required=True,
    help="Target database, e.g. sqlite:///demo.db or postgresql://postgres@127.0.0.1:5432/moulin "
    "(default: $MOULIN_SOURCE_URL).",
)
@click.option("--customers", type=click.IntRange(min=0), default=2_000, show_default=True)
@click.option("--companies", type=click.IntRange(min=0), default=50, show_default=True)
@click.option("--orders", type=click.IntRange(min=0), default=20_000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--dirty-rate",
    type=click.FloatRange(0.0, MAX_DIRTY_RATE),
    default=0.02,
    show_default=True,
    help="Share of rows carrying each kind of dirt (0 for clean data).",
)
@click.option(
    "--today",
    callback=_parse_today,
    metavar="YYYY-MM-DD",
    help="Last day of the history (default: today, UTC). Fix it for reproducible output.",
)
@click.option(
    "--replace", is_flag=True, help="Drop and recreate the five tables if they hold data."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
)
def demo_data_command(progress: bool | None, **arguments: Any) -> None:
    """Generate a deterministic, realistic App du Moulin database (demo and tests)."""
    from moulin_sync.demo_data.generator import GeneratorError, generate

    # The other options are named after generate()'s parameters, so they pass through.
    if progress is None:
        progress = sys.stderr.isatty()
    try:
        summary = generate(progress=progress, **arguments)
    except GeneratorError as error:
        raise click.ClickException(str(error)) from error
    render_summary(summary, Console())
