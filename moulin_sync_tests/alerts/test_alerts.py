"""Alerts, end to end: real failed runs and checks in a SQLite Dagster instance, the
sensors evaluated against it, a local HTTP server as the Slack webhook and a local SMTP
server as the mailbox."""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    Definitions,
    JobDefinition,
    SkipReason,
    asset,
    asset_check,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
    in_process_executor,
    job,
    materialize,
    op,
)
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run
from dagster._core.storage.tags import PARENT_RUN_ID_TAG, RETRY_NUMBER_TAG, ROOT_RUN_ID_TAG

from moulin_sync.alerts.channels import AlertChannels
from moulin_sync.alerts.messages import (
    FailedCheck,
    FailedRun,
    check_failure_paragraph,
    figures_text,
)
from moulin_sync.defs.alerts import (
    RUN_ALERT_TAG,
    blocking_check_failure_alert,
    failure_digest,
    run_failure_alert,
)
from moulin_sync.hubspot.client.errors import HubSpotConnectionError
from moulin_sync.settings import load_settings

UI_URL = "https://dagster.lemoulin.fr"
WEBHOOK_PATH = "/services/T0MOULIN/B0ALERTS/s3cr3tW3bh00kT0k3n"
SMTP_PASSWORD = "sm7p-pa55w0rd"
ERROR_FIRST_LINE = "HubSpot unreachable at https://api.hubapi.com: connection refused (5 attempts)"


# --- the failing things ---------------------------------------------------------------


@op
def upsert_deals() -> None:
    raise HubSpotConnectionError(
        f"{ERROR_FIRST_LINE}\nlast attempt: POST /crm/v3/objects/deals/batch/upsert",
        endpoint="/crm/v3/objects/deals/batch/upsert",
    )


@job(executor_def=in_process_executor)
def broken_sync() -> None:
    upsert_deals()


@asset(key=AssetKey(["hubspot", "deals"]))
def deals() -> int:
    return 3


@asset_check(asset=deals, blocking=True)
def no_duplicate_deals(deals: int) -> AssetCheckResult:
    return AssetCheckResult(
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        metadata={"duplicate_deals": deals, "months": "2026-10 to 2026-11"},
    )


@asset_check(asset=deals, blocking=False)
def deals_have_amounts(deals: int) -> AssetCheckResult:
    return AssetCheckResult(
        passed=False, severity=AssetCheckSeverity.WARN, metadata={"without_amount": 2}
    )


def _deals_job() -> JobDefinition:
    """The asset and its blocking check as a job, to run as the retry daemon does."""
    selection = AssetSelection.assets(deals) | AssetSelection.checks(no_duplicate_deals)
    job_def = define_asset_job("deals_job", selection=selection, executor_def=in_process_executor)
    defs = Definitions(assets=[deals], asset_checks=[no_duplicate_deals], jobs=[job_def])
    return defs.resolve_job_def("deals_job")


# --- stand-in receivers ---------------------------------------------------------------


@dataclass
class Slack:
    url: str
    posts: list[dict] = field(default_factory=list)


@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)


@pytest.fixture
def slack() -> Iterator[Slack]:
    posts: list[dict] = []

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            posts.append({"path": self.path, **json.loads(body)})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Slack(f"http://127.0.0.1:{server.server_port}{WEBHOOK_PATH}", posts)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    received: list[Message] = []

    class Recorder:
        async def handle_DATA(self, server: object, session: object, envelope) -> str:
            received.append(email.message_from_bytes(envelope.original_content))
            return "250 OK"

    controller = Controller(Recorder(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield Mailbox(controller.port, received)
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def no_alert_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MOULIN_ALERT_SLACK_WEBHOOK",
        "MOULIN_ALERT_SMTP_HOST",
        "MOULIN_ALERT_SMTP_PORT",
        "MOULIN_ALERT_SMTP_USER",
        "MOULIN_ALERT_SMTP_PASSWORD",
        "MOULIN_ALERT_SMTP_STARTTLS",
        "MOULIN_ALERT_EMAIL_FROM",
        "MOULIN_ALERT_EMAIL_TO",
        "MOULIN_ALERT_DIGEST",
        "MOULIN_UI_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def alerting(monkeypatch: pytest.MonkeyPatch, slack: Slack, mailbox: Mailbox) -> None:
    monkeypatch.setenv("MOULIN_ALERT_SLACK_WEBHOOK", slack.url)
    monkeypatch.setenv("MOULIN_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MOULIN_ALERT_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("MOULIN_ALERT_SMTP_STARTTLS", "false")
    monkeypatch.setenv("MOULIN_ALERT_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("MOULIN_ALERT_EMAIL_FROM", "moulin-sync@lemoulin.fr")
    monkeypatch.setenv("MOULIN_ALERT_EMAIL_TO", '["web@lemoulin.fr"]')
    monkeypatch.setenv("MOULIN_UI_URL", UI_URL)


def _instance(home: Path, max_retries: int = 0, on_step_failure: bool = True) -> DagsterInstance:
    home.mkdir(exist_ok=True)
    retries = (
        f"run_retries:\n  enabled: true\n  max_retries: {max_retries}\n"
        f"  retry_on_asset_or_op_failure: {str(on_step_failure).lower()}\n"
        if max_retries
        else ""
    )
    (home / "dagster.yaml").write_text(f"telemetry:\n  enabled: false\n{retries}")
    return DagsterInstance.from_config(str(home))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    with _instance(tmp_path / "dagster_home") as instance:
        yield instance


@pytest.fixture
def retrying_instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """Like production's dagster.yaml: run retries on, 2 of them."""
    with _instance(tmp_path / "dagster_home", max_retries=2) as instance:
        yield instance


@pytest.fixture
def production_instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """Production's dagster.yaml: 2 retries, only for runs that fail outside a step."""
    with _instance(tmp_path / "dagster_home", max_retries=2, on_step_failure=False) as instance:
        yield instance


class Recorded(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == level]


# --- driving the sensors --------------------------------------------------------------


def _failed_run(instance: DagsterInstance) -> DagsterRun:
    result = broken_sync.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return result.dagster_run


def _retry(instance: DagsterInstance, parent: DagsterRun, number: int, job_def=broken_sync):
    """What the retry daemon launches: a run of the same job, in the parent's group."""
    root = parent.root_run_id or parent.run_id
    run = instance.create_run_for_job(
        job_def,
        root_run_id=root,
        parent_run_id=parent.run_id,
        # The group is found by these tags, which the daemon sets.
        tags={
            ROOT_RUN_ID_TAG: root,
            PARENT_RUN_ID_TAG: parent.run_id,
            RETRY_NUMBER_TAG: str(number),
        },
    )
    execute_run(InMemoryJob(job_def), run, instance)
    return instance.get_run_by_id(run.run_id)


def _evaluate_run_sensor(
    instance: DagsterInstance, run: DagsterRun, log: Recorded | None = None
) -> SkipReason | None:
    [failure] = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=failure.dagster_event,
        dagster_instance=instance,
        dagster_run=run,
    )
    if log is not None:
        context.log.addHandler(log)
    return run_failure_alert(context)


def _text(mail: Message) -> str:
    return mail.get_payload(decode=True).decode()


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
