"""French company identifiers: SIREN and SIRET numbers (Luhn-checked) and VAT numbers."""

from __future__ import annotations

import random


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by SIREN and SIRET numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_complete(payload: str) -> str:
    """`payload` followed by the one digit that makes it Luhn-valid."""
    for digit in "0123456789":
        if luhn_valid(payload + digit):
            return payload + digit
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def vat_number_from_siren(siren: str) -> str:
    """French intra-EU VAT number: `FR` + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def new_siren(rng: random.Random, taken: set[str]) -> str:
    """A random valid SIREN not in `taken`, which it joins."""
    siren = ""
    while not siren or siren in taken:
        # 8 digits (first one non-zero) and the Luhn check digit.
        siren = luhn_complete(str(10**7 + int(rng.random() * 9 * 10**7)))
    taken.add(siren)
    return siren


def siret_of(rng: random.Random, siren: str) -> str:
    """The SIRET of one establishment of `siren`."""
    # NIC (establishment number): 4 digits, then the SIRET check digit.
    return luhn_complete(siren + f"{int(rng.random() * 30) + 1:03d}0")
