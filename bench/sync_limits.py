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
WINDOW_CALLS = 190  # HubSpot's limit: 190 calls in any rolling 10 s (professional)
WINDOW_S = 10.0
CALLS_PER_S = WINDOW_CALLS / WINDOW_S  # the steady rate a saturated window sustains
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
# The HubSpot write steps against the steady floor (their calls ÷ 19/s), with no 429.
MAX_TIME_OVER_FLOOR = 1.02
MAX_RERUN_SHARE = 0.10  # a rerun of every month, nothing changed, against the load
MAX_NIGHTLY_S = 10.0  # a nothing-changed nightly, from the launch request to its end
MIN_ORDERS_PER_S = 1_000_000
MAX_PEAK_BYTES = int(1.2 * 1024**3)
MIN_NAIVE_RATIO = 100
# HubSpot's search limit (the client's `SEARCH_PER_S`): the deal checks' floor.
SEARCH_PER_S = 5
MAX_CHECKS_OVER_SEARCH_FLOOR = 1.10
