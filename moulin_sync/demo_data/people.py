"""Names, cities, street addresses, emails and phone numbers, drawn from `vocab`."""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from typing import Final

from moulin_sync.demo_data import vocab
from moulin_sync.demo_data.world import cum_weights

City = tuple[str, str, int, bool]
"""(city, postcode, weight, has_pickup_points), as in `vocab.CITIES`."""

ALL_FIRST_NAMES: Final[tuple[str, ...]] = vocab.FIRST_NAMES_FEMALE + vocab.FIRST_NAMES_MALE

_CITY_CUM: Final[list[float]] = cum_weights([city[2] for city in vocab.CITIES])
_DOMAINS: Final[list[str]] = [domain for domain, _ in vocab.EMAIL_DOMAINS]
_DOMAIN_CUM: Final[list[float]] = cum_weights([weight for _, weight in vocab.EMAIL_DOMAINS])

# The part before the @, in the ways people build it, and how often (cumulative
# shares; the last template takes the rest).
_LOCAL_PARTS: Final[tuple[str, ...]] = (
    "{first}.{last}",
    "{first}{last}",
    "{initial}.{last}",
    "{first}_{last}",
    "{last}.{first}",
    "{first}.{last}{number}",
    "{first}{year}",
)
_LOCAL_PART_CUM: Final[tuple[float, ...]] = (0.45, 0.57, 0.69, 0.75, 0.83, 0.93)

# Mostly mobiles; landlines mostly 04 (cumulative shares, the last group takes the rest).
_PHONE_PREFIXES: Final[tuple[tuple[str, ...], ...]] = (
    vocab.MOBILE_06_PREFIXES,
    vocab.MOBILE_07_PREFIXES,
    vocab.LANDLINE_04_PREFIXES,
    vocab.LANDLINE_OTHER_PREFIXES,
)
_PHONE_PREFIX_CUM: Final[tuple[float, ...]] = (0.5, 0.7, 0.9)

_PHONE_FORMATS: Final[tuple[Callable[[str], str], ...]] = (
    # d is the 9 national digits after the leading 0, e.g. "612345678".
    lambda d: f"0{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:9]}",
    lambda d: f"0{d}",
    lambda d: f"+33 {d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:9]}",
    lambda d: f"+33{d}",
    lambda d: f"0{d[0]}.{d[1:3]}.{d[3:5]}.{d[5:7]}.{d[7:9]}",
    lambda d: f"0{d[0]}-{d[1:3]}-{d[3:5]}-{d[5:7]}-{d[7:9]}",
)
_PHONE_FORMAT_CUM: Final[list[float]] = cum_weights((40, 25, 12, 13, 8, 2))


def city(rng: random.Random) -> City:
    """A city, weighted towards Lyon and the neighbouring departments."""
    return rng.choices(vocab.CITIES, cum_weights=_CITY_CUM)[0]


def fill_name_template(rng: random.Random, template: str, city_name: str) -> str:
    """`template` with a random `{last}` and `{first}` name and `city_name` as `{city}`."""
    return template.format(
        last=rng.choice(vocab.LAST_NAMES), first=rng.choice(ALL_FIRST_NAMES), city=city_name
    )


def street(rng: random.Random) -> str:
    """A street address line, e.g. "12 bis rue des Moulins"."""
    number = int(rng.random() ** 2 * 180) + 1  # low street numbers are commoner
    return (
        f"{number}{rng.choice(vocab.STREET_NUMBER_SUFFIXES)} "
        f"{rng.choice(vocab.STREET_TYPES)} {rng.choice(vocab.STREET_NAMES)}"
    )


@cache
def ascii_slug(value: str) -> str:
    """Lower-case ASCII letters, digits and hyphens: the name part of an email."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    slug = "".join(c if c.isalnum() or c == "-" else "" for c in plain.replace(" ", "-"))
    return slug.strip("-") or "client"


def email(rng: random.Random, first: str, last: str) -> str:
    """An address made of the person's names, the way people pick them."""
    first_slug, last_slug = ascii_slug(first), ascii_slug(last)
    template = _LOCAL_PARTS[bisect_right(_LOCAL_PART_CUM, rng.random())]
    number = int(rng.random() * 99) + 1 if "{number}" in template else 0
    year = 1950 + int(rng.random() * 55) if "{year}" in template else 0
    local = template.format(
        first=first_slug, initial=first_slug[0], last=last_slug, number=number, year=year
    )
    return f"{local}@{rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0]}"


def phone(rng: random.Random) -> str:
    """A valid French number, mostly a mobile, written in one of the usual ways."""
    prefixes = _PHONE_PREFIXES[bisect_right(_PHONE_PREFIX_CUM, rng.random())]
    prefix = rng.choice(prefixes)
    digits = prefix + f"{int(rng.random() * 10**9):09d}"[: 9 - len(prefix)]
    return rng.choices(_PHONE_FORMATS, cum_weights=_PHONE_FORMAT_CUM)[0](digits)
