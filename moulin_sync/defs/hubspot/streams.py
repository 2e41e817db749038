"""The assets of every synced stream, made from the registry of specs."""

from dagster import Definitions

from moulin_sync.defs.hubspot.factory import stream_assets
from moulin_sync.hubspot.streams import STREAMS

defs = Definitions(assets=[made for spec in STREAMS for made in stream_assets(spec)])
