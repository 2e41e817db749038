"""The account's clock: the real time, shifted or frozen through the admin API so tests
and the demo can write tickets "last month" and see the 30-day window move. It lives
in the store's meta, so it is saved with the state and undone with a failed request."""

from __future__ import annotations

import time
from typing import Any

from .store import Store


class Clock:
    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def _setting(self) -> dict[str, Any]:
        return self.store.meta["clock"]

    def now(self) -> int:
        """Epoch seconds (Freshdesk's timestamps have no finer resolution)."""
        frozen = self._setting.get("frozen")
        if frozen is not None:
            return int(frozen)
        return int(time.time()) + int(self._setting.get("offset", 0))

    @property
    def frozen(self) -> bool:
        return self._setting.get("frozen") is not None

    def set(self, epoch: int | None, *, frozen: bool = False) -> None:
        """Make it `epoch` now (None: the real time), frozen there or running from it."""
        if epoch is None:
            self.store.meta["clock"] = {"offset": 0, "frozen": None}
        elif frozen:
            self.store.meta["clock"] = {"offset": 0, "frozen": epoch}
        else:
            self.store.meta["clock"] = {"offset": epoch - int(time.time()), "frozen": None}

    def advance(self, seconds: int) -> None:
        setting = dict(self._setting)
        if setting.get("frozen") is not None:
            setting["frozen"] = int(setting["frozen"]) + seconds
        else:
            setting["offset"] = int(setting.get("offset", 0)) + seconds
        self.store.meta["clock"] = setting
