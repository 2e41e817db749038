"""`moulin-sync demo-data`: fill a SQLite or PostgreSQL App du Moulin with demo data."""

from __future__ import annotations

import sys
from datetime import date, datetime

import click
from rich.console import Console
from rich.table import Table

from moulin_sync.demo_data.generator import (
    MAX_DIRTY_RATE,
    GenerationSummary,
    GeneratorError,
    generate,
)


def _parse_today(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-11-30") from None


def render_summary(summary: GenerationSummary, console: Console) -> None:
    """Print the row and dirt counts as two tables."""
    rows = Table(title=f"App du Moulin demo data → {summary.url}")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for table, count in summary.rows.items():
        rows.add_row(table, f"{count:,}")
    console.print(rows)
    if summary.dirty_rate > 0:
        dirt = Table(title=f"Dirt injected (rate {summary.dirty_rate:g})")
        dirt.add_column("kind")
        dirt.add_column("rows", justify="right")
        for kind, count in summary.dirt.items():
            dirt.add_row(kind, f"{count:,}")
        console.print(dirt)
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
def demo_data_command(
    url: str,
    customers: int,
    companies: int,
    orders: int,
    seed: int,
    dirty_rate: float,
    today: date | None,
    replace: bool,
    progress: bool | None,
) -> None:
    """Generate a deterministic, realistic App du Moulin database (demo and tests)."""
    try:
        summary = generate(
            url,
            customers=customers,
            companies=companies,
            orders=orders,
            seed=seed,
            dirty_rate=dirty_rate,
            today=today,
            progress=sys.stderr.isatty() if progress is None else progress,
            replace=replace,
        )
    except GeneratorError as error:
        raise click.ClickException(str(error)) from error
    render_summary(summary, Console())
