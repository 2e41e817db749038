"""The tags Dagster reads and writes on runs, named as Dagster names them. The keys are
Dagster's stored, documented interface; its constants are private
(`moulin_sync_tests/test_dagster_internals.py` checks these still match them)."""

# A run's months: a range (a night's run, a backfill in one run) or one partition.
PARTITION_NAME_TAG = "dagster/partition"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

# Run retries: set on a job or a run to tune them, and by the instance on each retry.
MAX_RETRIES_TAG = "dagster/max_retries"
RETRY_ON_ASSET_OR_OP_FAILURE_TAG = "dagster/retry_on_asset_or_op_failure"
RETRY_NUMBER_TAG = "dagster/retry_number"
ROOT_RUN_ID_TAG = "dagster/root_run_id"
# Set on a failed run: whether the instance will retry it, and why the run failed.
WILL_RETRY_TAG = "dagster/will_retry"
RUN_FAILURE_REASON_TAG = "dagster/failure_reason"

# Run monitoring fails a run still going after this many seconds (a run whose worker
# died with its daemon would otherwise stay STARTED for ever), and run retries retry it.
MAX_RUNTIME_SECONDS_TAG = "dagster/max_runtime"
