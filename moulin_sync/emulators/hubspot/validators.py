"""Property value validation: each property definition compiles to a `value -> normalised
string` function, so checking a batch of 100 records is a handful of dict look-ups per value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import PropertyError
from .object_types import PIPELINE_PROPS
from .timestamps import DAY_MS, iso_ms, to_epoch_ms

Validator = Callable[[str], str]
MAX_STRING = 65_536
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
# HubSpot: RFC 2822 (an unquoted ASCII local part) and a domain that may be internationalized
# ("user@email.삼성" is valid, says HubSpot): labels of letters and digits of any script,
# hyphens inside. HubSpot also requires an IANA-delegated TLD; no TLD list is modeled here.
_LABEL = r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?"
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@" + _LABEL + r"(?:\." + _LABEL + r")+$")


def _check_string(v: str) -> str:
    if len(v) > MAX_STRING:
        raise PropertyError(
            "INVALID_STRING_LENGTH",
            f"Value is {len(v)} characters long; the maximum is {MAX_STRING}",
        )
    return v


def _check_number(v: str) -> str:
    if not _NUMBER.match(v):
        raise PropertyError("INVALID_INTEGER", f"{v} was not a valid number.")
    return v


def _check_bool(v: str) -> str:
    low = v.lower()
    if low not in ("true", "false"):
        raise PropertyError("INVALID_BOOLEAN", f"{v} was not a valid boolean ('true' or 'false').")
    return low


def _check_date(v: str) -> str:
    ms = to_epoch_ms(v)
    if ms is None:
        raise PropertyError("INVALID_DATE", f"{v} was not a valid date (YYYY-MM-DD or epoch ms).")
    rest = ms % DAY_MS
    if rest:
        h, rem = divmod(rest, 3_600_000)
        m, rem = divmod(rem, 60_000)
        s, milli = divmod(rem, 1000)
        raise PropertyError(
            "INVALID_DATE", f"{v} is at {h}:{m:02d}:{s:02d}.{milli:03d} UTC, not midnight!"
        )
    return iso_ms(ms)[:10]


def _check_datetime(v: str) -> str:
    ms = to_epoch_ms(v)
    if ms is None:
        raise PropertyError(
            "INVALID_DATETIME", f"{v} was not a valid datetime (ISO 8601 or epoch ms)."
        )
    return iso_ms(ms)


def _check_email(v: str) -> str:
    _check_string(v)
    if not _EMAIL.match(v):
        raise PropertyError("INVALID_EMAIL", f"Email address {v} is invalid")
    return v.lower()


def _enum_validator(prop: dict[str, Any]) -> Validator:
    allowed = frozenset(o["value"] for o in prop.get("options") or [])
    multi = prop.get("fieldType") == "checkbox"
    name = prop["name"]

    def check(v: str) -> str:
        parts = v.split(";") if multi else (v,)
        for p in parts:
            if p not in allowed:
                raise PropertyError(
                    "INVALID_OPTION",
                    f"{p} was not one of the allowed options: [{', '.join(sorted(allowed))}]"
                    f" for property {name}",
                )
        return v

    return check


_BY_TYPE: dict[str, Validator] = {
    "number": _check_number,
    "bool": _check_bool,
    "date": _check_date,
    "datetime": _check_datetime,
}


def compile_validator(object_type: str, prop: dict[str, Any]) -> Validator:
    name, ptype = prop["name"], prop["type"]
    if object_type == "contacts" and name == "email":
        return _check_email
    if name in PIPELINE_PROPS.get(object_type, ()):
        return _check_string  # checked against the pipelines by the schema
    if ptype == "enumeration":
        return _enum_validator(prop)
    return _BY_TYPE.get(ptype, _check_string)
