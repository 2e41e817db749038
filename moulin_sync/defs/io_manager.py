"""How assets hand their outputs to the next ones: Parquet files, one per partition.

Dagster's UPath I/O manager refuses an output that spans several partitions, which is
what a single-run monthly backfill produces; this one takes it, writing one file per
partition (rows split by their `partition_key` column) and reading any range back.

It stores polars frames, frozen dataclasses of frames (`Payloads`: one folder of files
per field) as Parquet, and pydantic models (a pipeline's stage ids, the portal schema) as
JSON. Every file is written under the run's own folder and then published (a hard link
renamed into place): writes are atomic, so nobody reads half a file, and a step whose
upstream ran in the same run reads that run's own output, never a concurrent run's newer
one. An input the run did not produce is read from the last published snapshot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from dagster import (
    ConfigurableIOManager,
    DagsterInvariantViolationError,
    InitResourceContext,
    InputContext,
    MetadataValue,
    OutputContext,
)
from pydantic import BaseModel, Field

from moulin_sync.defs.partitions import months_of_run
from moulin_sync.lib.snapshots import UNPARTITIONED, published_path

__all__ = ["UNPARTITIONED", "CsvExportIOManager", "ParquetIOManager", "published_path"]

PARTITION_COLUMN = "partition_key"
RUNS = ".runs"  # each run's own copy of what it wrote
RUNS_KEPT_S = 3 * 86_400  # a run's folder outlives any run


class SnapshotMissingError(FileNotFoundError):
    """An upstream asset has not been materialized (for that partition) yet."""


def _producing_run(context: InputContext) -> str | None:
    """The run that produced the input when it is this run (or its parent, re-executed),
    None when the input was materialized by an earlier run."""
    upstream = context.upstream_output
    try:
        return upstream.run_id if upstream is not None else None
    except DagsterInvariantViolationError:  # loaded from storage: no producing step
        return None


def _within_run(context: InputContext) -> list[str]:
    """The partitions to read: those the step depends on, and of them only its run's
    months. A check over a partitioned asset is unpartitioned (one result per run), and
    Dagster hands it every partition: it checks the months its run wrote, not all."""
    wanted = list(context.asset_partition_keys)
    in_run = months_of_run(context.step_context.run_tags)
    if in_run is None:
        return wanted
    months = set(in_run)
    return [key for key in wanted if key in months]


def _write_atomically(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(temporary)
    temporary.replace(path)


def _publish(own: Path, published: Path) -> None:
    """Make the run's file the published one, atomically (a hard link, renamed)."""
    published.parent.mkdir(parents=True, exist_ok=True)
    temporary = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.link(own, temporary)
    except OSError:  # a file system without hard links
        shutil.copyfile(own, temporary)
    temporary.replace(published)


class ParquetIOManager(ConfigurableIOManager):
    """Asset outputs under `root` (MOULIN_DATA_DIR), by asset key and partition."""

    root: str = Field(description="Folder of the snapshots (MOULIN_DATA_DIR).")

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Forget the folders of runs long finished."""
        runs = Path(self.root) / RUNS
        if runs.is_dir():
            cutoff = time.time() - RUNS_KEPT_S
            for folder in runs.iterdir():
                # Another step of the same run may be pruning the same folders.
                with contextlib.suppress(FileNotFoundError):
                    if folder.stat().st_mtime < cutoff:
                        shutil.rmtree(folder, ignore_errors=True)

    # Writing ---------------------------------------------------------------

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        if obj is None:
            return
        key = context.asset_key.path
        partitions = context.asset_partition_keys if context.has_asset_partitions else [None]
        # A folder's months without rows all hold the same empty file: written once, linked
        # for the others (most months of a run have no quarantine, no warning).
        empty_in: dict[Path, Path] = {}
        for relative, write, empty in self._files(key, obj, partitions):
            own = Path(self.root, RUNS, context.run_id, relative)
            if empty and relative.parent in empty_in:
                _publish(empty_in[relative.parent], own)
            else:
                _write_atomically(own, write)
                if empty:
                    empty_in[relative.parent] = own
            _publish(own, Path(self.root, relative))
        context.add_output_metadata({"snapshot": MetadataValue.path(str(Path(self.root, *key)))})

    def _files(
        self, key: Sequence[str], obj: Any, partitions: Sequence[str | None]
    ) -> Iterator[tuple[Path, Any, bool]]:
        """(where, how to write it, whether it holds no rows) of each file of an output."""
        if isinstance(obj, BaseModel):
            if partitions != [None]:
                raise TypeError(f"asset {'/'.join(key)}: a model output cannot be partitioned")
            text = obj.model_dump_json()
            yield Path(*key, f"{UNPARTITIONED}.json"), lambda path: path.write_text(text), False
            return
        for folder, frame in _frames(key, obj):
            for partition, part in _by_partition(folder, frame, partitions):
                name = f"{partition or UNPARTITIONED}.parquet"
                yield Path(*folder, name), part.write_parquet, part.is_empty()

    # Reading ---------------------------------------------------------------

    def load_input(self, context: InputContext) -> Any:
        key = context.asset_key.path
        partitions = _within_run(context) if context.has_asset_partitions else [None]
        run = _producing_run(context)
        kind = context.dagster_type.typing_type
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind.model_validate_json(self._path(run, key, None, ".json").read_text())
        if dataclasses.is_dataclass(kind):
            return kind(
                **{
                    f.name: self._read(run, [*key, f.name], partitions)
                    for f in dataclasses.fields(kind)
                }
            )
        return self._read(run, key, partitions)

    def _read(
        self, run: str | None, key: Sequence[str], partitions: Sequence[str | None]
    ) -> pl.DataFrame:
        paths = [self._path(run, key, partition, ".parquet") for partition in partitions]
        return pl.concat([pl.read_parquet(path) for path in paths], how="vertical_relaxed")

    def _path(
        self, run: str | None, key: Sequence[str], partition: str | None, suffix: str
    ) -> Path:
        published = published_path(Path(self.root), key, suffix, partition)
        own = Path(self.root, RUNS, run, published.relative_to(self.root)) if run else None
        if own is not None and own.is_file():
            return own
        if not published.is_file():
            raise SnapshotMissingError(
                f"asset {'/'.join(key)} has no snapshot for {partition or 'its data'} under "
                f"{self.root}: materialize it first (in the Dagster UI, or with `make demo`)."
            )
        return published


def _frames(key: Sequence[str], obj: Any) -> Iterator[tuple[list[str], pl.DataFrame]]:
    """(folder, frame) of each frame of an output: itself, or each field of a dataclass."""
    if isinstance(obj, pl.DataFrame):
        yield list(key), obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield [*key, f.name], getattr(obj, f.name)
    else:
        raise TypeError(
            f"asset {'/'.join(key)}: cannot store a {type(obj).__name__}; return a polars "
            "DataFrame, a dataclass of DataFrames, or a pydantic model"
        )


def _by_partition(
    key: Sequence[str], frame: pl.DataFrame, partitions: Sequence[str | None]
) -> Iterator[tuple[str | None, pl.DataFrame]]:
    """Each partition's rows (by the frame's `partition_key`), an empty frame for a
    partition without any; the whole frame when unpartitioned. Rows of no partition of
    the run (an order whose date reads in no month) are not stored."""
    if partitions == [None]:
        yield None, frame
        return
    if PARTITION_COLUMN not in frame.columns:
        raise ValueError(
            f"asset {'/'.join(key)} is partitioned: its frames need a {PARTITION_COLUMN} column"
        )
    parts = frame.partition_by(PARTITION_COLUMN, as_dict=True)
    for partition in partitions:
        yield partition, parts.get((partition,), frame.head(0))


class CsvExportIOManager(ConfigurableIOManager):
    """Exports for the App du Moulin: an asset's frame as `<root>/<key>.csv`, replaced
    atomically, so a reader never sees half a file."""

    root: str = Field(description="Folder of the exports (MOULIN_DATA_DIR).")

    def _path(self, key: Sequence[str]) -> Path:
        return Path(self.root, *key).with_suffix(".csv")

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        path = self._path(context.asset_key.path)
        _write_atomically(path, obj.write_csv)
        context.add_output_metadata({"path": MetadataValue.path(str(path))})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        return pl.read_csv(self._path(context.asset_key.path), infer_schema=False)
