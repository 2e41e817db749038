"""Parquet snapshots of the pipeline's tables, one file per asset (and per partition).

Dagster's IO managers cannot persist one output that spans several partitions, which
is exactly what a single-run monthly backfill produces; so assets write and read their
snapshots here explicitly. Writes are atomic (temporary file, then rename), so a crash
never leaves half a snapshot behind.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

UNPARTITIONED = "all"


class SnapshotMissingError(FileNotFoundError):
    """An upstream asset has not been materialized (for that partition) yet."""


@dataclass(frozen=True)
class ParquetStore:
    root: Path

    def path(self, key: Sequence[str], partition: str | None = None) -> Path:
        return self.root.joinpath(*key, f"{partition or UNPARTITIONED}.parquet")

    def write(self, key: Sequence[str], frame: pl.DataFrame, partition: str | None = None) -> Path:
        path = self.path(key, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        frame.write_parquet(temporary)
        temporary.replace(path)
        return path

    def read(self, key: Sequence[str], partition: str | None = None) -> pl.DataFrame:
        return self.read_partitions(key, [partition])

    def read_partitions(
        self,
        key: Sequence[str],
        partitions: Sequence[str | None],
        *,
        partition_column: str | None = None,
    ) -> pl.DataFrame:
        """The snapshots of `partitions`, stacked; `partition_column` names a column that
        says which partition each row came from (when the rows cannot tell)."""
        paths = [self.path(key, partition) for partition in partitions]
        missing = [path for path in paths if not path.is_file()]
        if missing:
            names = ", ".join(sorted({p.stem for p in missing})[:5])
            raise SnapshotMissingError(
                f"asset {'/'.join(key)} has no snapshot for {names} under {self.root}: "
                "materialize it first (in the Dagster UI, or with `make demo`)."
            )
        frames = [pl.read_parquet(path) for path in paths]
        if partition_column:
            frames = [
                frame.with_columns(pl.lit(partition, pl.String).alias(partition_column))
                for frame, partition in zip(frames, partitions, strict=True)
            ]
        return pl.concat(frames, how="vertical_relaxed")

    def partitions(self, key: Sequence[str]) -> list[str]:
        folder = self.root.joinpath(*key)
        return sorted(path.stem for path in folder.glob("*.parquet")) if folder.is_dir() else []
