"""`moulin-sync inspect`: why is this customer like this in HubSpot?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from moulin_sync.cli.preflight import settings_or_fail, sources_are_there

if TYPE_CHECKING:
    from moulin_sync.hubspot.sync.inspect import RecordView
    from moulin_sync.settings import MoulinSettings

KINDS = ("customer", "order", "email")
NEXT_RUN = {
    "create": "the next run creates it",
    "update": "the next run updates it (the source changed since)",
    "unchanged": "up to date: the next run leaves it",
    "erase": "erased at the source: the next run erases it in HubSpot",
    "rejected": "rejected",
    "waiting": "waiting",
    "merged": "merged in HubSpot into another of ours: left alone",
}


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("value")
@click.option("--live", is_flag=True, help="Also read HubSpot's current values (one call).")
def inspect(kind: str, value: str, live: bool) -> None:
    """Why a customer is as they are in HubSpot: `customer 123`, `order M-2024-0000123`
    (or its id), `email ana@example.fr`. Their contact, company and deals: the source,
    what a sync sends, what the next run does, and what HubSpot last accepted."""
    from moulin_sync.cli.plan import known_pipelines
    from moulin_sync.hubspot.streams import enabled_streams
    from moulin_sync.hubspot.sync.inspect import inspect_customer
    from moulin_sync.sources import customer_tables, environment_scope
    from moulin_sync.sources.app_du_moulin.reader import SourceReader

    settings = settings_or_fail()
    sources_are_there(settings)
    customer = _customer_id(SourceReader(settings.source_url), kind, value)
    views = inspect_customer(
        customer_tables(environment_scope(settings, customer_id=customer)),
        settings.state_url,
        customer,
        timezone=settings.timezone,
        pipelines=known_pipelines(settings),
        streams=enabled_streams(),
        erasure=settings.gdpr_erasure,
    )
    if views is None:
        raise click.ClickException(f"there is no customer {customer} in the App du Moulin")
    held = _live(settings, views) if live else {}
    for view in views:
        _print_view(view, held.get((view.stream, view.source_key)), live=live)


def _customer_id(reader: Any, kind: str, value: str) -> int:
    if kind == "customer":
        if not value.strip().isdigit():
            raise click.BadParameter(f"{value!r} is not a customer id", param_hint="VALUE")
        return int(value)
    found = reader.customer_of(**{kind: value.strip()})
    if found is None:
        raise click.ClickException(f"no {kind} {value!r} in the App du Moulin")
    return found


def _print_view(view: RecordView, held: dict[str, Any] | None, *, live: bool) -> None:
    stored = view.stored or {}
    status = NEXT_RUN[view.next_run] + (f": {view.reason}" if view.reason else "")
    click.echo(f"{view.stream} {view.source_key}: {status}")
    if view.warning:
        click.echo(f"  {view.warning} (fix it in the App du Moulin)")
    if stored.get("hubspot_id"):
        written = stored.get("synced_at")
        when = f", last written {written:%Y-%m-%d %H:%M} UTC" if written else ""
        click.echo(f"  HubSpot id {stored['hubspot_id']} ({stored['status']}{when})")
    elif stored.get("last_error"):
        click.echo(f"  not in HubSpot; last run: {stored['last_error']}")
    else:
        click.echo("  not in HubSpot yet")
    if not view.payload:
        return
    if live and held is not None:
        click.echo("  property: ours | HubSpot's")
        for name, ours in view.payload.items():
            theirs = held.get(name) or ""
            mark = "" if (theirs or "") == (ours or "") else "   ← differs"
            click.echo(f"    {name}: {ours or '(empty)'} | {theirs or '(empty)'}{mark}")
        return
    sent = ", ".join(f"{n}={v}" for n, v in view.payload.items() if v not in (None, ""))
    click.echo(f"  sends: {sent}")


def _live(settings: MoulinSettings, views: list[RecordView]) -> dict[tuple[str, str], dict]:
    """HubSpot's current values of the records it holds, read by id."""
    from moulin_sync.cli.preflight import hubspot_answers
    from moulin_sync.hubspot.client import HubSpotClient
    from moulin_sync.hubspot.streams import stream

    hubspot_answers(settings)
    token = settings.hubspot_access_token.get_secret_value()  # type: ignore[union-attr]
    client = HubSpotClient(settings.hubspot_base_url, token)
    held: dict[tuple[str, str], dict] = {}
    for name in dict.fromkeys(v.stream for v in views):
        spec = stream(name)
        ids = {
            str(v.stored["hubspot_id"]): v.source_key
            for v in views
            if v.stream == name and v.stored and v.stored.get("hubspot_id")
        }
        found = list(ids)
        for start in range(0, len(found), 100):
            outcome = client.objects.batch_read(
                spec.object_type, found[start : start + 100], None, list(spec.property_names)
            )
            held |= {(name, ids[str(r.id)]): r.properties for r in outcome.results}
    return held
