"""The refresh service assembled from the settings: what `serve-refresh` serves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import DagsterInstance
from starlette.applications import Starlette

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.refresh.app import RefreshService, create_app
from moulin_sync.refresh.launcher import COOLDOWN_S, RefreshLauncher
from moulin_sync.refresh.nps import nps_is_on
from moulin_sync.refresh.signature import SignatureCheck
from moulin_sync.refresh.tickets import tickets_are_on
from moulin_sync.settings import MoulinSettings
from moulin_sync.sources.app_du_moulin.reader import SourceReader


@contextmanager
def build_service(
    settings: MoulinSettings, *, workers: int = 4, cooldown_s: float = COOLDOWN_S
) -> Iterator[Starlette]:
    """The app, its worker processes started; stopped on leaving."""
    assert settings.refresh_secret is not None
    hubspot = HubSpot(
        base_url=settings.hubspot_base_url,
        access_token=settings.hubspot_access_token.get_secret_value()
        if settings.hubspot_access_token is not None
        else "",
        tier=settings.hubspot_tier,
    )
    instance = DagsterInstance.get()
    launcher = RefreshLauncher(instance, workers=workers, cooldown_s=cooldown_s)
    state = SyncState(settings.state_url)
    try:
        launcher.warm()
        yield create_app(
            RefreshService(
                check=SignatureCheck(settings.refresh_secret.get_secret_value()),
                launcher=launcher,
                state=state,
                reader=SourceReader(settings.source_url),
                hubspot=hubspot.client,
                public_url=settings.refresh_public_url,
                nps=nps_is_on(),
                tickets=tickets_are_on(),
            )
        )
    finally:
        launcher.close()
        state.close()
        instance.dispose()
