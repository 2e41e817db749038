"""What a command checks before it starts work, each problem in one line that names the
setting or option and the fix: months within the history, the source there, HubSpot
answering to our token. A run that would fail at its first HubSpot call fails in
seconds instead, before any step ran."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from moulin_sync.settings import MoulinSettings

# A HubSpot that does not answer within this is reported (the run's own client would
# retry for half a minute).
PROBE_TIMEOUT_S = 5.0


class Month(click.ParamType):
    """A month as the partitions name it: YYYY-MM-01 (YYYY-MM accepted)."""

    name = "YYYY-MM-01"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        try:
            day = dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01")
        except ValueError:
            self.fail(f"{text!r} is not a month; write it as 2024-05-01", param, ctx)
        if day.day != 1:
            self.fail(
                f"{text} is not the first day of a month; write {day.replace(day=1)}", param, ctx
            )
        return day.isoformat()


MONTH = Month()


class NotReady(RuntimeError):
    """What the command needs is not there; the message names the setting to fix."""


def settings_or_fail() -> MoulinSettings:
    """The shared settings, once every enabled source's and every pipeline's settings
    read too (a `SettingsError` naming each bad variable)."""
    from moulin_sync.hubspot.streams import STREAMS
    from moulin_sync.settings import load_settings, pipeline_choice
    from moulin_sync.sources import configs

    settings = load_settings()
    configs(settings)
    for spec in STREAMS:
        if spec.pipeline is not None:
            pipeline_choice(spec.pipeline)
    return settings


def months_within_history(
    settings: MoulinSettings, first: str | None, last: str | None
) -> tuple[str, str]:
    """[first, last], defaulting to the whole history, checked against it."""
    import zoneinfo

    start = settings.history_start.isoformat()
    today = dt.datetime.now(zoneinfo.ZoneInfo(settings.timezone)).date()
    current = today.replace(day=1).isoformat()
    first, last = first or start, last or current
    if first < start:
        raise click.BadParameter(
            f"{first} is before the history, which starts at {start} (MOULIN_HISTORY_START)",
            param_hint="'--from'",
        )
    if last > current:
        raise click.BadParameter(
            f"{last} is after the current month, {current}", param_hint="'--to'"
        )
    if first > last:
        raise click.BadParameter(f"{first} is after --to {last}", param_hint="'--from'")
    return first, last


def sources_are_there(settings: MoulinSettings) -> None:
    """Every enabled source answers and takes our credentials (each probe raises one
    line naming the setting to fix)."""
    from moulin_sync.sources import enabled_sources

    for spec in enabled_sources():
        spec.probe(spec.config(settings))


def state_store_opens(settings: MoulinSettings) -> None:
    """The sync state store opens (made on first use; else a `StateStoreError` naming
    MOULIN_STATE_URL, its password shown as ***)."""
    from moulin_sync.hubspot.sync.state import SyncState

    SyncState(settings.state_url, retry_delays_s=(0.5, 1.0)).close()


def hubspot_answers(settings: MoulinSettings, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """The token is set, HubSpot answers at HUBSPOT_BASE_URL, and accepts the token."""
    import httpx

    token = settings.hubspot_access_token
    if token is None or not token.get_secret_value().strip():
        raise NotReady(
            "HUBSPOT_ACCESS_TOKEN: not set. The sync writes to HubSpot with a private app's "
            "access token: set HUBSPOT_ACCESS_TOKEN (for the emulator, its --token)."
        )
    url = settings.hubspot_base_url
    try:
        answer = httpx.get(
            f"{url}/crm/v3/properties/contacts/groups",
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        reason = "no answer in time" if isinstance(exc, httpx.TimeoutException) else (
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        )  # fmt: skip
        raise NotReady(
            f"HUBSPOT_BASE_URL: HubSpot does not answer at {url} ({reason}). Check the "
            "address (https://api.hubapi.com, or the emulator's) and that it is up."
        ) from None
    if answer.status_code in (401, 403):
        raise NotReady(
            f"HUBSPOT_ACCESS_TOKEN: HubSpot at {url} refused the token (HTTP "
            f"{answer.status_code}). Set the private app's current access token, with the "
            "CRM scopes for contacts, companies and deals."
        )
