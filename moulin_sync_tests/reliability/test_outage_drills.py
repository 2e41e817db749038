"""One outage drill of each kind; each ends with HubSpot equal to the expected first load."""

from __future__ import annotations

import pytest

from moulin_sync.testing.reliability import drills
from moulin_sync.testing.reliability.crash_matrix import Reference
from moulin_sync.testing.reliability.harness import World


def test_a_429_storm_is_ridden_out(world: World, reference: Reference) -> None:
    outcome = drills.drill_429_storm(world, reference.image, limit=30, storm_s=4)
    assert outcome.passed, outcome.describe()


def test_the_daily_limit_stops_the_run_cleanly_and_the_next_run_finishes(
    world: World, reference: Reference
) -> None:
    outcome = drills.drill_daily_limit(world, reference.image)
    assert any("daily API budget" in note for note in outcome.notes), outcome.describe()
    assert outcome.passed, outcome.describe()


def test_the_daily_limit_reached_before_a_write_step_starts(
    world: World, reference: Reference
) -> None:
    outcome = drills.drill_daily_limit(world, reference.image, during="contacts", left=1)
    assert outcome.verdict.clean, outcome.describe()  # the next day's run converges anyway
    assert outcome.passed, outcome.describe()


def test_bursts_of_5xx_and_423_are_retried_or_reconciled(
    world: World, reference: Reference
) -> None:
    outcome = drills.drill_error_bursts(world, reference.image)
    assert outcome.faults >= sum(b["count"] for b in drills.BURSTS)
    assert outcome.passed, outcome.describe()


def test_requests_hanging_past_the_timeout(world: World, reference: Reference) -> None:
    outcome = drills.drill_timeouts(world, reference.image, timeout_s=1.0, hang_s=2.0)
    assert outcome.faults >= sum(h["count"] for h in drills.HANGS)
    assert outcome.passed, outcome.describe()


def test_the_sqlite_state_store_locked_for_a_while(world: World, reference: Reference) -> None:
    outcome = drills.drill_sqlite_state_locked(world, reference.image, lock_s=7)
    assert outcome.passed, outcome.describe()


@pytest.mark.postgres
def test_the_postgres_state_store_cut_off_for_a_while(
    world: World, reference: Reference, postgres_server: str
) -> None:
    outcome = drills.drill_postgres_state_cut(world, reference.image, postgres_server, cut_s=3)
    assert any("connection(s) cut" in note and not note.startswith("0") for note in outcome.notes)
    assert outcome.passed, outcome.describe()
