"""What the generator tests share: sizes, the day the data ends, SQL helpers."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from moulin_sync.sources.app_du_moulin import vocabulary

ORDER_STATUSES = vocabulary.values(vocabulary.ORDER_STATUSES)
ORDER_CHANNELS = vocabulary.values(vocabulary.ORDER_CHANNELS)
PAID_STATUSES = vocabulary.statuses(paid=True)

TODAY = date(2025, 11, 20)
MEDIUM = {"customers": 1_500, "companies": 40, "orders": 12_000}
SMALL = {"customers": 300, "companies": 10, "orders": 2_000}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sql_rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, params).fetchall()


def sql_one(path: Path, sql: str, *params: Any) -> Any:
    return sql_rows(path, sql, *params)[0][0]
