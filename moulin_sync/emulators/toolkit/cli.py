"""What every `moulin-sync emulator <service>` command shares: the options (`--port`,
`--host`, `--state`, the credential, `--exit-with-parent`) and `serve()`, which builds the
emulator, binds the port and runs uvicorn until stopped.

    @click.command()
    @serve_options(credential="token", envvar="TYPEFORM_EMULATOR_TOKEN", default="emulator-token")
    def typeform_emulator_command(port, host, state, token, exit_with_parent):
        serve(lambda: TypeformEmulator(token=token, state_path=state), host=host, port=port,
              exit_with_parent=exit_with_parent)

`moulin-sync emulator` lists the `COMMAND` of every `moulin_sync.emulators.<service>.cli`.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .state import StateLocked

if TYPE_CHECKING:
    from .service import Emulator

F = TypeVar("F", bound=Callable[..., Any])


def serve_options(
    *, credential: str, envvar: str, default: str, help: str = ""
) -> Callable[[F], F]:
    """Add the options every emulator command takes; `credential` names the option and
    parameter carrying what clients must send (`token`, `api-key`...)."""
    what = help or f"The {credential} clients must send"

    def decorate(command: F) -> F:
        for option in reversed([
            click.option("--port", type=int, default=8765, show_default=True,
                         help="0 picks a free port."),
            click.option("--host", default="127.0.0.1", show_default=True),
            click.option("--state", type=click.Path(dir_okay=False), default=None,
                         help="File holding the state across restarts (default: in memory)."),
            click.option(f"--{credential}", envvar=envvar, default=default, show_default=True,
                         help=f"{what} (env {envvar})."),
            click.option("--exit-with-parent", is_flag=True,
                         help="Stop when the process that started the emulator exits (tests, the demo)."),
        ]):  # fmt: skip
            command = option(command)
        return command

    return decorate


def serve(
    build: Callable[[], Emulator],
    *,
    host: str,
    port: int,
    exit_with_parent: bool = False,
    banner: Callable[[str], str] | None = None,
) -> None:
    """Build the emulator and serve it on `host:port` until SIGTERM/SIGINT.
    `banner(url)` is the line printed once listening (the port is known then)."""
    import uvicorn

    from .app import create_app

    try:
        em = build()
    except StateLocked as e:
        raise click.ClickException(str(e)) from e
    # Records hold no reference cycles: move what is loaded out of the collector's sight and
    # collect rarely, or full collections over 100k+ live dicts dominate batch throughput.
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    sock = bind(host, port)
    config = uvicorn.Config(
        create_app(em),
        http="httptools",
        loop="uvloop",
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=30,
        backlog=2048,
    )
    if exit_with_parent:
        _exit_when_orphaned()
    url = f"http://{host}:{sock.getsockname()[1]}"
    click.echo(banner(url) if banner else f"{em.name} emulator listening on {url}")
    sys.stdout.flush()
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        em.close()


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _exit_when_orphaned() -> None:
    """Stop (gracefully: the state is committed) once the process that started the
    emulator is gone, so a test or a demo killed with SIGKILL leaves no server behind."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
