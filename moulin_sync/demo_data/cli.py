"""`moulin-sync demo-data`: fill a SQLite or PostgreSQL App du Moulin with demo data."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
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
@click.option(
    "--typeform-url",
    metavar="URL",
    help="Also fill the Typeform emulator at URL with the NPS survey's answers of these customers.",
)
@click.option("--typeform-token", envvar="TYPEFORM_TOKEN", help="Its token ($TYPEFORM_TOKEN).")
@click.option(
    "--typeform-form-id",
    envvar="TYPEFORM_FORM_ID",
    default="NpsMoulin",
    show_default=True,
    help="The survey's form id ($TYPEFORM_FORM_ID).",
)
@click.option(
    "--freshdesk-url",
    metavar="URL",
    help="Also fill the Freshdesk emulator at URL with these customers' support tickets.",
)
@click.option(
    "--freshdesk-api-key",
    envvar="FRESHDESK_API_KEY",
    help="Its API key ($FRESHDESK_API_KEY).",
)
@click.option("--freshdesk-tickets", type=click.IntRange(min=0), default=2_000, show_default=True)
@click.option(
    "--freshdesk-window-tickets",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Tickets all updated within two hours (over 30,000: more than Freshdesk's 300 "
    "pages of one listing).",
)
def demo_data_command(
    progress: bool | None,
    typeform_url: str | None,
    typeform_token: str | None,
    typeform_form_id: str,
    freshdesk_url: str | None,
    freshdesk_api_key: str | None,
    freshdesk_tickets: int,
    freshdesk_window_tickets: int,
    **arguments: Any,
) -> None:
    """Generate a deterministic, realistic App du Moulin database (demo and tests), and
    optionally the matching Typeform answers and Freshdesk tickets in their emulators."""
    from moulin_sync.demo_data.generator import GeneratorError, generate

    # The other options are named after generate()'s parameters, so they pass through.
    if progress is None:
        progress = sys.stderr.isatty()
    try:
        summary = generate(progress=progress, **arguments)
    except GeneratorError as error:
        raise click.ClickException(str(error)) from error
    console = Console()
    render_summary(summary, console)
    # The end of the history's last day, never later than now (an answer from the
    # future would stay unlisted).
    end_of_day = datetime.combine(summary.today, datetime.max.time(), tzinfo=UTC)
    now = min(datetime.now(UTC), end_of_day).replace(microsecond=0)
    if typeform_url:
        _fill_typeform(console, typeform_url, typeform_token, typeform_form_id, summary, now)
    if freshdesk_url:
        _fill_freshdesk(
            console, freshdesk_url, freshdesk_api_key, summary, now,
            tickets=freshdesk_tickets, window=freshdesk_window_tickets,
        )  # fmt: skip


def _fill_typeform(
    console: Console,
    url: str,
    token: str | None,
    form_id: str,
    summary: GenerationSummary,
    now: datetime,
) -> None:
    from moulin_sync.demo_data.generator import GeneratorError
    from moulin_sync.demo_data.typeform import fill_typeform

    if not token:
        raise click.BadParameter("set the emulator's token", param_hint="'--typeform-token'")
    try:
        filled = fill_typeform(url, token, form_id, summary.url, seed=summary.seed, now=now)
    except GeneratorError as error:
        raise click.ClickException(str(error)) from error
    console.print(
        _row_counts(f"Typeform NPS answers → {url} (form {form_id})", "kind", filled.rows())
    )


def _fill_freshdesk(
    console: Console,
    url: str,
    api_key: str | None,
    summary: GenerationSummary,
    now: datetime,
    *,
    tickets: int,
    window: int,
) -> None:
    from moulin_sync.demo_data.freshdesk import fill_freshdesk
    from moulin_sync.demo_data.freshdesk_account import FreshdeskDemoError

    if not api_key:
        raise click.BadParameter("set the emulator's API key", param_hint="'--freshdesk-api-key'")
    try:
        filled = fill_freshdesk(
            url, api_key, summary.url, seed=summary.seed, now=now, tickets=tickets,
            bulk_window_tickets=window, replace=True,
        )  # fmt: skip
    except FreshdeskDemoError as error:
        raise click.ClickException(str(error)) from error
    counts = {
        "tickets": filled.tickets,
        "contacts": filled.contacts,
        "companies": filled.companies,
        "tickets updated in one window": filled.window_tickets,
    }
    console.print(_row_counts(f"Freshdesk tickets → {url}", "kind", counts))
