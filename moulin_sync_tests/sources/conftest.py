"""Generated App du Moulin databases shared by the source tests (made once a session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moulin_sync.demo_data import (
    GenerationSummary,
    generate,
)
from moulin_sync_tests.sources.generated import (
    MEDIUM,
    TODAY,
)


@pytest.fixture(scope="session")
def dirty_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    path = tmp_path_factory.mktemp("dirty") / "moulin.db"
    summary = generate(f"sqlite:///{path}", **MEDIUM, seed=7, dirty_rate=0.02, today=TODAY)
    return path, summary


@pytest.fixture(scope="session")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    path = tmp_path_factory.mktemp("clean") / "moulin.db"
    summary = generate(f"sqlite:///{path}", **MEDIUM, seed=7, dirty_rate=0.0, today=TODAY)
    return path, summary
