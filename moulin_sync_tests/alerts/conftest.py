"""What the alert tests share: failing jobs and checks, stand-in Slack and SMTP receivers,
instances, and helpers driving the sensors."""

from __future__ import annotations

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
    define_asset_job,
    in_process_executor,
    job,
    op,
)
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run
from dagster._core.storage.tags import PARENT_RUN_ID_TAG, RETRY_NUMBER_TAG, ROOT_RUN_ID_TAG

from moulin_sync.defs.alerts import (
    run_failure_alert,
)
from moulin_sync.hubspot.client.errors import HubSpotConnectionError

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
