"""The indexes the sources' live change feeds read by, as a preflight names the missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moulin_sync.sources import enabled_sources

if TYPE_CHECKING:
    from moulin_sync.settings import MoulinSettings


def live_index_warnings(settings: MoulinSettings) -> list[str]:
    """One line per index a source's live change feed reads by and the source lacks:
    without it each look of the sensor scans the table. moulin-sync never creates it in
    the customer's database; the line gives the statement for their DBA."""
    found = []
    for spec in enabled_sources():
        if spec.live is None:
            continue
        try:
            missing = spec.live.missing_indexes(spec.config(settings))
        except Exception:  # a source that does not answer: its own probe says why
            continue
        found += [
            f"MOULIN_LIVE: the {spec.label} has no index for live sync's look at "
            f"{ddl.split(' ON ')[1]}; every look scans the table until its DBA runs: {ddl}; "
            "(docs/operations.md, Live sync)"
            for ddl in missing
        ]
    return found
