"""Source rows → HubSpot payloads, as pure polars functions (no I/O, no clock).

A payload frame has one row per record: `source_key`, one String column per HubSpot
property (HubSpot takes every value as a string; "" clears a value), and link columns
(`company_key`, ...) resolved to HubSpot ids at write time. Rows that cannot become a
valid record go to a quarantine frame with a reason a person understands — never sent,
never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any

import phonenumbers
import polars as pl
import polars_hash  # noqa: F401  (registers the `nchash` expression namespace)
import pyarrow as pa

from moulin_sync.sources.app_du_moulin.quality import email_problem, is_erased, normalised_email

MAX_STRING_CHARS = 65_536
MAX_DEAL_AMOUNT_EUR = 1_000_000
# Orders that count towards a customer's history: placed and not undone.
COUNTED_STATUSES = ("pending", "paid", "ready", "picked_up", "delivered")
# Orders whose money was received and kept.
PAID_STATUSES = ("paid", "ready", "picked_up", "delivered")

CONTACT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "phone",
    "address",
    "zip",
    "city",
    "company",
    "moulin_customer_id",
    "moulin_customer_type",
    "moulin_company_role",
    "moulin_marketing_consent",
    "moulin_customer_since",
    "moulin_first_order_date",
    "moulin_last_order_date",
    "moulin_order_count",
    "moulin_lifetime_value_eur",
    "moulin_last_pickup_point",
)
COMPANY_PROPERTIES = (
    "name",
    "address",
    "zip",
    "city",
    "country",
    "moulin_company_id",
    "moulin_siret",
    "moulin_vat_number",
    "moulin_sector",
    "moulin_order_count",
    "moulin_lifetime_value_eur",
    "moulin_first_order_date",
    "moulin_last_order_date",
)
# Rows encoded and hashed at a time: bounds the text alive at once (a few hundred MB),
# large enough that the per-slice overhead does not count.
HASH_SLICE = 500_000
UNIT_SEPARATOR = "\x1f"  # between the values of a payload, where it is hashed
# Marks a hash as `stable_hash`'s: the legacy hashes have no prefix.
HASH_PREFIX = "xxh3:"
QUARANTINE_SCHEMA = {"source_key": pl.String, "reason": pl.String}


@dataclass(frozen=True)
class Payloads:
    """What a transform made: records to send, records quarantined, records to erase."""

    records: pl.DataFrame
    quarantine: pl.DataFrame
    erased: pl.DataFrame  # source keys of records to archive (GDPR)


# Cleaning -------------------------------------------------------------------


def clean_text(column: str | pl.Expr) -> pl.Expr:
    """Control characters (NUL included) removed, whitespace trimmed, empty → null."""
    expr = pl.col(column) if isinstance(column, str) else column
    cleaned = expr.str.replace_all(r"[\x00-\x08\x0b-\x1f\x7f]", "").str.strip_chars()
    return pl.when(cleaned == "").then(None).otherwise(cleaned)


def hubspot_date(column: str | pl.Expr, timezone: str) -> pl.Expr:
    """A HubSpot `date` value: the local day as YYYY-MM-DD (midnight UTC on HubSpot's side)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d")


def hubspot_datetime(column: str | pl.Expr) -> pl.Expr:
    """A HubSpot `datetime` value: ISO 8601 in UTC with milliseconds."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def decimal_string(column: str | pl.Expr) -> pl.Expr:
    """An amount as HubSpot wants a number: '1234.50', one decimal point, no grouping."""
    expr = pl.col(column) if isinstance(column, str) else column
    # Wide enough that no sum of valid amounts overflows; an impossible value becomes
    # null (and is quarantined upstream), never an exception that stops every record.
    return expr.cast(pl.Decimal(38, 2), strict=False).cast(pl.String)


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

    French numbers written the usual way (0 and nine digits, in pairs or not, separated
    by spaces, dots or dashes) are checked against libphonenumber's own French patterns
    as polars expressions, which gives exactly what `e164` gives; any other value goes
    through `e164` (libphonenumber's parser).
    """
    raw = frame.get_column(column)
    distinct = pl.DataFrame({"raw": raw.drop_nulls().unique()}, schema={"raw": pl.String})
    valid = _french_validity()
    mapping: dict[str, str | None] = {}
    if valid is not None:
        shaped = distinct.filter(pl.col("raw").str.contains(FRENCH_NATIONAL_FORMAT))
        quick = shaped.select(
            "raw", national=pl.col("raw").str.replace_all(r"[ .\-]", "").str.slice(1)
        ).select("raw", pl.when(valid).then("+33" + pl.col("national")).alias("e164"))
        mapping.update(zip(quick["raw"].to_list(), quick["e164"].to_list(), strict=True))
        distinct = distinct.join(shaped, on="raw", how="anti")
    mapping.update({text: e164(text) for text in distinct["raw"].to_list()})
    return raw.replace_strict(mapping, default=None, return_dtype=pl.String)


# 0 then nine digits, optionally in pairs separated by one space, dot or dash.
FRENCH_NATIONAL_FORMAT = r"^0[1-9](?:[ .\-]?[0-9]{2}){4}$"
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


def payload_hashes(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.Series:
    """A stable hash of each row's payload (what HubSpot would hold after the write),
    as `stable_hash` gives it: "xxh3:" and 32 hex characters (the legacy blake2b hashes
    are 32 hex characters alone, see `legacy_payload_hashes`).

    Not polars' own `hash`, which may change between polars versions and would then make
    every record look changed. The hashed text is the property values joined by the
    unit separator (U+001F), after a fingerprint of the property names, so a property
    added, renamed or reordered changes every hash (and re-sends every record). A row
    where a value holds the separator, or is null, would make that text ambiguous: such
    rows (rare, found by a cheap literal search) are encoded as JSON instead. The two
    encodings cannot give the same text: JSON starts with "{", a joined text with the
    fingerprint's hex digits.
    """
    values = [pl.col(c) for c in columns]
    joined = pl.concat_str([pl.lit(_fingerprint(columns)), *values], separator=UNIT_SEPARATOR)
    ambiguous = pl.any_horizontal(
        [v.str.contains(UNIT_SEPARATOR, literal=True).fill_null(True) for v in values]
    )
    parts = []
    # By slices, so the text of only one slice is alive at a time (memory).
    for start in range(0, frame.height, HASH_SLICE):
        chunk = frame.slice(start, HASH_SLICE)
        texts = chunk.select(joined.alias("text"), ambiguous.alias("ambiguous"))
        odd = texts["ambiguous"].arg_true()
        text = texts["text"]
        if odd.len():
            encoded = chunk[odd].select(pl.struct(list(columns)).struct.json_encode())
            text = text.scatter(odd, encoded.to_series())
        parts.append(text.to_frame().select(stable_hash(pl.col("text"))).to_series())
    if not parts:
        return pl.Series("payload_hash", [], dtype=pl.String)
    return pl.concat(parts, rechunk=False).alias("payload_hash")


def _fingerprint(columns: tuple[str, ...]) -> str:
    """Eight hex characters that change when the property names or their order do."""
    names = UNIT_SEPARATOR.join(columns).encode()
    return hashlib.blake2b(names, digest_size=4).hexdigest()


def stable_hash(texts: pl.Expr) -> pl.Expr:
    """XXH3-128 of each string's UTF-8 bytes, in the canonical (big-endian) byte order,
    as "xxh3:" and 32 hex characters; null stays null.

    Computed in Rust by polars-hash, no Python per row. XXH3's output is fixed by its
    specification, unlike polars' own `hash`. Not a cryptographic hash, which change
    detection does not need: 128 bits make an accidental collision out of reach, and it
    is five times faster than blake3 here.
    """
    digest = texts.nchash.xxh3_128(return_binary=True, byte_order="big")  # polars_hash
    return pl.concat_str([pl.lit(HASH_PREFIX), digest.bin.encode("hex")])


def legacy_payload_hashes(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.Series:
    """The payload hash as moulin-sync stored it until `payload_hashes`: blake2b (16
    bytes, 32 hex characters) of a canonical JSON encoding. Kept so a state store
    written by an older release is read without re-sending every record
    (see `plan.plan_sync`)."""
    encoder = pl.struct(list(columns)).struct.json_encode()
    parts = [
        blake2b_hex(frame.slice(start, HASH_SLICE).select(encoder).to_series())
        for start in range(0, frame.height, HASH_SLICE)
    ]
    if not parts:
        return pl.Series("payload_hash", [], dtype=pl.String)
    return pl.concat(parts, rechunk=False).alias("payload_hash")


def blake2b_hex(texts: pl.Series) -> pl.Series:
    """blake2b (16 bytes, hex) of each string's UTF-8 bytes, read straight from the
    Arrow buffer (no Python str is built); null hashes as "". The legacy hash."""
    if texts.is_empty():
        return pl.Series(texts.name, [], dtype=pl.String)
    array = texts.cast(pl.String).to_arrow()
    if array.null_count:
        array = array.fill_null("")
    array = array.cast(pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    _, offsets_buffer, data_buffer = array.buffers()
    start = array.offset
    offsets = memoryview(offsets_buffer).cast("q")[start : start + len(array) + 1].tolist()
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    digest = hashlib.blake2b
    digests = [digest(data[a:b], digest_size=16).digest() for a, b in pairwise(offsets)]
    return pl.Series(texts.name, digests, dtype=pl.Binary).bin.encode("hex")


def _too_long(columns: tuple[str, ...]) -> pl.Expr:
    """The first property longer than HubSpot's string limit, as a reason, else null."""
    reason = pl.lit(None, dtype=pl.String)
    for column in reversed(columns):
        reason = (
            pl.when(pl.col(column).str.len_chars() > MAX_STRING_CHARS)
            .then(pl.lit(f"{column} is longer than {MAX_STRING_CHARS:,} characters"))
            .otherwise(reason)
        )
    return reason


def _strings(columns: tuple[str, ...]) -> list[pl.Expr]:
    """Every property as a string, null as "" (which clears the value in HubSpot)."""
    return [pl.col(c).cast(pl.String).fill_null("").alias(c) for c in columns]


# Order totals ---------------------------------------------------------------


def order_totals(
    orders: pl.DataFrame,
    pickup_points: pl.DataFrame,
    *,
    by: str,
    timezone: str,
    now: dt.datetime,
) -> pl.DataFrame:
    """Per customer (or company): order count, lifetime value, first/last order day, and
    the last pickup point. Orders dated in the future are data errors and ignored here
    (the source check reports them)."""
    # Orders whose deal is quarantined for its amount (missing, negative, a typo'd
    # million) must not count either: one 9e15 EUR typo would swamp a lifetime value.
    counted = orders.filter(
        pl.col(by).is_not_null()
        & pl.col("status").is_in(COUNTED_STATUSES)
        & (pl.col("ordered_at") <= now)
        & pl.col("amount_eur").is_not_null()
        & (pl.col("amount_eur") >= 0)
        & (pl.col("amount_eur") <= MAX_DEAL_AMOUNT_EUR)
    )
    points = pickup_points.select(
        pl.col("id").alias("pickup_point_id"), pl.col("name").alias("pickup_point_name")
    )
    return (
        counted.join(points, on="pickup_point_id", how="left")
        .sort(by, "ordered_at")
        .group_by(by, maintain_order=True)
        .agg(
            order_count=pl.len(),
            lifetime_value_eur=pl.col("amount_eur")
            .filter(pl.col("status").is_in(PAID_STATUSES))
            .sum(),
            first_ordered_at=pl.col("ordered_at").first(),
            last_ordered_at=pl.col("ordered_at").last(),
            last_pickup_point=pl.col("pickup_point_name").drop_nulls().last(),
        )
        .with_columns(
            first_order_date=hubspot_date("first_ordered_at", timezone),
            last_order_date=hubspot_date("last_ordered_at", timezone),
        )
        .drop("first_ordered_at", "last_ordered_at")
    )


# Contacts -------------------------------------------------------------------


def contact_payloads(
    customers: pl.DataFrame,
    company_contacts: pl.DataFrame,
    companies: pl.DataFrame,
    totals: pl.DataFrame,
    *,
    timezone: str,
) -> Payloads:
    """B2C customers and B2B contacts as HubSpot contacts keyed by `moulin_customer_id`."""
    erased = customers.filter(is_erased()).select(pl.col("id").cast(pl.String).alias("source_key"))
    live = customers.filter(~is_erased())
    links = company_contacts.join(
        companies.select(pl.col("id").alias("company_id"), pl.col("name").alias("company_name")),
        on="company_id",
        how="left",
    )
    joined = live.join(links, left_on="id", right_on="customer_id", how="left").join(
        totals, left_on="id", right_on="customer_id", how="left"
    )
    frame = joined.with_columns(phone_e164=e164_phones(joined, "phone")).select(
        pl.col("id").cast(pl.String).alias("source_key"),
        email_problem().alias("email_problem"),
        normalised_email().alias("email"),
        clean_text("first_name").alias("firstname"),
        clean_text("last_name").alias("lastname"),
        pl.col("phone_e164").alias("phone"),
        clean_text("address").alias("address"),
        clean_text("postcode").alias("zip"),
        clean_text("city").alias("city"),
        clean_text("company_name").alias("company"),
        pl.col("id").cast(pl.String).alias("moulin_customer_id"),
        pl.when(pl.col("company_id").is_not_null())
        .then(pl.lit("B2B"))
        .otherwise(pl.lit("B2C"))
        .alias("moulin_customer_type"),
        clean_text("role").alias("moulin_company_role"),
        pl.col("marketing_consent").cast(pl.String).alias("moulin_marketing_consent"),
        hubspot_date("created_at", timezone).alias("moulin_customer_since"),
        pl.col("first_order_date").alias("moulin_first_order_date"),
        pl.col("last_order_date").alias("moulin_last_order_date"),
        pl.col("order_count").fill_null(0).cast(pl.String).alias("moulin_order_count"),
        decimal_string(pl.col("lifetime_value_eur").fill_null(0)).alias(
            "moulin_lifetime_value_eur"
        ),
        clean_text("last_pickup_point").alias("moulin_last_pickup_point"),
        pl.col("company_id").cast(pl.String).alias("company_key"),
    )
    # One email, one HubSpot contact: the oldest customer keeps it, the others wait.
    owner = (
        frame.filter(pl.col("email_problem").is_null())
        .group_by("email")
        .agg(owner=pl.col("source_key").sort_by(pl.col("source_key").cast(pl.Int64)).first())
    )
    frame = frame.join(owner, on="email", how="left").with_columns(
        reason=pl.coalesce(
            pl.col("email_problem"),
            pl.when(pl.col("owner") != pl.col("source_key")).then(
                pl.format("email {} also belongs to customer {}, the one synced", "email", "owner")
            ),
            _too_long(("firstname", "lastname", "address", "city", "company")),
        )
    )
    return _split(frame, CONTACT_PROPERTIES, links=("company_key",), erased=erased)


# Companies ------------------------------------------------------------------


def company_payloads(companies: pl.DataFrame, totals: pl.DataFrame) -> Payloads:
    """B2B companies as HubSpot companies keyed by `moulin_company_id`."""
    frame = companies.join(totals, left_on="id", right_on="company_id", how="left").select(
        pl.col("id").cast(pl.String).alias("source_key"),
        clean_text("name").alias("name"),
        clean_text("address").alias("address"),
        clean_text("postcode").alias("zip"),
        clean_text("city").alias("city"),
        pl.lit("France").alias("country"),
        pl.col("id").cast(pl.String).alias("moulin_company_id"),
        clean_text("siret").alias("moulin_siret"),
        clean_text("vat_number").alias("moulin_vat_number"),
        clean_text("sector").alias("moulin_sector"),
        pl.col("order_count").fill_null(0).cast(pl.String).alias("moulin_order_count"),
        decimal_string(pl.col("lifetime_value_eur").fill_null(0)).alias(
            "moulin_lifetime_value_eur"
        ),
        pl.col("first_order_date").alias("moulin_first_order_date"),
        pl.col("last_order_date").alias("moulin_last_order_date"),
    )
    frame = frame.with_columns(
        reason=pl.coalesce(
            pl.when(pl.col("name").is_null()).then(pl.lit("company has no name")),
            _too_long(("name", "address", "city", "moulin_sector")),
        )
    )
    empty = pl.DataFrame(schema={"source_key": pl.String})
    return _split(frame, COMPANY_PROPERTIES, links=(), erased=empty)


def _split(
    frame: pl.DataFrame,
    properties: tuple[str, ...],
    *,
    links: tuple[str, ...],
    erased: pl.DataFrame,
) -> Payloads:
    quarantine = frame.filter(pl.col("reason").is_not_null()).select("source_key", "reason")
    records = frame.filter(pl.col("reason").is_null()).select(
        "source_key", *_strings(properties), *links
    )
    # The hash covers the properties; the plan adds the resolved association targets.
    records = records.with_columns(payload_hashes(records, properties))
    return Payloads(records=records, quarantine=quarantine, erased=erased)


# Deals ------------------------------------------------------------------------

DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "closedate",
    "pipeline",
    "dealstage",
    "moulin_order_id",
    "moulin_order_number",
    "moulin_customer_type",
    "moulin_channel",
    "moulin_order_status",
    "moulin_pickup_point",
    "moulin_paid_at",
)


def deal_payloads(
    orders: pl.DataFrame,
    customers: pl.DataFrame,
    companies: pl.DataFrame,
    pickup_points: pl.DataFrame,
    *,
    pipeline_id: str,
    stage_ids: dict[str, str],
    timezone: str,
) -> Payloads:
    """One deal per order, keyed by `moulin_order_id`, with its contact (and company).

    `partition_key` (the order's month) travels with each record into the state store.
    The close date is the day the order was placed: it is when the sale happened, and it
    is what a legacy import made before moulin-sync would carry too.
    """
    # The small tables are cleaned before the join: once per customer, company or
    # pickup point, not once per order.
    people = customers.lazy().select(
        pl.col("id").alias("customer_id"),
        is_erased().alias("customer_erased"),
        pl.concat_str(
            [clean_text("first_name"), clean_text("last_name")], separator=" ", ignore_nulls=True
        ).alias("customer_name"),
    )
    firms = companies.lazy().select(
        pl.col("id").alias("company_id"), clean_text("name").alias("company_name")
    )
    points = pickup_points.lazy().select(
        pl.col("id").alias("pickup_point_id"), clean_text("name").alias("pickup_point_name")
    )
    stages = pl.LazyFrame(
        {"status": list(stage_ids), "dealstage": list(stage_ids.values())},
        schema={"status": pl.String, "dealstage": pl.String},
    )
    amount = pl.col("amount_eur")
    month = pl.col("ordered_at").dt.convert_time_zone(timezone).dt.strftime("%Y-%m-01")
    if "partition_key" in orders.columns:
        # The snapshot's month: the only one an order whose date does not read has.
        month = pl.coalesce(month, pl.col("partition_key"))
    is_b2b = pl.col("company_id").is_not_null()
    # Why an order cannot become a deal, in words for the web team: the first that holds.
    problems = [
        (
            pl.col("customer_erased").is_null(),
            pl.format("customer {} does not exist in the App du Moulin", "customer_id"),
        ),
        (
            pl.col("customer_erased"),
            pl.lit("customer erased (GDPR): no contact to attach the deal to"),
        ),
        (amount.is_null(), pl.lit("amount is missing or not a number")),
        (amount < 0, pl.lit("amount is negative")),
        (
            amount > MAX_DEAL_AMOUNT_EUR,
            pl.lit(f"amount is above {MAX_DEAL_AMOUNT_EUR:,} EUR, surely a typo"),
        ),
        (
            pl.col("dealstage").is_null(),
            pl.format("unknown order status {}: map it in MOULIN_DEAL_STAGES", "status"),
        ),
        (
            pl.col("ordered_at").is_null(),
            pl.lit("order date is missing or not a date: fix ordered_at in the App du Moulin"),
        ),
    ]
    # Only whether an order is blocked is computed for every order; the reason's text,
    # for the blocked ones alone (a `when` builds its `then` text for every row).
    blocked = pl.any_horizontal([condition for condition, _ in problems]).fill_null(False)
    reason = pl.coalesce([pl.when(condition).then(text) for condition, text in problems])
    # One lazy query, collected once: the joined orders are never materialised, only
    # the payload columns, which polars computes in parallel.
    frame = (
        orders.lazy()
        .join(people, on="customer_id", how="left", maintain_order="left")
        .join(firms, on="company_id", how="left", maintain_order="left")
        .join(points, on="pickup_point_id", how="left", maintain_order="left")
        .join(stages, on="status", how="left", maintain_order="left")
        .select(
            pl.col("id").cast(pl.String).alias("source_key"),
            pl.concat_str(
                [
                    pl.col("order_number"),
                    pl.when(is_b2b)
                    .then(pl.col("company_name"))
                    .otherwise(pl.col("customer_name"))
                    .fill_null("client inconnu"),
                ],
                separator=" — ",
            ).alias("dealname"),
            decimal_string(amount).alias("amount"),
            pl.lit("EUR").alias("deal_currency_code"),
            hubspot_datetime("ordered_at").alias("closedate"),
            pl.lit(pipeline_id).alias("pipeline"),
            pl.col("dealstage"),
            clean_text("order_number").alias("moulin_order_number"),
            pl.when(is_b2b)
            .then(pl.lit("B2B"))
            .otherwise(pl.lit("B2C"))
            .alias("moulin_customer_type"),
            pl.col("channel").alias("moulin_channel"),
            pl.col("status").alias("moulin_order_status"),
            pl.col("pickup_point_name").alias("moulin_pickup_point"),
            hubspot_datetime("paid_at").alias("moulin_paid_at"),
            pl.col("customer_id").cast(pl.String).alias("contact_key"),
            pl.col("company_id").cast(pl.String).alias("company_key"),
            month.alias("partition_key"),
            blocked.alias("blocked"),
            # What the reason needs, for the few blocked orders.
            "customer_id",
            "customer_erased",
            "amount_eur",
            "status",
            "ordered_at",
        )
        # The order id is the source key: cast once, copied.
        .with_columns(moulin_order_id=pl.col("source_key"))
        .collect(engine="in-memory")
    )
    quarantine = frame.filter("blocked").select(
        "source_key",
        reason.alias("reason"),
        "partition_key",
    )
    records = frame.filter(~pl.col("blocked")).select(
        "source_key", *_strings(DEAL_PROPERTIES), "contact_key", "company_key", "partition_key"
    )
    records = records.with_columns(payload_hashes(records, DEAL_PROPERTIES))
    empty = pl.DataFrame(schema={"source_key": pl.String})
    return Payloads(records=records, quarantine=quarantine, erased=empty)
