"""Every command fails in one line naming what to fix, without a traceback (unless
--debug), and `--help` loads nothing heavy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from moulin_sync.demo_data.generator import generate
from moulin_sync.testing.hubspot_emulator import EmulatorHandle


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli-errors") / "app.db"
    generate(f"sqlite:///{path}", customers=20, companies=2, orders=50, seed=3)
    return f"sqlite:///{path}"


def _run(*arguments: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MOULIN_", "HUBSPOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "moulin_sync.cli", *arguments],
        capture_output=True, text=True, env={**clean, **env}, timeout=120, cwd=Path.cwd(),
    )  # fmt: skip


def _one_line_error(done: subprocess.CompletedProcess, *expected: str) -> str:
    output = (done.stdout + done.stderr).strip()
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    error = [line for line in lines if line.startswith("Error: ")]
    assert len(error) == 1 and len(lines) <= 3, output
    for text in expected:
        assert text in error[0], output
    return error[0]


@pytest.mark.parametrize(
    ("command", "env", "expected"),
    [
        ("plan", {"MOULIN_HISTORY_START": "2030-01-01"}, ("MOULIN_HISTORY_START", "future")),
        ("sync", {"MOULIN_HISTORY_START": "2030-01-01"}, ("MOULIN_HISTORY_START", "future")),
        ("plan", {"MOULIN_TIMEZONE": "Mars/Olympus"}, ("MOULIN_TIMEZONE", "Europe/Paris")),
        ("plan", {"MOULIN_DEAL_STAGES": "{bad"}, ("MOULIN_DEAL_STAGES", "not valid JSON")),
        ("plan", {"MOULIN_DEAL_STAGES": '{"payed": "x"}'}, ("MOULIN_DEAL_STAGES", "'payed'")),
        ("sync", {"HUBSPOT_BASE_URL": "not-a-url"}, ("HUBSPOT_BASE_URL", "not a web address")),
        ("plan", {"MOULIN_SOURCE_URL": "sqlite:////nowhere/app.db"}, ("MOULIN_SOURCE_URL",)),
        ("export-deal-ids", {"MOULIN_STATE_URL": "sqlite:////nowhere/s.db"}, ("no sync state",)),
        ("plan", {"MOULIN_DRIFT": "overwrite"}, ("MOULIN_DRIFT", "'report' or 'restore'")),
        ("serve-refresh", {}, ("MOULIN_REFRESH_SECRET", "client secret")),
        ("serve-refresh", {"MOULIN_REFRESH_SECRET": "s", "DAGSTER_HOME": ""}, ("DAGSTER_HOME",)),
        (
            "serve-refresh",
            {"MOULIN_REFRESH_PUBLIC_URL": "moulin.fr"},
            ("MOULIN_REFRESH_PUBLIC_URL", "not a web address"),
        ),
    ],
)
def test_a_bad_setting_is_one_line(command: str, env: dict[str, str], expected: tuple) -> None:
    _one_line_error(_run(command, **env), *expected)


def test_sync_needs_the_token_before_any_step(source: str) -> None:
    done = _run("sync", MOULIN_SOURCE_URL=source)
    _one_line_error(done, "HUBSPOT_ACCESS_TOKEN: not set")
    assert "app_du_moulin" not in done.stdout, "steps ran before the token was checked"


def test_a_state_store_that_cannot_open_is_named_without_its_password(source: str) -> None:
    done = _run(
        "sync", MOULIN_SOURCE_URL=source, HUBSPOT_ACCESS_TOKEN="x",
        MOULIN_STATE_URL="postgresql://postgres:s3cret@127.0.0.1:5432/moulin_no_such_db",
    )  # fmt: skip
    line = _one_line_error(done, "MOULIN_STATE_URL", "postgres:***@")
    assert "s3cret" not in done.stdout + done.stderr, line


def test_a_hubspot_that_does_not_answer_is_named_at_once(source: str) -> None:
    done = _run(
        "sync", MOULIN_SOURCE_URL=source, HUBSPOT_BASE_URL="http://127.0.0.1:9",
        HUBSPOT_ACCESS_TOKEN="x",
    )  # fmt: skip
    _one_line_error(done, "HUBSPOT_BASE_URL", "does not answer")


def test_a_refused_token_is_named(source: str, hubspot: EmulatorHandle) -> None:
    done = _run(
        "sync", MOULIN_SOURCE_URL=source, HUBSPOT_BASE_URL=hubspot.base_url,
        HUBSPOT_ACCESS_TOKEN="not-the-token",
    )  # fmt: skip
    _one_line_error(done, "HUBSPOT_ACCESS_TOKEN", "refused the token")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (("plan", "--from", "2024-05-15"), "not the first day of a month; write 2024-05-01"),
        (("sync", "--from", "yesterday"), "'yesterday' is not a month"),
        (("plan", "--from", "2010-01-01"), "before the history"),
        (("plan", "--to", "2031-01-01"), "after the current month"),
        (("plan", "--from", "2024-06-01", "--to", "2024-01-01"), "after --to"),
    ],
)
def test_months_are_months_within_the_history(arguments: tuple, expected: str) -> None:
    _one_line_error(_run(*arguments), expected)


def test_debug_shows_the_traceback() -> None:
    missing = {"MOULIN_SOURCE_URL": "sqlite:////nowhere/app.db"}
    assert "Traceback" not in _run("plan", **missing).stderr
    for done in (_run("--debug", "plan", **missing), _run("plan", **missing, MOULIN_DEBUG="1")):
        assert done.returncode != 0
        assert "Traceback (most recent call last)" in done.stderr
        assert "MOULIN_SOURCE_URL: no SQLite database" in done.stderr


def test_help_loads_nothing_heavy() -> None:
    """What made `--help` take seconds: the settings (pydantic-settings, SQLAlchemy), the
    generator, Dagster. The command's modules import them when they run."""
    probe = (
        "import sys, moulin_sync.cli; "
        "heavy = [m for m in ('dagster', 'sqlalchemy', 'pydantic_settings', 'polars', "
        "'moulin_sync.demo_data.generator') if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
