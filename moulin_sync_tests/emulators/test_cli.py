"""The `moulin-sync emulator hubspot` click command."""

from __future__ import annotations

from click.testing import CliRunner

from moulin_sync.emulators.hubspot.cli import DEFAULT_TOKEN, hubspot_emulator_command


def test_command_exposes_the_documented_options() -> None:
    result = CliRunner().invoke(hubspot_emulator_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--state", "--tier", "--rate-limit", "--daily-limit",
                   "--search-lag", "--token", "HUBSPOT_EMULATOR_TOKEN"):  # fmt: skip
        assert option in result.output
    params = {p.name: p for p in hubspot_emulator_command.params}
    assert params["token"].default == DEFAULT_TOKEN  # a token is always required
    assert list(params["tier"].type.choices) == [
        "free",
        "starter",
        "professional",
        "enterprise",
        "unlimited",
    ]


def test_an_emulator_whose_starter_is_killed_stops(tmp_path) -> None:
    """A test or a demo killed with SIGKILL leaves no emulator behind (it watches the
    process that started it, and stops, its state committed)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    starter = subprocess.Popen(
        [sys.executable, "-c", (
            "import time\n"
            "from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator\n"
            "with run_hubspot_emulator() as hs:\n"
            "    print(hs.process.pid, flush=True)\n"
            "    time.sleep(600)\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    emulator = int(starter.stdout.readline())
    os.kill(emulator, 0)  # it runs
    starter.kill()
    starter.wait(10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(emulator, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(emulator, signal.SIGKILL)
    raise AssertionError("the emulator outlived the process that started it")
