"""Security checks: secrets never shown, the emulator never open.

- The HubSpot token never appears in the run's stdout/stderr, the Dagster instance
  (event log, run config and tags as stored: every file under DAGSTER_HOME is searched,
  the SQLite storage included), the state store, the snapshots, or the emulator's
  `/_emulator/stats` and log — not even when HubSpot echoes it back in an error.
- The emulator refuses a request without the token (401), by default.
- A password in MOULIN_STATE_URL / MOULIN_SOURCE_URL is never printed: a working run and
  failing runs (database missing, a column gone) show `***` where it was.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from moulin_sync.testing.hubspot_emulator import free_port, run_hubspot_emulator
from moulin_sync.testing.reliability.harness import RunResult, World

INSTANCE_YAML = "telemetry:\n  enabled: false\n"


@dataclass
class SecurityReport:
    checks: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def expect(self, ok: bool, problem: str) -> None:
        self.checks += 1
        if not ok:
            self.problems.append(problem)


def _leaks(secret: str, root: Path) -> list[str]:
    """Files under `root` whose bytes contain `secret` (UTF-8 or UTF-16)."""
    needles = (secret.encode(), secret.encode("utf-16-le"))
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(str(path.relative_to(root)))
    return found


def _fresh_run(world: World, folder: str) -> tuple[Path, Path]:
    """An empty portal, a fresh folder, and a Dagster instance of its own in it."""
    world.reset_hubspot()
    run = world.run_dir(folder)
    home = run / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    return run, home


def _instance_texts(home: Path) -> str:
    """Everything the Dagster instance stored about its runs, as text: run config, tags,
    every event (messages, metadata, errors)."""
    from dagster import DagsterInstance, serialize_value

    texts = []
    with DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs():
            texts.append(serialize_value(run))
            for record in instance.all_logs(run.run_id):
                texts.append(serialize_value(record))
    return "\n".join(texts)


def token_never_leaks(
    root: Path,
    source_url: str,
    months: tuple[str, str],
    report: SecurityReport,
    *,
    wrong_token_run: bool = True,
) -> None:
    """One real run with a secret token, HubSpot echoing the token back in error bodies;
    then (`wrong_token_run`) a run with a wrong token."""
    token = f"pat-eu1-{uuid.uuid4()}"
    with run_hubspot_emulator(token=token) as hubspot:
        world = World(root, source_url, hubspot, months)
        run, home = _fresh_run(world, "security-token")
        echo = f"Authorization Bearer {token} is not allowed here"
        admin = hubspot.admin
        # HubSpot (or a proxy) quoting the token: in rejected records, retries, a failed check.
        admin.add_fault(kind="status", status=400, message=echo, count=12,
                        route="/crm/v3/objects/contacts/batch/create")  # fmt: skip
        admin.add_fault(kind="status", status=503, message=echo, count=2, writes=True, skip=3)
        admin.add_fault(kind="status", status=500, message=echo, count=6,
                        route="/crm/v3/objects/deals/search")  # fmt: skip
        result = world.sync(run, "sync", DAGSTER_HOME=str(home))
        fired = {f["route"]: f["fired"] for f in admin.fault_log()}
        report.expect(all(fired.values()), f"token-echo faults that never fired: {fired}")
        output = result.stdout + result.stderr
        report.expect(token not in output, "the token appears in the run's output")
        report.expect(
            "***" in _instance_texts(home) or "***" in output,
            "the echoed token was not seen redacted (the check proves nothing)",
        )
        report.expect(token not in _instance_texts(home), "the token is in the Dagster instance")
        leaked = _leaks(token, run)
        report.expect(not leaked, f"the token is in stored files: {leaked[:5]}")
        report.expect(token not in str(admin.stats()), "the token is in /_emulator/stats")
        log = hubspot.log_path.read_text(errors="replace")
        report.expect(token not in log, "the token is in the emulator's log")
        if not wrong_token_run:
            return
        # A wrong token: HubSpot refuses, the run says to check HUBSPOT_ACCESS_TOKEN, and
        # neither token is printed.
        wrong = f"pat-eu1-{uuid.uuid4()}"
        denied = world.sync(run, "denied", HUBSPOT_ACCESS_TOKEN=wrong)
        text = denied.stdout + denied.stderr
        report.expect(not denied.ok, "a run with a wrong token succeeded")
        report.expect("HUBSPOT_ACCESS_TOKEN" in text, "a 401 does not name HUBSPOT_ACCESS_TOKEN")
        report.expect(wrong not in text and token not in text, "a token is in the 401 output")


def emulator_requires_a_token(report: SecurityReport) -> None:
    """The emulator as anyone would start it — no token given — still demands one."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HUBSPOT_EMULATOR_TOKEN"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moulin_sync.emulators.hubspot", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        for method, path in (
            ("GET", "/crm/v3/objects/contacts"),
            ("POST", "/crm/v3/objects/contacts/batch/upsert"),
            ("GET", "/_emulator/state"),
            ("POST", "/_emulator/reset"),
        ):
            for headers in ({}, {"Authorization": "Bearer guess"}, {"Authorization": "guess"}):
                answer = httpx.request(method, base + path, headers=headers, json={}, timeout=5)
                report.expect(
                    answer.status_code == 401,
                    f"{method} {path} with {headers or 'no token'} answered {answer.status_code}",
                )
        ok = httpx.get(
            base + "/crm/v3/objects/contacts",
            headers={"Authorization": "Bearer emulator-token"},
            timeout=5,
        )
        report.expect(ok.status_code == 200, "the default token is refused")
    finally:
        process.kill()
        process.wait(10)


def passwords_never_print(
    root: Path, source_url: str, months: tuple[str, str], admin_url: str, report: SecurityReport
) -> None:
    """A PostgreSQL state store (and source) reached with a password in the URL: a working
    run, and runs that fail on a missing database or a broken table, never print it."""
    from moulin_sync.demo_data.generator import generate
    from moulin_sync.testing.reliability.drills import _pg_admin, postgres_database

    password = f"pw-{uuid.uuid4().hex[:12]}"

    def with_password(url: str, database: str | None = None) -> str:
        """`url` with the password (and another database, when given)."""
        parsed = make_url(url).set(password=password)
        if database is not None:
            parsed = parsed.set(database=database)
        return parsed.render_as_string(hide_password=False)

    def fails_hidden(tag: str, what: str, **env: str) -> RunResult:
        """A run that must fail, without ever showing the password."""
        result = world.sync(run, tag, **env)
        report.expect(not result.ok, f"a run with {what} succeeded")
        _expect_hidden(report, password, result, what)
        return result

    with run_hubspot_emulator(token="security-token") as hubspot:
        world = World(root, source_url, hubspot, months)
        run, home = _fresh_run(world, "security-passwords")
        with postgres_database(admin_url) as state_db, postgres_database(admin_url) as source_db:
            # PostgreSQL trusts local connections here: the password is carried, not checked.
            state_url = with_password(state_db)
            works = world.sync(run, "pg-state", MOULIN_STATE_URL=state_url, DAGSTER_HOME=str(home))
            report.expect(
                works.ok,
                f"the run with a PostgreSQL state store failed: {works.failure_text()[-300:]}",
            )
            _expect_hidden(report, password, works, "a working run")
            missing = with_password(state_db, database="moulin_no_such_db")
            failing = fails_hidden(
                "pg-state-missing", "a missing state database", MOULIN_STATE_URL=missing
            )
            report.expect("***" in failing.stdout + failing.stderr,
                          "the failing state URL is not shown with ***")  # fmt: skip

            source_pg = with_password(source_db)
            generate(source_db, customers=40, companies=2, orders=300, seed=3)
            with _pg_admin(source_db) as cursor:
                cursor.execute("ALTER TABLE customers RENAME COLUMN email TO courriel")
            fails_hidden(
                "pg-source-broken", "a source whose column is gone", MOULIN_SOURCE_URL=source_pg
            )
            absent = with_password(source_db, database="moulin_no_such_source")
            fails_hidden("pg-source-missing", "a missing source database", MOULIN_SOURCE_URL=absent)
            report.expect(
                password not in _instance_texts(home), "the password is in the Dagster instance"
            )
            leaked = _leaks(password, run)
            report.expect(not leaked, f"the password is in stored files: {leaked[:5]}")
        for command in (["plan"], ["export-deal-ids", "--format", "json"]):
            shown = subprocess.run(
                [
                    shutil.which("moulin-sync")
                    or str(Path(sys.executable).with_name("moulin-sync")),
                    *command,
                ],
                env=world.env(run, MOULIN_STATE_URL=missing),
                capture_output=True,
                text=True,
                timeout=300,
            )
            report.expect(
                password not in shown.stdout + shown.stderr,
                f"`moulin-sync {' '.join(command)}` printed the password",
            )


def _expect_hidden(report: SecurityReport, password: str, result: RunResult, what: str) -> None:
    text = result.stdout + result.stderr
    report.expect(password not in text, f"the password is printed by {what}")


def run_security(
    root: Path, source_url: str, months: tuple[str, str], admin_url: str | None
) -> SecurityReport:
    started = time.monotonic()
    report = SecurityReport()
    emulator_requires_a_token(report)
    token_never_leaks(root, source_url, months, report)
    if admin_url is not None:
        passwords_never_print(root, source_url, months, admin_url, report)
    report.seconds = time.monotonic() - started
    return report


def postgres_reachable(admin_url: str) -> bool:
    url = make_url(admin_url)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2):
            return True
    except OSError:
        return False
