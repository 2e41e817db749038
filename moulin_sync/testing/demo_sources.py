"""The emulators of the sources beyond the App du Moulin, for `make demo`: each
`moulin_sync/testing/<name>_emulator.py` that defines `demo(root, console, seed)` — a
context manager that starts its emulator (its state under `root`), fills it once with
demo data matching the demo database, and yields the variables that turn its source on —
is collected here, not listed."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

import moulin_sync.testing


@dataclass
class DemoSources:
    environment: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # label → emulator address


@contextlib.contextmanager
def demo_sources(root: Path, console: Console, *, seed: int) -> Iterator[DemoSources]:
    found = DemoSources()
    with contextlib.ExitStack() as stack:
        for module in pkgutil.iter_modules(moulin_sync.testing.__path__):
            if not module.name.endswith("_emulator"):
                continue
            demo = getattr(
                importlib.import_module(f"moulin_sync.testing.{module.name}"), "demo", None
            )
            if demo is None:
                continue
            label, url, environment = stack.enter_context(demo(root, console, seed))
            found.addresses[label] = url
            found.environment |= environment
        yield found
