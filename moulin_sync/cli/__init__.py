"""The `moulin-sync` command: a table of contents, each sub-command in a module of its own.

Sub-commands import what they drive when they run, so `--help` stays quick.
"""

from __future__ import annotations

from typing import Any

import click

from moulin_sync.cli.demo import demo
from moulin_sync.cli.exports import export_deal_ids
from moulin_sync.cli.inspect import inspect
from moulin_sync.cli.plan import plan
from moulin_sync.cli.sync import sync


class OneLineErrors(click.Group):
    """Every failure ends the command in one line naming what to fix, exit status 1; the
    traceback only with --debug (or MOULIN_DEBUG=1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            raise click.ClickException(one_line(exc)) from None


def one_line(exc: BaseException) -> str:
    """Our errors already say which setting to fix; anything else is named as such."""
    text = str(exc).strip()
    if type(exc).__module__.startswith("moulin_sync") and text:
        return text
    first = text.splitlines()[0][:300] if text else ""
    return (
        f"unexpected {type(exc).__name__}{': ' + first if first else ''} "
        "(run with --debug for the traceback)"
    )


@click.group(cls=OneLineErrors)
@click.version_option(package_name="moulin-sync")
@click.option(
    "--debug",
    is_flag=True,
    envvar="MOULIN_DEBUG",
    help="Show the traceback of a failure (also MOULIN_DEBUG=1).",
)
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Keep HubSpot in step with the App du Moulin."""
    ctx.obj = {"debug": debug}


@main.group()
def emulator() -> None:
    """Local stand-ins for the services, for the demo and the tests (never the real ones)."""


def _register() -> None:
    from moulin_sync.cli.deployment import down, up
    from moulin_sync.cli.migrate import migrate
    from moulin_sync.cli.rebuild_state import rebuild_state
    from moulin_sync.cli.serve_refresh import serve_refresh
    from moulin_sync.demo_data.cli import demo_data_command
    from moulin_sync.emulators import commands as emulator_commands

    commands = (demo, sync, plan, inspect, export_deal_ids, serve_refresh, rebuild_state)
    commands += (migrate, up, down)
    for command in commands:
        main.add_command(command)
    main.add_command(demo_data_command, name="demo-data")
    for name, command in emulator_commands().items():  # one per emulators/<service>/
        emulator.add_command(command, name=name)


_register()
