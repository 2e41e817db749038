"""Benchmark the demo-data generator at the large size: 100,000 customers,
2,000 companies and 1,000,000 orders into SQLite, to finish in under 60 s on 2 cores.

Run: .venv/bin/python bench/generator_benchmark.py [--keep PATH] [--dirty-rate R]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from moulin_sync.demo_data import generate

CUSTOMERS = 100_000
COMPANIES = 2_000
ORDERS = 1_000_000
BUDGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", type=Path, help="write here and keep the file")
    parser.add_argument("--dirty-rate", type=float, default=0.02, help="as the CLI default")
    parser.add_argument("--progress", action="store_true", help="show the progress bar")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="moulin-bench-") as scratch:
        path = args.keep or Path(scratch) / "bench.db"
        if path.exists():
            path.unlink()
        summary = generate(
            f"sqlite:///{path}",
            customers=CUSTOMERS,
            companies=COMPANIES,
            orders=ORDERS,
            seed=42,
            dirty_rate=args.dirty_rate,
            # Fixed so every run generates the same database.
            today=date(2025, 11, 30),
            progress=args.progress,
        )
        size_mb = path.stat().st_size / 1e6
    rows = sum(summary.rows.values())
    seconds = summary.elapsed_seconds
    print(f"cpus available: {len(os.sched_getaffinity(0))}")
    print(f"rows: {', '.join(f'{table} {count:,}' for table, count in summary.rows.items())}")
    print(f"file: {size_mb:,.0f} MB")
    print(
        f"elapsed: {seconds:.1f} s ({rows / seconds:,.0f} rows/s, {ORDERS / seconds:,.0f} orders/s)"
    )
    verdict = "OK" if seconds < BUDGET_SECONDS else "TOO SLOW"
    print(f"budget: {BUDGET_SECONDS:.0f} s -> {verdict}")
    return 0 if seconds < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
