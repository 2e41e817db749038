"""The sync benchmark's sizes, the HubSpot limits it measures against, and its targets."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SIZES = {"default": (20_000, 500, 100_000), "large": (100_000, 2_000, 1_000_000)}
TRANSFORM_ORDERS = 1_000_000
NAIVE_ORDERS = 2_000
SEED = 42
DIRTY_RATE = 0.02  # the demo-data CLI's default: real data has dirt
CHANGED_SHARE = 0.01
TIER = "professional"
CALLS_PER_S = 19.0  # 190 per rolling 10 s
BATCH = 100
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
READ_SUFFIXES = ("/batch/read", "/search")
DEAL_CHECKS_STEP = "deal_checks"
WRITE_STEPS = ("hubspot__companies", "hubspot__contacts", "hubspot__deals")
SETUP_STEPS = ("hubspot__property_schema", "hubspot__deal_pipeline")
OBJECT_TYPES = ("companies", "contacts", "deals")
HUBSPOT_DEALS = ("hubspot", "deals")
HUBSPOT_WRITES = (["hubspot", "companies"], ["hubspot", "contacts"], list(HUBSPOT_DEALS))

LAUNCHED_BY = {
    True: "launched through dagster-daemon (moulin-sync up, PostgreSQL)",
    False: "in process (dagster.materialize)",
}

# What each measure must reach.
MAX_CALLS_OVER_MINIMUM = 1.05
MAX_TIME_OVER_FLOOR = 1.10
MAX_NIGHTLY_SHARE = 0.05
MAX_NIGHTLY_S = 60.0  # launched through the daemon, at the large size
MIN_ORDERS_PER_S = 500_000
MAX_PEAK_BYTES = 2 * 1024**3
MIN_NAIVE_RATIO = 100
# HubSpot's search limit (the client's `SEARCH_PER_S`): the deal checks' floor.
SEARCH_PER_S = 5
