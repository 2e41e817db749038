"""Faithful, stateful stand-ins for the services moulin-sync talks to (never the real ones):
one package per service on the shared `toolkit` (see docs/emulators.md)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

NOT_A_SERVICE = frozenset({"toolkit"})


def commands() -> dict[str, Any]:
    """`moulin-sync emulator <service>` commands: the `COMMAND` of each service package's
    `cli` module, by package name. Adding an emulator adds a folder, edits no list."""
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg or info.name in NOT_A_SERVICE:
            continue
        try:
            cli = importlib.import_module(f"{__name__}.{info.name}.cli")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{info.name}.cli":
                raise
            continue
        found[info.name] = cli.COMMAND
    return found
