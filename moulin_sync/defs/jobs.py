"""The jobs: what the nightly schedule and `make demo` run."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

# Every asset, source to HubSpot: partitioned ones for the months asked for, the rest
# whole: a new stream joins by being an asset.
nightly_sync_job = define_asset_job(
    name="nightly_sync",
    selection=AssetSelection.all(),
    description="Source tables → HubSpot payloads → HubSpot, for the months asked for.",
)
