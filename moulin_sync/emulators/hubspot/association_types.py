"""HubSpot-defined association types: (from type, to type) → {type id: label}.

Ids as HubSpot publishes them (its SDKs' `AssociationType`); each direction has its own
id, and the first id of a pair is the unlabelled default. Only the company links have
a labelled "Primary" type.
"""

from __future__ import annotations

# (from, to, unlabelled default id, reverse default id)
_PAIRS: list[tuple[str, str, int, int]] = [
    ("contacts", "companies", 279, 280),
    ("deals", "companies", 341, 342),
    ("deals", "contacts", 3, 4),
    ("contacts", "tickets", 15, 16),
    ("tickets", "companies", 339, 340),
    ("deals", "tickets", 27, 28),
    ("deals", "line_items", 19, 20),
    ("deals", "quotes", 63, 64),
    ("quotes", "line_items", 67, 68),
    ("quotes", "contacts", 69, 70),
    ("quotes", "companies", 71, 72),
    ("contacts", "feedback_submissions", 97, 98),
    ("tickets", "feedback_submissions", 99, 100),
    ("companies", "calls", 181, 182),
    ("companies", "emails", 185, 186),
    ("companies", "meetings", 187, 188),
    ("companies", "notes", 189, 190),
    ("companies", "tasks", 191, 192),
    ("contacts", "calls", 193, 194),
    ("contacts", "emails", 197, 198),
    ("contacts", "meetings", 199, 200),
    ("contacts", "notes", 201, 202),
    ("contacts", "tasks", 203, 204),
    ("deals", "calls", 205, 206),
    ("deals", "emails", 209, 210),
    ("deals", "meetings", 211, 212),
    ("deals", "notes", 213, 214),
    ("deals", "tasks", 215, 216),
    ("quotes", "tasks", 217, 218),
    ("tickets", "calls", 219, 220),
    ("tickets", "emails", 223, 224),
    ("tickets", "meetings", 225, 226),
    ("tickets", "notes", 227, 228),
    ("tickets", "tasks", 229, 230),
    ("calls", "meetings", 399, 400),
    ("postal_mail", "contacts", 453, 454),
    ("postal_mail", "tickets", 455, 456),
    ("postal_mail", "deals", 457, 458),
    ("postal_mail", "companies", 459, 460),
]
# The primary company: (from, to, id, reverse id), beside the unlabelled pair above.
_PRIMARY: list[tuple[str, str, int, int]] = [
    ("contacts", "companies", 1, 2),
    ("deals", "companies", 5, 6),
    ("tickets", "companies", 26, 25),
]


def _table() -> tuple[dict[tuple[str, str], dict[int, str | None]], dict[int, int]]:
    types: dict[tuple[str, str], dict[int, str | None]] = {}
    reverse: dict[int, int] = {}
    for a, b, forth, back in _PAIRS:
        types.setdefault((a, b), {})[forth] = None
        types.setdefault((b, a), {})[back] = None
        reverse[forth], reverse[back] = back, forth
    for a, b, forth, back in _PRIMARY:
        types[(a, b)][forth] = "Primary"
        types[(b, a)][back] = "Primary"
        reverse[forth], reverse[back] = back, forth
    return types, reverse


TYPES, REVERSE = _table()
DEFAULT = {pair: next(iter(ids)) for pair, ids in TYPES.items()}
PRIMARY_TO_COMPANY = frozenset(forth for _, _, forth, _ in _PRIMARY)  # seen from the record
PRIMARY_FROM_COMPANY = frozenset(back for _, _, _, back in _PRIMARY)  # seen from the company
