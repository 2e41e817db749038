"""Deterministic generator of a realistic (and, on request, realistically dirty) App du Moulin.

`generate()` fills the five source tables of `moulin_sync.sources.app_du_moulin.schema` at a
SQLite or PostgreSQL URL. Same arguments (including `today`) give the same database: byte
for byte for SQLite, row for row for PostgreSQL.

How it stays deterministic: every table samples its own `random.Random` stream,
seeded from `(seed, table name)`; nothing reads the clock except the default for
`today`; rows are written in a fixed order.

How it stays fast (1,000,000 orders in well under a minute): rows are plain tuples
built in Python lists, timestamps are integer epoch seconds formatted through
precomputed day and time-of-day strings, SQLite is loaded with `executemany` in one
transaction with the journal off and indexes built afterwards, PostgreSQL with COPY,
both from a background thread while the next rows are generated.

Dirt (`dirty_rate` > 0): each kind listed in `DIRT_KINDS` is injected into about
`dirty_rate` of the rows of its table (at least one when the table is big enough),
except 70,000-character notes, capped at `LONG_NOTE_CAP` rows per table so the
database stays a sensible size. The summary counts what was actually injected.

Modules:
- `generator`: `generate()` and `GenerationSummary`;
- `world`: dates, limits, `GeneratorError`, the clock, the seasons, the random streams;
- `model`: the tables in memory between phases;
- `people`, `identifiers`, `vocab`: names, addresses, emails, phones, SIREN/SIRET/VAT;
- `pickup_points`, `customers`, `companies`, `orders`: one table (or two) each;
- `dirt`: the dirt injected into customers and orders;
- `targets`, `progress`: SQLite and PostgreSQL loading, the progress bar;
- `cli`: the `moulin-sync demo-data` command.
"""

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    """The public API is `generator`'s `__all__`, loaded on first use: the `moulin-sync`
    command imports this package for its options without paying for the generator."""
    generator = importlib.import_module("moulin_sync.demo_data.generator")
    if name == "__all__" or name in generator.__all__:
        return getattr(generator, name)
    raise AttributeError(f"module 'moulin_sync.demo_data' has no attribute {name!r}")
