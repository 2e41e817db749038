"""The `moulin-sync` command: a table of contents, each sub-command in a module of its own.

Sub-commands import what they drive when they run, so `--help` stays quick.
"""

from __future__ import annotations

import click

from moulin_sync.cli.demo import demo
from moulin_sync.cli.exports import export_deal_ids
from moulin_sync.cli.plan import plan
from moulin_sync.cli.sync import sync


@click.group()
@click.version_option(package_name="moulin-sync")
def main() -> None:
    """Keep HubSpot in step with the App du Moulin."""


@main.group()
def emulator() -> None:
    """A local stand-in for HubSpot, for the demo and the tests (never the real service)."""


def _register() -> None:
    from moulin_sync.demo_data.cli import demo_data_command
    from moulin_sync.emulators.hubspot.cli import hubspot_emulator_command

    for command in (demo, sync, plan, export_deal_ids):
        main.add_command(command)
    main.add_command(demo_data_command, name="demo-data")
    emulator.add_command(hubspot_emulator_command, name="hubspot")


_register()
