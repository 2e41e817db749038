"""Alerts for the web team, who run moulin-sync unattended: a failed run, a failed ERROR
check, and (MOULIN_ALERT_DIGEST) a digest of the day's failures at 08:00.

One alert per failure, not per retry: a run Dagster will retry says nothing; its last
retry alerts "after N retries". What was alerted is tagged on the root run of the retry
chain, so that nothing is said twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    schedule,
    sensor,
)

from moulin_sync.alerts.channels import AlertChannels
from moulin_sync.alerts.messages import (
    FailedCheck,
    FailedRun,
    check_failure_paragraph,
    check_failure_subject,
    digest_subject,
    digest_text,
    run_failure_paragraph,
    run_failure_subject,
)
from moulin_sync.defs.jobs import nightly_sync_job
from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.runs.failures import failure_reason
from moulin_sync.runs.tags import (
    MAX_RETRIES_TAG,
    RETRY_NUMBER_TAG,
    RETRY_ON_ASSET_OR_OP_FAILURE_TAG,
    ROOT_RUN_ID_TAG,
    RUN_FAILURE_REASON_TAG,
    WILL_RETRY_TAG,
)
from moulin_sync.settings import load_settings

# Tags on a retry chain's root run: the run whose failure was alerted, and the checks.
RUN_ALERT_TAG = "moulin/alert_sent"
CHECK_ALERTS_TAG = "moulin/check_alerts_sent"
# The step error of a blocking check that failed: the check alert tells it, with figures.
CHECK_FAILED_ERROR = "DagsterAssetCheckFailedError"
DIGEST_CRON = "0 8 * * *"
RUN_ENDS_PER_TICK = 100
NOT_CONFIGURED = (
    "no alert sent: no channel configured. Set MOULIN_ALERT_SLACK_WEBHOOK, or "
    "MOULIN_ALERT_SMTP_HOST and MOULIN_ALERT_EMAIL_TO."
)


@dataclass(frozen=True)
class RetryState:
    will_retry: bool
    retries: int


def retry_state(run: DagsterRun, instance: DagsterInstance) -> RetryState:
    """Whether Dagster will retry this failed run, and how many retries came before it."""
    retries = _int(run.tags.get(RETRY_NUMBER_TAG), 0)
    # Set by the instance on each failure when run retries are on: Dagster's own decision.
    marked = run.tags.get(WILL_RETRY_TAG)
    if marked is not None:
        return RetryState(marked.lower() == "true", retries)
    if not instance.run_retries_enabled:
        return RetryState(False, retries)
    on_step_failure = run.tags.get(
        RETRY_ON_ASSET_OR_OP_FAILURE_TAG, str(instance.run_retries_retry_on_asset_or_op_failure)
    )
    if run.tags.get(RUN_FAILURE_REASON_TAG) == "STEP_FAILURE" and on_step_failure.lower() != "true":
        return RetryState(False, retries)
    max_retries = _int(run.tags.get(MAX_RETRIES_TAG), instance.run_retries_max_retries)
    return RetryState(retries < max_retries, retries)


def root_run_id(run: DagsterRun) -> str:
    return run.root_run_id or run.tags.get(ROOT_RUN_ID_TAG) or run.run_id


def describe_failure(instance: DagsterInstance, run: DagsterRun) -> tuple[FailedRun, bool]:
    """The failure as the alert tells it, and whether only blocking checks failed."""
    retries = retry_state(run, instance).retries
    step_failures = _events(instance, run.run_id, DagsterEventType.STEP_FAILURE)
    own = [event for event in step_failures if not _is_check_failure(event)]
    if own:
        first = own[0]
        failure = FailedRun(
            run.job_name,
            run.run_id,
            failure_reason(first),
            step=first.step_key,
            other_failed_steps=len(own) - 1,
            retries=retries,
        )
        return failure, False
    if step_failures:
        failed = _failed_checks(instance, run)
        checks = [c.asset_check_key.to_user_string() for c in failed if c.blocking]
        error = f"blocking check failed: {', '.join(checks) or 'see the run'}"
        return FailedRun(run.job_name, run.run_id, error, retries=retries), True
    run_failures = _events(instance, run.run_id, DagsterEventType.RUN_FAILURE)
    error = failure_reason(run_failures[-1]) if run_failures else "the run failed"
    return FailedRun(run.job_name, run.run_id, error, retries=retries), False


@run_failure_sensor(
    name="run_failure_alert",
    default_status=DefaultSensorStatus.RUNNING,
    description="Tells Slack and/or email when a run of this code location fails for good "
    "(after its retries), with the first line of the error and a link to the run.",
)
def run_failure_alert(context: RunFailureSensorContext) -> SkipReason | None:
    instance = context.instance
    # Read again: the instance tags `dagster/will_retry` just after the failure event.
    run = instance.get_run_by_id(context.dagster_run.run_id) or context.dagster_run
    if retry_state(run, instance).will_retry:
        return _skip(context.log, f"run {run.run_id} of {run.job_name} will be retried")
    failure, only_checks = describe_failure(instance, run)
    if only_checks:
        return _skip(context.log, "it failed on blocking checks: blocking_check_failure_alert")
    root = instance.get_run_by_id(root_run_id(run)) or run
    if RUN_ALERT_TAG in root.tags:
        return _skip(context.log, f"already alerted for the runs of {root.run_id}")
    settings = load_settings()
    channels = AlertChannels.from_settings(settings)
    if not channels.configured:
        return _skip(context.log, NOT_CONFIGURED, channels.notes)
    _send(
        context.log,
        channels,
        run_failure_subject(failure),
        run_failure_paragraph(failure, settings.ui_url),
    )
    instance.add_run_tags(root.run_id, {RUN_ALERT_TAG: run.run_id})
    return None


@sensor(
    name="blocking_check_failure_alert",
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Tells Slack and/or email when a check of severity ERROR fails (a blocking "
    "one stops the sync), with the check's figures and a link to the run. Reads each run as "
    "it ends: a run Dagster retries says nothing of the checks its retry runs again.",
)
def blocking_check_failure_alert(context: SensorEvaluationContext) -> SkipReason | None:
    instance = context.instance
    if context.cursor is None:
        context.update_cursor(_latest_run_ends(instance))
        return SkipReason("started: alerts on the runs that end from now on")
    ended, cursor = _runs_ended_since(instance, context.cursor)
    settings = load_settings()
    channels = AlertChannels.from_settings(settings)
    sent = unsent = 0
    for run in ended:
        if not _in_code_location(context, run):
            continue
        failures = _checks_to_alert(instance, run)
        if not channels.configured:
            unsent += len(failures)
            continue
        for failure in failures:
            _send(
                context.log,
                channels,
                check_failure_subject(failure),
                check_failure_paragraph(failure, settings.ui_url),
            )
            sent += 1
        if failures:
            _mark_checks_alerted(instance, run, failures)
    context.update_cursor(cursor)
    if unsent:
        return _skip(context.log, f"{unsent} failed checks: {NOT_CONFIGURED}", channels.notes)
    if sent:
        return None
    return SkipReason(f"no failed ERROR check in the {len(ended)} runs that ended")


@schedule(
    name="failure_digest",
    # A schedule must name a job; this one launches none, it sends the digest itself.
    job=nightly_sync_job,
    cron_schedule=DIGEST_CRON,
    execution_timezone=monthly_partitions.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="With MOULIN_ALERT_DIGEST=true: every day at 08:00 Europe/Paris, one "
    "message listing the last 24 h's failed runs (nothing on a day without). Launches no run.",
)
def failure_digest(context: ScheduleEvaluationContext) -> SkipReason:
    settings = load_settings()
    if not settings.alert_digest:
        return SkipReason("no digest: MOULIN_ALERT_DIGEST is off")
    channels = AlertChannels.from_settings(settings)
    if not channels.configured:
        return _skip(context.log, NOT_CONFIGURED, channels.notes)
    until = context.scheduled_execution_time
    failures = failures_between(context.instance, until - dt.timedelta(days=1), until)
    if not failures:
        return SkipReason("no failed run in the last 24 h: no digest")
    _send(context.log, channels, digest_subject(failures), digest_text(failures, settings.ui_url))
    return SkipReason(f"digest of {len(failures)} failed runs sent; this schedule runs no job")


def failures_between(
    instance: DagsterInstance, since: dt.datetime, until: dt.datetime
) -> list[FailedRun]:
    """The runs that failed for good (not about to be retried) in [since, until)."""
    records = instance.get_run_records(
        filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE], updated_after=since)
    )
    ended = []
    for record in records:
        end = record.end_time or record.update_timestamp.timestamp()
        run = record.dagster_run
        if (
            since.timestamp() <= end < until.timestamp()
            and not retry_state(run, instance).will_retry
        ):
            ended.append((end, describe_failure(instance, run)[0]))
    return [failure for _, failure in sorted(ended, key=lambda pair: pair[0])]


def _checks_to_alert(instance: DagsterInstance, run: DagsterRun) -> list[FailedCheck]:
    failed = _failed_checks(instance, run)
    state = retry_state(run, instance)
    if run.status == DagsterRunStatus.FAILURE and state.will_retry:
        # The retry runs the blocking checks again (and what they stopped); not the others.
        failed = [evaluation for evaluation in failed if not evaluation.blocking]
    root = instance.get_run_by_id(root_run_id(run)) or run
    done = set(filter(None, root.tags.get(CHECK_ALERTS_TAG, "").split(",")))
    checks = [
        FailedCheck(
            asset=evaluation.asset_key.to_user_string(),
            check_name=evaluation.check_name,
            blocking=bool(evaluation.blocking),
            job_name=run.job_name,
            run_id=run.run_id,
            figures={name: getattr(v, "value", v) for name, v in evaluation.metadata.items()},
            description=evaluation.description,
            retries=state.retries,
        )
        for evaluation in failed
    ]
    return [check for check in checks if check.key not in done]


def _failed_checks(instance: DagsterInstance, run: DagsterRun) -> list[AssetCheckEvaluation]:
    """The run's failed ERROR checks, one evaluation per check (a partitioned one fails
    once per month: the first tells it)."""
    found: dict[str, AssetCheckEvaluation] = {}
    for event in _events(instance, run.run_id, DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.asset_check_evaluation_data
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
            found.setdefault(evaluation.asset_check_key.to_user_string(), evaluation)
    return list(found.values())


def _mark_checks_alerted(
    instance: DagsterInstance, run: DagsterRun, failures: Sequence[FailedCheck]
) -> None:
    root = instance.get_run_by_id(root_run_id(run)) or run
    done = set(filter(None, root.tags.get(CHECK_ALERTS_TAG, "").split(",")))
    done |= {failure.key for failure in failures}
    instance.add_run_tags(root.run_id, {CHECK_ALERTS_TAG: ",".join(sorted(done))})


_RUN_ENDS = (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE)


def _latest_run_ends(instance: DagsterInstance) -> str:
    """A cursor past every run that ended so far: history is not alerted on."""
    latest = {
        kind.value: instance.fetch_run_status_changes(kind, limit=1).cursor for kind in _RUN_ENDS
    }
    return json.dumps(latest)


def _runs_ended_since(instance: DagsterInstance, cursor: str) -> tuple[list[DagsterRun], str]:
    """The runs that succeeded or failed after the cursor (run status changes are indexed
    across runs in every storage, check evaluations are not in SQLite's), and the next
    cursor."""
    positions = json.loads(cursor)
    run_ids: list[str] = []
    for kind in _RUN_ENDS:
        result = instance.fetch_run_status_changes(
            kind, limit=RUN_ENDS_PER_TICK, cursor=positions.get(kind.value), ascending=True
        )
        run_ids += [record.event_log_entry.run_id for record in result.records]
        positions[kind.value] = result.cursor
    runs = [instance.get_run_by_id(run_id) for run_id in dict.fromkeys(run_ids)]
    return [run for run in runs if run is not None], json.dumps(positions)


def _in_code_location(context: SensorEvaluationContext, run: DagsterRun) -> bool:
    ours = context.code_location_origin.location_name if context.code_location_origin else None
    origin = run.remote_job_origin
    theirs = origin.repository_origin.code_location_origin.location_name if origin else None
    return ours is None or theirs is None or ours == theirs


def _events(instance: DagsterInstance, run_id: str, kind: DagsterEventType) -> list[DagsterEvent]:
    return [entry.dagster_event for entry in instance.all_logs(run_id, of_type=kind)]


def _is_check_failure(event: DagsterEvent) -> bool:
    error = event.step_failure_data.error
    return error is not None and error.cls_name == CHECK_FAILED_ERROR


def _send(log: logging.Logger, channels: AlertChannels, subject: str, text: str) -> None:
    for note in channels.notes:
        log.warning(note)
    failures = channels.send(subject, text)
    for failure in failures:
        log.warning(f"alert not delivered: {failure}")
    delivered = len(channels.channels) - len(failures)
    if delivered:
        log.info(f"alert sent ({delivered} of {len(channels.channels)} channels): {subject}")


def _skip(log: logging.Logger, reason: str, notes: Sequence[str] = ()) -> SkipReason:
    for note in notes:
        log.warning(note)
    log.info(f"no alert: {reason}")
    return SkipReason(reason)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
