"""Payload models: the contract of what moulin-sync sends HubSpot, per object type.

Every value is a string, as HubSpot takes it ("" clears a value). The constraints are
HubSpot's own (see ../shared/reference/hubspot-api.md): `date` as YYYY-MM-DD,
numbers with one decimal point, enumerations among their options, strings up to
65,536 characters. A row that fails is quarantined with pydantic's reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, get_args, get_origin

import polars as pl
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from moulin_sync.sources.app_du_moulin.quality import EMAIL_PATTERN

Text = Annotated[str, StringConstraints(max_length=65_536)]
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN, max_length=254)]
Day = Annotated[str, StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
Instant = Annotated[
    str, StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?$")
]
Number = Annotated[str, StringConstraints(pattern=r"^(-?\d+(\.\d+)?)?$")]
Count = Annotated[str, StringConstraints(pattern=r"^\d+$")]
Phone = Annotated[str, StringConstraints(pattern=r"^(\+\d{6,15})?$")]
Bool = Literal["true", "false"]
CustomerType = Literal["B2C", "B2B"]
Key = Annotated[str, StringConstraints(pattern=r"^\d+$")]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContactProperties(_Payload):
    email: Email
    firstname: Text
    lastname: Text
    phone: Phone
    address: Text
    zip: Text
    city: Text
    company: Text
    moulin_customer_id: Key
    moulin_customer_type: CustomerType
    moulin_company_role: Text
    moulin_marketing_consent: Bool
    moulin_customer_since: Day
    moulin_first_order_date: Day
    moulin_last_order_date: Day
    moulin_order_count: Count
    moulin_lifetime_value_eur: Number
    moulin_last_pickup_point: Text


class CompanyProperties(_Payload):
    name: Annotated[str, StringConstraints(min_length=1, max_length=65_536)]
    address: Text
    zip: Text
    city: Text
    country: Text
    moulin_company_id: Key
    moulin_siret: Annotated[str, StringConstraints(pattern=r"^(\d{14})?$")]
    moulin_vat_number: Text
    moulin_sector: Text
    moulin_order_count: Count
    moulin_lifetime_value_eur: Number
    moulin_first_order_date: Day
    moulin_last_order_date: Day


def _reason(error: ValidationError) -> str:
    parts = []
    for problem in error.errors()[:3]:
        field = ".".join(str(p) for p in problem["loc"])
        value = str(problem.get("input", ""))[:60]
        parts.append(f"{field} {value!r} is not valid: {problem['msg']}")
    return "; ".join(parts)


def validate_records(
    model: type[_Payload], records: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid rows, quarantined source keys with the reason) of a payload frame.

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
    quarantine = pl.DataFrame(
        rejected, schema={"source_key": pl.String, "reason": pl.String}, orient="row"
    )
    if quarantine.is_empty():
        return records, quarantine
    valid = records.join(quarantine.select("source_key"), on="source_key", how="anti")
    return valid, quarantine


def row_may_fail(model: type[_Payload], schema: Mapping[str, pl.DataType]) -> pl.Expr | None:
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


OrderChannel = Literal["web", "app", "shop", "b2b"]
OrderStatus = Literal["pending", "paid", "ready", "picked_up", "delivered", "cancelled", "refunded"]


class DealProperties(_Payload):
    dealname: Annotated[str, StringConstraints(min_length=1, max_length=65_536)]
    amount: Annotated[str, StringConstraints(pattern=r"^\d+(\.\d{1,2})?$")]
    deal_currency_code: Literal["EUR"]
    closedate: Annotated[
        str, StringConstraints(pattern=Instant.__metadata__[0].pattern, min_length=1)
    ]
    pipeline: Annotated[str, StringConstraints(min_length=1)]
    dealstage: Annotated[str, StringConstraints(min_length=1)]
    moulin_order_id: Key
    moulin_order_number: Text
    moulin_customer_type: CustomerType
    moulin_channel: OrderChannel
    moulin_order_status: OrderStatus
    moulin_pickup_point: Text
    moulin_paid_at: Instant
