"""`--state FILE`: the account survives a restart (and a kill after a committed write);
one process per file; the command's options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from click.testing import CliRunner

from moulin_sync.emulators import commands
from moulin_sync.testing.emulator import run_emulator_process

from .helpers import API_KEY, MODULE, NOW, Freshdesk, basic_auth, days_ago


def test_the_state_file_round_trips_through_a_restart_and_a_kill(tmp_path: Path) -> None:
    state = tmp_path / "freshdesk.db"
    args = ["--api-key", API_KEY, "--plan", "unlimited"]
    with run_emulator_process(MODULE, auth=basic_auth(API_KEY), extra_args=args,
                              state_path=state) as em:  # fmt: skip
        with Freshdesk(em.base_url) as fd:
            fd.clock(NOW)
            company = fd.bulk(companies=[{"name": "Le Moulin"}])["companies"][0]
            who = fd.contact("a@example.fr", company_id=company)
            fd.load_tickets(who, [(days_ago(3), days_ago(2))] * 3)
            fd.create_ticket(email="b@example.fr")
            fd.delete("/api/v2/tickets/2")
            fd.admin("PUT", "tickets/3/spam", {"spam": True})
            before = fd.admin("GET", "state")
        em.restart()
        with Freshdesk(em.base_url) as fd:
            assert fd.admin("GET", "state") == before
            assert fd.create_ticket(email="c@example.fr")["id"] == 5  # counters kept too
            expected = fd.admin("GET", "state")
        em.kill()  # no clean shutdown: every committed write is already in the file
        em.start()
        with Freshdesk(em.base_url) as fd:
            assert fd.admin("GET", "state") == expected
            fd.admin("POST", "reset")
        em.restart()
        with Freshdesk(em.base_url) as fd:
            summary = fd.admin("GET", "summary")
            assert (summary["tickets"], summary["contacts"], summary["agents"]) == (0, 0, 1)


def test_a_second_emulator_refuses_the_same_state_file(tmp_path: Path) -> None:
    state = tmp_path / "freshdesk.db"
    with run_emulator_process(MODULE, auth=basic_auth(API_KEY), extra_args=["--api-key", API_KEY],
                              state_path=state):  # fmt: skip
        second = subprocess.run(
            [sys.executable, "-m", MODULE, "--port", "0", "--state", str(state)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert second.returncode != 0
    assert "in use by another emulator process" in second.stderr


def test_the_command_is_listed_with_its_plans() -> None:
    command = commands()["freshdesk"]
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    assert "growth|pro|enterprise|unlimited" in result.output
    assert "--api-key" in result.output and "--state" in result.output


def test_the_plan_option_sets_the_limits(tmp_path: Path) -> None:
    with run_emulator_process(MODULE, auth=basic_auth(API_KEY),
                              extra_args=["--api-key", API_KEY, "--plan", "growth"]) as em:  # fmt: skip
        r = httpx.get(em.base_url + "/api/v2/tickets", headers=basic_auth(API_KEY))
        assert r.headers["x-ratelimit-total"] == "200"
        with Freshdesk(em.base_url) as fd:
            assert fd.admin("GET", "summary")["plan"] == "growth"
