"""The Typeform emulator imports in one direction, by the rule and the check of
`moulin_sync_tests/emulators/test_import_cycles.py` (no module imports, even inside a
function or for type checking, a module that imports it back)."""

from __future__ import annotations

import pytest

from .. import test_import_cycles as cycles


def test_no_import_cycle_in_the_typeform_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cycles, "CHECKED", ("typeform", "toolkit"))
    graph = cycles._graph()
    assert "moulin_sync.emulators.typeform.core" in graph["moulin_sync.emulators.typeform.handlers"]
    cycles.test_no_import_cycle()
