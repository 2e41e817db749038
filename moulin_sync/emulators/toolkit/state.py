"""An emulator's state: what the gate asks of it (a request's changes kept or undone whole),
the lock that keeps two processes off one state file, and a JSON state for small services.

`JsonState` holds a service's whole state as one JSON document (`data`), in memory or in a
file (`--state PATH`), written after every request that changed it (atomically: a temporary
file renamed over the old one). A request that fails is undone by reloading the last
committed document, so a handler may change `data` freely before it raises.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from .routes import Req


class StateLocked(RuntimeError):
    """Another emulator process holds the state file."""


class State(Protocol):
    def begin(self, req: Req) -> None:
        """A request starts: from here on, its changes can be undone."""
        ...

    def commit(self) -> None:
        """Keep the changes of the request in flight (and write them to the state file)."""
        ...

    def rollback(self) -> None:
        """Undo every change of the request in flight."""
        ...

    def reset(self, options: dict[str, Any]) -> None:
        """Back to an empty service (the admin reset; `options` is its JSON body)."""
        ...

    def to_json(self) -> Any:
        """Everything the service holds, for `GET /_emulator/state`."""
        ...

    def close(self) -> None: ...


def lock_state_file(path: str) -> IO[str]:
    """Lock `PATH.lock` (flock) for this process, or raise StateLocked: two emulators can
    never share one state file. The lock holds until the returned file is closed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = open(path + ".lock", "w")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        lock.close()
        raise StateLocked(
            f"state file {path} is in use by another emulator process: stop it, or pass "
            "another --state path"
        ) from e
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


class JsonStateFile:
    """One JSON document in a locked file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock: IO[str] | None = lock_state_file(path)

    def load(self) -> Any | None:
        """The saved document, or None when there is none yet."""
        try:
            text = Path(self.path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return json.loads(text)
        except ValueError as e:
            raise ValueError(
                f"state file {self.path} is not JSON ({e}): move it away to start empty"
            ) from e

    def save(self, text: str) -> None:
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


class JsonState:
    """A service's state as one JSON-able dict, `data`, made by `empty()` at first."""

    def __init__(self, empty: Callable[[], dict[str, Any]], path: str | None = None) -> None:
        self._empty = empty
        self._file = JsonStateFile(path) if path else None
        loaded = self._file.load() if self._file else None
        self.data: dict[str, Any] = loaded if loaded is not None else empty()
        self._committed = self._dump()
        if self._file and loaded is None:
            self._file.save(self._committed)

    def _dump(self) -> str:
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)

    def begin(self, req: Req) -> None:
        pass  # the last committed document is the undo point

    def commit(self) -> None:
        text = self._dump()
        if text == self._committed:
            return
        if self._file is not None:
            self._file.save(text)
        self._committed = text

    def rollback(self) -> None:
        self.data = json.loads(self._committed)

    def reset(self, options: dict[str, Any]) -> None:
        self.data = self._empty()
        self.commit()

    def to_json(self) -> Any:
        return copy.deepcopy(self.data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
