"""A sample of the crash matrix (the whole matrix: `make reliability`).

Each point: HubSpot commits the k-th write of a first load, then the run is SIGKILLed (or
the answer is lost, or HubSpot restarts); after a rerun HubSpot holds exactly the
expected records — none twice, none missing — and the state store agrees with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle, run_hubspot_emulator
from moulin_sync.testing.reliability.crash_matrix import CrashMatrix, Reference, crash_points
from moulin_sync.testing.reliability.harness import MONTHS, World
from moulin_sync.testing.reliability.oracle import audit_reference, compare


def test_the_reference_is_what_the_source_calls_for(reference: Reference, source_url: str) -> None:
    assert audit_reference(reference.image, source_url, MONTHS) == []
    # A first load big enough for the matrix to mean something: schema, pipeline,
    # companies, contacts in 2 batches, deals in several.
    assert 30 <= reference.write_calls <= 60, reference.writes_by_route
    assert reference.writes_by_route["POST /crm/v3/objects/{objectType}/batch/create"] >= 6
    counts = {t: len(keys) for t, keys in reference.image.records.items()}
    assert counts["contacts"] > 100 and counts["companies"] == 6 and counts["deals"] > 400


def test_the_oracle_sees_a_duplicate_a_loss_and_a_wrong_value(reference: Reference) -> None:
    """The comparison can fail: one duplicated, one removed, one altered record."""
    import copy
    import json

    image = copy.deepcopy(reference.image)
    deals = image.records["deals"]
    first, second, third = sorted(deals)[:3]
    deals[first].append(deals[first][0])
    del deals[second]
    altered = json.loads(deals[third][0])
    altered["properties"]["amount"] = "0.01"
    deals[third] = [json.dumps(altered, sort_keys=True, ensure_ascii=False)]
    image.keyless["contacts"].append("12345")
    verdict = compare(reference.image, image)
    assert (verdict.duplicates, verdict.lost, verdict.mismatched) == (2, 1, 1)
    assert not verdict.clean
    assert compare(reference.image, reference.image).clean


def test_crash_points_cover_every_write_or_at_least_25() -> None:
    assert crash_points(12) == list(range(1, 13))
    spread = crash_points(200, 10)
    assert len(spread) == 25 and spread[0] == 1 and spread[-1] == 200
    assert crash_points(40, 60) == list(range(1, 41))


# Sample points: (k, route): the k-th write to that route.
POINTS = {
    "pipeline": (1, "/crm/v3/pipelines/deals"),
    "schema": (12, "/crm/v3/properties"),
    "contacts": (2, "/crm/v3/objects/contacts/batch/create"),
    # The first deals batch: its companions in flight commit too, the later ones are
    # left for the rerun.
    "deals": (1, "/crm/v3/objects/deals/batch/create"),
}


@pytest.mark.parametrize("phase", ["schema", "deals"])
def test_sigkill_after_a_write_then_rerun(world: World, reference: Reference, phase: str) -> None:
    k, route = POINTS[phase]
    outcome = CrashMatrix(world, reference.image).kill(k, route=route, in_process_rerun=True)
    assert outcome is not None, f"the run made fewer than {k} writes to {route}"
    assert route in outcome.name
    assert outcome.left_missing, "the kill left HubSpot complete: it proved nothing"
    assert outcome.passed, outcome.describe()


@pytest.mark.parametrize("phase", ["pipeline", "deals"])
def test_the_answer_of_a_write_is_lost(world: World, reference: Reference, phase: str) -> None:
    # The pipeline point was found by the matrix: HubSpotAmbiguousWrite failed the run.
    k, route = POINTS[phase]
    outcome = CrashMatrix(world, reference.image).drop(k, route=route, in_process=True)
    assert outcome is not None and route in outcome.name
    assert outcome.passed, outcome.describe()


@pytest.fixture
def persistent_world(tmp_path: Path, world: World) -> Iterator[World]:
    """The world with a HubSpot that keeps its state in a file (its other sources kept)."""
    with run_hubspot_emulator(
        token="reliability-sample-token", state_path=tmp_path / "hubspot.sqlite"
    ) as handle:
        yield World(tmp_path / "runs", world.source_url, handle, MONTHS, world.services)


def test_hubspot_killed_and_restarted_mid_write(
    persistent_world: World, reference: Reference
) -> None:
    handle: EmulatorHandle = persistent_world.hubspot
    k, route = POINTS["contacts"]
    outcome = CrashMatrix(persistent_world, reference.image).restart(
        k,
        route=route,
        committed=True,
        graceful=False,
        in_process=True,
    )
    assert outcome is not None
    assert handle.running
    assert outcome.passed, outcome.describe()
