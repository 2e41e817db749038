"""Phone numbers in E.164, as HubSpot's phone properties expect them."""

from __future__ import annotations

from functools import cache
from typing import Any

import phonenumbers
import polars as pl


def e164(phone: str | None) -> str | None:
    """A French (by default) phone number in E.164, or None when it is not a number."""
    if phone is None:
        return None
    try:
        parsed = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_phones(frame: pl.DataFrame, column: str) -> pl.Series:
    """E.164 for a whole column, parsing each distinct raw value once.

    French numbers written the usual ways (0 and nine digits, or +33 and the nine, in
    pairs or not, separated by spaces, dots or dashes) are checked against
    libphonenumber's own French patterns as polars expressions, which gives exactly what
    `e164` gives; any other value goes through `e164` (libphonenumber's parser, about
    0.15 ms a number: seconds for a hundred thousand customers, every night).
    """
    raw = frame.get_column(column)
    distinct = pl.DataFrame({"raw": raw.drop_nulls().unique()}, schema={"raw": pl.String})
    valid = _french_validity()
    mapping: dict[str, str | None] = {}
    if valid is not None:
        shaped = distinct.filter(
            pl.col("raw").str.contains(FRENCH_NATIONAL_FORMAT)
            | pl.col("raw").str.contains(FRENCH_INTERNATIONAL_FORMAT)
        )
        digits = pl.col("raw").str.replace_all(r"[^0-9]", "")
        national = pl.when(pl.col("raw").str.starts_with("+")).then(digits.str.slice(2))
        quick = shaped.select("raw", national=national.otherwise(digits.str.slice(1))).select(
            "raw", pl.when(valid).then("+33" + pl.col("national")).alias("e164")
        )
        mapping.update(zip(quick["raw"].to_list(), quick["e164"].to_list(), strict=True))
        distinct = distinct.join(shaped, on="raw", how="anti")
    mapping.update({text: e164(text) for text in distinct["raw"].to_list()})
    return raw.replace_strict(mapping, default=None, return_dtype=pl.String)


# 0 then nine digits, optionally in pairs separated by one space, dot or dash.
FRENCH_NATIONAL_FORMAT = r"^0[1-9](?:[ .\-]?[0-9]{2}){4}$"
# +33 then the same nine digits without the 0, the first alone or not.
FRENCH_INTERNATIONAL_FORMAT = r"^\+33[ .\-]?[1-9](?:[ .\-]?[0-9]{2}){4}$"
# The number types `phonenumbers.is_valid_number` accepts (any type but UNKNOWN).
_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


@cache
def _french_validity() -> pl.Expr | None:
    """`phonenumbers.is_valid_number` for a French national significant number (column
    `national`: nine ASCII digits), built from libphonenumber's metadata for FR; None
    when the metadata is not of the expected shape (then every value is parsed)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    if metadata is None or metadata.country_code != 33 or metadata.national_prefix != "0":
        return None

    def matches(desc: Any) -> pl.Expr:
        # phonenumbers' _is_number_matching_desc: the length, then a full match.
        if desc is None or not desc.national_number_pattern:
            return pl.lit(False)
        if desc.possible_length and 9 not in desc.possible_length:
            return pl.lit(False)
        return pl.col("national").str.contains(f"^(?:{desc.national_number_pattern})$")

    valid = matches(metadata.general_desc) & pl.any_horizontal(
        [matches(getattr(metadata, name, None)) for name in _NUMBER_TYPES]
    )
    try:  # every pattern must compile in polars' regex engine too
        pl.DataFrame({"national": ["612345678"]}).select(valid)
    except pl.exceptions.PolarsError:
        return None
    return valid
