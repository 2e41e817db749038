"""Where an asset's last snapshot is published under the data folder (MOULIN_DATA_DIR):
the I/O manager writes there, and what reads a source's last pull outside a run (the dry
run) reads there."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

UNPARTITIONED = "all"


def published_path(
    root: Path | str, key: Sequence[str], suffix: str, partition: str | None = None
) -> Path:
    """Where the last snapshot of asset `key` (for `partition`) is published."""
    return Path(root, *key, f"{partition or UNPARTITIONED}{suffix}")
