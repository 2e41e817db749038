"""Materialization metadata: small, readable samples of what an asset holds."""

from __future__ import annotations

from typing import Any

import polars as pl
from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

SAMPLE_ROWS = 10
MAX_CELL_CHARS = 80


def _cell(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    # A 70,000-character note would swamp the UI; show its start and its length.
    return text if len(text) <= MAX_CELL_CHARS else f"{text[:MAX_CELL_CHARS]}… ({len(text)} chars)"


def table_sample(frame: pl.DataFrame, rows: int = SAMPLE_ROWS) -> MetadataValue:
    """The first `rows` rows as a Dagster table (every cell shown as text or number)."""
    head = frame.head(rows)
    columns = [
        TableColumn(
            name,
            "int"
            if dtype.is_integer()
            else "float"
            if dtype.is_float()
            else "bool"
            if dtype == pl.Boolean
            else "string",
        )
        for name, dtype in head.schema.items()
    ]
    records = []
    for row in head.iter_rows(named=True):
        cells = {}
        for column in columns:
            value = _cell(row[column.name])
            cells[column.name] = value if column.type != "string" or value is None else str(value)
        records.append(TableRecord(cells))
    return MetadataValue.table(records=records, schema=TableSchema(columns=columns))


def markdown_table(frame: pl.DataFrame, rows: int = SAMPLE_ROWS) -> MetadataValue:
    """The first `rows` rows as a markdown table, for findings and rejections."""
    head = frame.head(rows)
    if head.is_empty():
        return MetadataValue.md("_none_")
    header = "| " + " | ".join(head.columns) + " |"
    rule = "| " + " | ".join("---" for _ in head.columns) + " |"
    lines = [header, rule]
    for row in head.iter_rows():
        cells = (str(_cell(v)).replace("|", "\\|").replace("\n", " ") for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    if frame.height > rows:
        lines.append(f"\n_{frame.height - rows} more not shown_")
    return MetadataValue.md("\n".join(lines))


def records_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pl.DataFrame:
    """Rows of dicts as a frame of String columns (empty, with its columns, when none)."""
    return pl.DataFrame(
        [tuple(str(row.get(c, "")) for c in columns) for row in rows],
        schema=dict.fromkeys(columns, pl.String),
        orient="row",
    )


def _cause(reason: pl.Expr) -> pl.Expr:
    """A reason without the record's own values (ids, emails, quoted values), so the
    rejections of one cause group together."""
    return (
        reason.str.replace_all(r"[\w.+-]+@[\w-]+(\.[\w-]+)*", "<email>")
        .str.replace_all(r"'[^']*'", "'…'")
        .str.replace_all(r"\d+", "#")
    )


def by_cause(frame: pl.DataFrame) -> pl.DataFrame:
    """(cause, records, example) of (source_key, reason) rows, the largest cause first."""
    if frame.is_empty():
        return pl.DataFrame(schema={"cause": pl.String, "records": pl.UInt32, "example": pl.String})
    return (
        frame.group_by(_cause(pl.col("reason")).alias("cause"))
        .agg(records=pl.len(), example=pl.format("{}: {}", "source_key", "reason").first())
        .sort(["records", "cause"], descending=[True, False])
    )


def by_reason(frame: pl.DataFrame) -> pl.DataFrame:
    """(reason, records) of (source_key, reason) rows, the largest first."""
    if frame.is_empty():
        return pl.DataFrame(schema={"reason": pl.String, "records": pl.UInt32})
    return (
        frame.group_by("reason")
        .agg(records=pl.len())
        .sort(["records", "reason"], descending=[True, False])
    )
