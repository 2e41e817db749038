"""Groups of run statuses, from the public `DagsterRunStatus` (Dagster's own lists are
private; `moulin_sync_tests/test_dagster_internals.py` checks these still match them)."""

from dagster import DagsterRunStatus

# Ended: the run will not go on.
FINISHED = frozenset(
    {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
)
# Started and not finished (a suspended run holds no worker, but is not done).
IN_PROGRESS = frozenset(
    {
        DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED,
        DagsterRunStatus.CANCELING,
        DagsterRunStatus.SUSPENDED,
    }
)
