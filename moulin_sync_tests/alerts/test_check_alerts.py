"""Blocking-check alerts with the check's figures, and the daily digest."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import (
    DagsterInstance,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    materialize,
)
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run

from moulin_sync.alerts.channels import AlertChannels
from moulin_sync.alerts.messages import (
    FailedCheck,
    FailedRun,
    check_failure_paragraph,
    figures_text,
)
from moulin_sync.defs.alerts import (
    blocking_check_failure_alert,
    failure_digest,
)
from moulin_sync.settings import load_settings

from .conftest import (
    ERROR_FIRST_LINE,
    UI_URL,
    Mailbox,
    Recorded,
    Slack,
    _deals_job,
    _evaluate_run_sensor,
    _failed_run,
    _retry,
    _text,
    deals,
    deals_have_amounts,
    no_duplicate_deals,
)

# --- checks ---------------------------------------------------------------------------


def _check_sensor_context(instance: DagsterInstance, log: Recorded | None = None):
    context = build_sensor_context(instance=instance, sensor_name="blocking_check_failure_alert")
    if log is not None:
        context.log.addHandler(log)
    blocking_check_failure_alert(context)  # the first tick starts past the history
    return context


@pytest.mark.usefixtures("alerting")
def test_a_failed_blocking_check_sends_one_alert_with_its_figures(
    instance: DagsterInstance, slack: Slack, mailbox: Mailbox
) -> None:
    context = _check_sensor_context(instance)
    result = materialize([deals, no_duplicate_deals], instance=instance, raise_on_error=False)
    assert not result.success

    assert blocking_check_failure_alert(context) is None
    assert isinstance(blocking_check_failure_alert(context), SkipReason)
    # The run failed on that check: the run alert leaves it to the check alert.
    assert isinstance(_evaluate_run_sensor(instance, result.dagster_run), SkipReason)

    [post] = slack.posts
    [mail] = mailbox.messages
    for text in (post["text"], _text(mail)):
        assert "hubspot/deals" in text and "no_duplicate_deals" in text
        assert "duplicate_deals: 3" in text and "months: 2026-10 to 2026-11" in text
        assert f"{UI_URL}/runs/{result.run_id}" in text
    assert mail["Subject"] == "moulin-sync: check no_duplicate_deals on hubspot/deals failed"


@pytest.mark.usefixtures("alerting")
def test_checks_that_failed_before_the_sensor_started_are_not_alerted(
    instance: DagsterInstance, slack: Slack
) -> None:
    materialize([deals, no_duplicate_deals], instance=instance, raise_on_error=False)
    context = _check_sensor_context(instance)

    assert isinstance(blocking_check_failure_alert(context), SkipReason)
    assert not slack.posts


@pytest.mark.usefixtures("alerting")
def test_a_failed_warn_check_sends_nothing(
    instance: DagsterInstance, slack: Slack, mailbox: Mailbox
) -> None:
    context = _check_sensor_context(instance)
    result = materialize([deals, deals_have_amounts], instance=instance, raise_on_error=False)
    assert result.success

    assert isinstance(blocking_check_failure_alert(context), SkipReason)
    assert not slack.posts and not mailbox.messages


@pytest.mark.usefixtures("alerting")
def test_a_blocking_check_retried_alerts_once_after_its_last_retry(
    retrying_instance: DagsterInstance, slack: Slack
) -> None:
    instance = retrying_instance
    job_def = _deals_job()
    context = _check_sensor_context(instance)
    first = instance.create_run_for_job(job_def)
    execute_run(InMemoryJob(job_def), first, instance)
    second = _retry(instance, instance.get_run_by_id(first.run_id), 1, job_def)

    assert isinstance(blocking_check_failure_alert(context), SkipReason)
    assert not slack.posts

    _retry(instance, second, 2, job_def)
    assert blocking_check_failure_alert(context) is None

    [post] = slack.posts
    assert "no_duplicate_deals on asset hubspot/deals failed after 2 retries" in post["text"]


def test_no_check_alert_when_nothing_is_configured(instance: DagsterInstance) -> None:
    context = _check_sensor_context(instance)
    materialize([deals, no_duplicate_deals], instance=instance, raise_on_error=False)

    skipped = blocking_check_failure_alert(context)

    assert isinstance(skipped, SkipReason) and "MOULIN_ALERT_SMTP_HOST" in skipped.skip_message


# --- the digest -----------------------------------------------------------------------


@pytest.mark.usefixtures("alerting")
def test_the_digest_lists_the_days_failures_and_nothing_on_a_day_without(
    monkeypatch: pytest.MonkeyPatch, instance: DagsterInstance, slack: Slack, mailbox: Mailbox
) -> None:
    monkeypatch.setenv("MOULIN_ALERT_DIGEST", "true")
    runs = [_failed_run(instance), _failed_run(instance)]
    now = dt.datetime.now(dt.UTC)

    this_morning = build_schedule_context(instance=instance, scheduled_execution_time=now)
    failure_digest(this_morning)
    a_day_later = build_schedule_context(
        instance=instance, scheduled_execution_time=now + dt.timedelta(days=1, hours=1)
    )
    failure_digest(a_day_later)

    [post] = slack.posts
    [mail] = mailbox.messages
    assert mail["Subject"] == "moulin-sync: 2 failed runs in the last 24 h"
    lines = post["text"].splitlines()
    assert lines[0] == "moulin-sync: 2 failed runs in the last 24 h."
    for line, run in zip(lines[1:], runs, strict=True):
        assert line.startswith("- broken_sync in step upsert_deals: ")
        assert ERROR_FIRST_LINE in line and line.endswith(f"{UI_URL}/runs/{run.run_id}")


@pytest.mark.usefixtures("alerting")
def test_no_digest_unless_asked(instance: DagsterInstance, slack: Slack) -> None:
    _failed_run(instance)
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=dt.datetime.now(dt.UTC)
    )

    skipped = failure_digest(context)

    assert "MOULIN_ALERT_DIGEST" in skipped.skip_message and not slack.posts


def test_the_digest_runs_at_eight_in_paris() -> None:
    assert failure_digest.cron_schedule == "0 8 * * *"
    assert failure_digest.execution_timezone == "Europe/Paris"


# --- wording --------------------------------------------------------------------------


def test_figures_keep_the_scalars_and_shorten_long_text() -> None:
    text = figures_text({"duplicate_deals": 3, "by_key": [{"a": 1}], "note": "x" * 200})
    assert text.startswith("duplicate_deals: 3, note: x")
    assert "by_key" not in text and len(text) < 120


def test_half_set_email_settings_say_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOULIN_ALERT_SMTP_HOST", "smtp.lemoulin.fr")

    channels = AlertChannels.from_settings(load_settings())

    assert not channels.configured
    [note] = channels.notes
    assert "MOULIN_ALERT_EMAIL_TO" in note


def test_without_ui_url_the_alert_names_the_setting() -> None:
    check = FailedCheck("hubspot/deals", "no_duplicate_deals", True, "nightly_sync", "abc123")
    text = check_failure_paragraph(check, ui_url=None)
    assert "run abc123 (set MOULIN_UI_URL for a link)" in text
    assert FailedRun("nightly_sync", "abc123", "boom").retries == 0
