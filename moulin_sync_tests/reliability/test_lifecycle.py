"""The data's life after the first load, through the real command: an erasure cut by a
crash, a merge in HubSpot then new orders, a late refund then the night, a live run
killed after HubSpot committed, then caught up. Each must end
with no duplicate, nothing lost, nothing stale (`make reliability` runs the same)."""

from collections.abc import Callable

import pytest

from moulin_sync.testing.reliability import lifecycle, live
from moulin_sync.testing.reliability.harness import World
from moulin_sync.testing.reliability.outcomes import Outcome


@pytest.mark.parametrize(
    "scenario",
    [
        lifecycle.erasure_cut_by_a_crash,
        lifecycle.merge_then_new_orders,
        lifecycle.late_refund_then_nightly,
        live.live_run_killed_then_caught_up,
    ],
    ids=lambda s: s.__name__,
)
def test_the_data_stays_right_after_the_first_load(
    world: World, scenario: Callable[[World], Outcome]
) -> None:
    outcome = scenario(world)
    assert outcome.passed, outcome.describe()
