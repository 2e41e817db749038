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
