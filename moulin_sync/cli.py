"""The `moulin-sync` command.

Each sub-command lives beside the code it drives and is only wired here, so this
file stays a table of contents.
"""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="moulin-sync")
def main() -> None:
    """Keep HubSpot in step with the App du Moulin."""


@main.group()
def emulator() -> None:
    """Local stand-ins for HubSpot, Typeform and Freshdesk (never the real services)."""


@main.command()
@click.option(
    "--dir", "root", default=".moulin/demo", show_default=True, type=click.Path(),
    help="Where the demo keeps its database, state and Dagster instance.",
)
def demo(root: str) -> None:
    """Run the main job on embedded defaults (generated data, local emulators)."""
    from pathlib import Path

    from moulin_sync.demo import run_demo

    summary = run_demo(Path(root))
    if not summary.success:
        raise SystemExit(1)


def _register() -> None:
    from moulin_sync.emulators.hubspot.cli import hubspot_emulator_command
    from moulin_sync.source.generator_cli import demo_data_command

    main.add_command(demo_data_command, name="demo-data")
    emulator.add_command(hubspot_emulator_command, name="hubspot")


_register()
