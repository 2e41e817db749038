"""Run-failure alerts: one Slack post and one email per failure, after its last retry; a
receiver down is a warning."""

from __future__ import annotations

import logging

import pytest
from dagster import (
    DagsterInstance,
    SkipReason,
    build_sensor_context,
)

from moulin_sync.alerts.channels import AlertChannels
from moulin_sync.defs.alerts import (
    RUN_ALERT_TAG,
    run_failure_alert,
)
from moulin_sync.settings import load_settings

from .conftest import (
    ERROR_FIRST_LINE,
    SMTP_PASSWORD,
    UI_URL,
    WEBHOOK_PATH,
    Mailbox,
    Recorded,
    Slack,
    _evaluate_run_sensor,
    _failed_run,
    _free_port,
    _retry,
    _text,
)

# --- run failures ---------------------------------------------------------------------


@pytest.mark.usefixtures("alerting")
def test_a_failed_run_sends_one_slack_post_and_one_email(
    instance: DagsterInstance, slack: Slack, mailbox: Mailbox
) -> None:
    run = _failed_run(instance)

    assert _evaluate_run_sensor(instance, run) is None

    [post] = slack.posts
    [mail] = mailbox.messages
    link = f"{UI_URL}/runs/{run.run_id}"
    for text in (post["text"], _text(mail)):
        assert "broken_sync" in text
        assert ERROR_FIRST_LINE in text
        assert link in text
        assert "last attempt" not in text, "only the first line of the error"
        assert "\n" not in text.strip(), "one paragraph"
        assert WEBHOOK_PATH not in text and SMTP_PASSWORD not in text
    assert mail["Subject"] == "moulin-sync: broken_sync failed"
    assert mail["To"] == "web@lemoulin.fr"
    assert post["path"] == WEBHOOK_PATH

    assert _evaluate_run_sensor(instance, run) is not None, "a second evaluation skips"
    assert len(slack.posts) == 1 and len(mailbox.messages) == 1
    assert instance.get_run_by_id(run.run_id).tags[RUN_ALERT_TAG] == run.run_id


def test_nothing_configured_sends_nothing_and_does_not_fail(instance: DagsterInstance) -> None:
    run = _failed_run(instance)
    log = Recorded()

    skipped = _evaluate_run_sensor(instance, run, log)

    assert isinstance(skipped, SkipReason)
    assert "MOULIN_ALERT_SLACK_WEBHOOK" in skipped.skip_message
    assert not log.at(logging.WARNING)
    assert RUN_ALERT_TAG not in instance.get_run_by_id(run.run_id).tags


@pytest.mark.usefixtures("alerting")
def test_the_sensor_as_the_daemon_runs_it_alerts_once(
    instance: DagsterInstance, slack: Slack
) -> None:
    """Through Dagster's own run-status machinery: its cursor, its job matching."""
    context = build_sensor_context(instance=instance, sensor_name="run_failure_alert")
    run_failure_alert.evaluate_tick(context)  # starts past the history
    run = _failed_run(instance)

    first = run_failure_alert.evaluate_tick(context)
    context.update_cursor(first.cursor)
    run_failure_alert.evaluate_tick(context)

    [post] = slack.posts
    assert run.run_id in post["text"]


@pytest.mark.usefixtures("alerting")
def test_a_retried_run_alerts_once_after_its_last_retry(
    retrying_instance: DagsterInstance, slack: Slack, mailbox: Mailbox
) -> None:
    instance = retrying_instance
    first = _failed_run(instance)
    second = _retry(instance, first, 1)

    assert isinstance(_evaluate_run_sensor(instance, first), SkipReason)
    assert isinstance(_evaluate_run_sensor(instance, second), SkipReason)
    assert not slack.posts and not mailbox.messages

    last = _retry(instance, second, 2)
    assert last.tags["dagster/will_retry"] == "false"
    assert _evaluate_run_sensor(instance, last) is None
    assert _evaluate_run_sensor(instance, last) is not None

    [post] = slack.posts
    [mail] = mailbox.messages
    assert "broken_sync failed after 2 retries" in post["text"]
    assert f"{UI_URL}/runs/{last.run_id}" in post["text"]
    assert "after 2 retries" in _text(mail)
    assert instance.get_run_by_id(first.run_id).tags[RUN_ALERT_TAG] == last.run_id


@pytest.mark.usefixtures("alerting")
def test_a_step_failure_is_not_retried_in_production_so_it_alerts_at_once(
    production_instance: DagsterInstance, slack: Slack
) -> None:
    run = _failed_run(production_instance)

    assert _evaluate_run_sensor(production_instance, run) is None

    [post] = slack.posts
    assert "broken_sync failed in step upsert_deals" in post["text"]


@pytest.mark.usefixtures("alerting")
def test_a_receiver_down_is_a_warning_and_the_other_still_gets_it(
    monkeypatch: pytest.MonkeyPatch, instance: DagsterInstance, mailbox: Mailbox
) -> None:
    down = f"http://127.0.0.1:{_free_port()}{WEBHOOK_PATH}"
    monkeypatch.setenv("MOULIN_ALERT_SLACK_WEBHOOK", down)
    run = _failed_run(instance)
    log = Recorded()

    assert _evaluate_run_sensor(instance, run, log) is None

    [warning] = log.at(logging.WARNING)
    assert "Slack" in warning and "MOULIN_ALERT_SLACK_WEBHOOK" in warning
    assert WEBHOOK_PATH not in warning and "127.0.0.1" not in warning
    [mail] = mailbox.messages
    assert ERROR_FIRST_LINE in _text(mail)


def test_the_mailbox_down_does_not_stop_slack(
    monkeypatch: pytest.MonkeyPatch, slack: Slack
) -> None:
    monkeypatch.setenv("MOULIN_ALERT_SLACK_WEBHOOK", slack.url)
    monkeypatch.setenv("MOULIN_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MOULIN_ALERT_SMTP_PORT", str(_free_port()))
    monkeypatch.setenv("MOULIN_ALERT_SMTP_STARTTLS", "false")
    monkeypatch.setenv("MOULIN_ALERT_EMAIL_TO", '["web@lemoulin.fr"]')

    failures = AlertChannels.from_settings(load_settings()).send("subject", "the paragraph")

    [failure] = failures
    assert failure.startswith("email:") and "MOULIN_ALERT_SMTP_HOST" in failure
    assert [post["text"] for post in slack.posts] == ["the paragraph"]
