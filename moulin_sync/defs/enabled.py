"""Only what the enabled sources feed: a source that is off (Typeform without its token)
leaves no asset, check or step behind — nothing changes for those who do not use it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from dagster import AssetKey, Definitions

from moulin_sync.defs.hubspot.factory import payloads_key, pipeline_key, records_key
from moulin_sync.hubspot.streams import STREAMS, enabled_streams
from moulin_sync.sources import SOURCES


def disabled_keys(sources: Collection[str]) -> set[AssetKey]:
    """The asset keys of the sources that are off, and of the streams they feed."""
    on = enabled_streams(sources)
    off_streams = [spec for spec in STREAMS if spec not in on]
    kept_pipelines = {pipeline_key(spec) for spec in on if spec.pipeline is not None}
    keys: set[AssetKey] = set()
    for spec in off_streams:
        keys |= {payloads_key(spec), records_key(spec)}
        if spec.pipeline is not None and pipeline_key(spec) not in kept_pipelines:
            keys.add(pipeline_key(spec))
    off_sources = {source.name for source in SOURCES} - set(sources)
    return keys | {_source_marker(name) for name in off_sources}


def _source_marker(name: str) -> AssetKey:
    return AssetKey([name])  # a prefix: every asset of the source starts with it


def _is_off(key: AssetKey, off: set[AssetKey]) -> bool:
    return key in off or AssetKey(key.path[:1]) in off


def _keys(definition: Any) -> list[AssetKey]:
    keys = getattr(definition, "keys", None)
    if keys is None:
        key = getattr(definition, "key", None)
        return [key] if key is not None else []
    return list(keys)


def _check_targets(definition: Any) -> list[AssetKey]:
    return [check_key.asset_key for check_key in getattr(definition, "check_keys", ())]


def only_enabled(defs: Definitions, sources: Collection[str]) -> Definitions:
    """`defs` without the assets (and their checks) of the sources that are off."""
    off = disabled_keys(sources)
    assets = [a for a in defs.assets or () if not any(_is_off(k, off) for k in _keys(a))]
    checks = [
        c for c in defs.asset_checks or () if not any(_is_off(k, off) for k in _check_targets(c))
    ]
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources=defs.resources,
        executor=defs.executor,
        loggers=defs.loggers,
    )
