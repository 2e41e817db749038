"""Payloads checked against their stream's model, at column speed.

A row that fails is quarantined with pydantic's reason; the model's own constraints,
turned into polars expressions, pick the few rows pydantic has to look at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args, get_origin

import polars as pl
from pydantic import BaseModel, StringConstraints, ValidationError


def _reason(error: ValidationError) -> str:
    parts = []
    for problem in error.errors()[:3]:
        field = ".".join(str(p) for p in problem["loc"])
        value = str(problem.get("input", ""))[:60]
        parts.append(f"{field} {value!r} is not valid: {problem['msg']}")
    return "; ".join(parts)


def invalid_records(model: type[BaseModel], records: pl.DataFrame) -> pl.DataFrame:
    """The rows of a payload frame the model refuses: (source_key, reason).

    The model's constraints run first as polars expressions over whole columns (see
    `row_may_fail`); only the rows they flag are validated by pydantic, one by one, which
    decides and gives the reason. The expressions flag every row pydantic would refuse
    (a superset), so the outcome is the per-row validation's, at column speed.
    """
    fields = list(model.model_fields)
    suspects = records.select("source_key", *fields)
    screen = row_may_fail(model, suspects.schema)
    if screen is not None:
        suspects = suspects.filter(screen)
    rejected: list[tuple[str, str]] = []
    for row in suspects.iter_rows(named=True):
        key = row.pop("source_key")
        try:
            model.model_validate(row)
        except ValidationError as error:
            rejected.append((key, _reason(error)))
    return pl.DataFrame(
        rejected, schema={"source_key": pl.String, "reason": pl.String}, orient="row"
    )


def row_may_fail(model: type[BaseModel], schema: Mapping[str, pl.DataType]) -> pl.Expr | None:
    """A polars expression true for every row the model might refuse, derived from the
    model's own field constraints; None when a field's rules cannot be expressed in
    polars (then every row goes through pydantic).

    Every field must be a String column holding `str` (null fails), with `Literal`
    options or `StringConstraints` (min/max length in characters, a pattern: polars and
    pydantic both match it with Rust's `regex` crate).
    """
    checks: list[pl.Expr] = []
    for name, info in model.model_fields.items():
        if schema.get(name) != pl.String:
            return None
        value = pl.col(name)
        fails = value.is_null()
        options = get_args(info.annotation) if get_origin(info.annotation) is Literal else None
        if options is not None:
            if not all(isinstance(o, str) for o in options) or info.metadata:
                return None
            fails = fails | ~value.is_in(list(options))
        elif info.annotation is str:
            for constraint in info.metadata:
                if not isinstance(constraint, StringConstraints) or any(
                    (
                        constraint.strip_whitespace,
                        constraint.to_upper,
                        constraint.to_lower,
                        constraint.strict,
                        constraint.ascii_only,
                    )
                ):
                    return None
                if constraint.min_length is not None:
                    fails = fails | (value.str.len_chars() < constraint.min_length)
                if constraint.max_length is not None:
                    fails = fails | (value.str.len_chars() > constraint.max_length)
                if constraint.pattern is not None:
                    pattern = constraint.pattern
                    if not isinstance(pattern, str):
                        return None
                    fails = fails | ~value.str.contains(pattern)
        else:
            return None
        checks.append(fails.fill_null(True))
    return pl.any_horizontal(checks) if checks else pl.lit(False)
