"""The fast paths answer exactly what the slow paths answer.

- `invalid_records` screens rows with polars expressions and runs pydantic only on the
  rows they flag: same quarantine (keys, order, reasons).
- `e164_phones` checks usual French numbers against libphonenumber's French patterns in
  polars: the same E.164 (or None) as parsing each one with libphonenumber.
"""

import random

import polars as pl
import pytest
from pydantic import ValidationError

from moulin_sync.hubspot.streams import STREAMS
from moulin_sync.hubspot.streams import validation as models
from moulin_sync.hubspot.streams.phones import e164, e164_phones

# Values that trip every kind of rule: digits of other scripts, look-alike letters,
# control characters, over-long text, near-miss dates and amounts.
ODD = ["", " ", "a", "é", "—", "٣", "𝟘", "ﬁ", "\u00a0", "\n", "\t", "\x00", "\x7f", '"', "\\",
       "-", ".", "@", "+", ":", "T", "Z", "EUR", "B2B", "web", "true", "12", "-1.5", "1.234",
       "2024-01-01", "2024-02-30T10:00:00.000Z", "x" * 65_537]  # fmt: skip

GOOD = {
    "amount": "12.50",
    "deal_currency_code": "EUR",
    "closedate": "2024-05-01T10:00:00.000Z",
    "moulin_paid_at": "",
    "moulin_order_id": "42",
    "moulin_customer_id": "42",
    "moulin_company_id": "42",
    "moulin_customer_type": "B2C",
    "moulin_channel": "web",
    "moulin_order_status": "paid",
    "email": "jeanne.moulin@example.fr",
    "phone": "+33612345678",
    "moulin_marketing_consent": "true",
    "moulin_customer_since": "2020-05-04",
    "moulin_first_order_date": "",
    "moulin_last_order_date": "2024-05-01",
    "moulin_order_count": "3",
    "moulin_lifetime_value_eur": "120.00",
    "moulin_siret": "12345678901234",
    "moulin_email_issue": "",
    "nps_score": "9",
    "nps_category": "promoter",
    "nps_submitted_at": "2024-05-01T10:00:00.000Z",
    "freshdesk_ticket_id": "42",
    "hs_ticket_priority": "HIGH",
    "source_type": "EMAIL",
    "freshdesk_created_at": "2024-05-01T10:00:00.000Z",
}


def _per_row(model: type, records: pl.DataFrame) -> list[tuple[str, str]]:
    """The validation as it was: pydantic on every row."""
    rejected = []
    for row in records.select("source_key", *model.model_fields).iter_rows(named=True):
        key = row.pop("source_key")
        try:
            model.model_validate(row)
        except ValidationError as error:
            rejected.append((key, models._reason(error)))
    return rejected


def _dirty_frame(model: type, rows: int, seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    data: dict[str, list[str | None]] = {"source_key": [str(i) for i in range(rows)]}
    for name in model.model_fields:
        column: list[str | None] = []
        for _ in range(rows):
            roll = rng.random()
            good = GOOD.get(name, "Le Moulin")
            if roll < 0.004:
                column.append(None)
            elif roll < 0.03:
                column.append(rng.choice(ODD))
            elif roll < 0.04:
                column.append(good + rng.choice(ODD))
            else:
                column.append(good)
        data[name] = column
    return pl.DataFrame(data, schema={name: pl.String for name in data})


@pytest.mark.parametrize("model", [spec.model for spec in STREAMS], ids=[s.name for s in STREAMS])
def test_the_screened_validation_quarantines_exactly_what_pydantic_refuses(model) -> None:
    records = _dirty_frame(model, 3_000, seed=len(model.model_fields))
    expected = _per_row(model, records)
    assert 0 < len(expected) < records.height
    quarantine = models.invalid_records(model, records)
    assert list(quarantine.iter_rows()) == expected
    # The screen is tight as well as safe: it flags no row pydantic accepts here.
    flagged = records.filter(models.row_may_fail(model, records.schema))
    assert flagged.height == len(expected)


def test_a_model_the_screen_cannot_express_falls_back_to_pydantic_for_every_row() -> None:
    deals = next(spec.model for spec in STREAMS if spec.name == "deals")
    records = _dirty_frame(deals, 50, seed=3).with_columns(pl.col("amount").cast(pl.Categorical))
    assert models.row_may_fail(deals, records.schema) is None


def test_french_numbers_checked_in_polars_give_libphonenumbers_answer() -> None:
    rng = random.Random(11)
    raw: list[str | None] = []
    for _ in range(15_000):  # every prefix 01-09, valid and invalid ranges alike
        digits = f"0{rng.randint(1, 9)}{rng.randint(0, 10**8 - 1):08d}"
        separator = rng.choice(["", " ", ".", "-"])
        raw.append(digits[:2] + "".join(separator + digits[i : i + 2] for i in range(2, 10, 2)))
    raw += ["06 12 34 56 7", "+33 6 12 34 56 78", "0033612345678", "06  12 34 56 78",
            "06/12/34/56/78", "٠٦١٢٣٤٥٦٧٨", "06 12 34 56 78 ", "6 12 34 56 78", "", None]  # fmt: skip
    frame = pl.DataFrame({"phone": raw}, schema={"phone": pl.String})
    expected = [e164(value) for value in raw]
    assert None in expected and expected.count(None) < len(expected) // 2
    assert e164_phones(frame, "phone").to_list() == expected
