"""A sample of the Typeform NPS faults (all of them: `make reliability --only typeform`).

The world has Typeform on: every contact's NPS is judged against Typeform itself — the
latest answer per customer, none lost, none older over a newer, none on a contact twice.
"""

from __future__ import annotations

import copy
import json

from moulin_sync.testing.reliability.crash_matrix import CrashMatrix, Reference
from moulin_sync.testing.reliability.harness import MONTHS, World
from moulin_sync.testing.reliability.oracle import HubSpotImage, audit_reference
from moulin_sync.testing.reliability.scenarios import typeform as scenarios
from moulin_sync.testing.reliability.services import scenario_files
from moulin_sync.testing.reliability.typeform_world import NPS_STREAM, TypeformService


def test_the_reference_holds_each_customers_latest_answer(
    world: World, reference: Reference, typeform: TypeformService, source_url: str
) -> None:
    assert audit_reference(reference.image, source_url, MONTHS, world.audits()) == []
    nps = reference.image.records[NPS_STREAM]
    assert len(nps) > 30, "a first load writes NPS on the answering customers' contacts"
    assert len(typeform.stored()) > 2_000, "the first pull pages (1,000 a page)"
    assert scenarios in scenario_files(), "make reliability finds the Typeform scenarios"


def _with_nps(image: HubSpotImage, key: str, **values: str) -> None:
    held = json.loads(image.records[NPS_STREAM][key][0])
    held["properties"].update(values)
    image.records[NPS_STREAM][key] = [json.dumps(held, sort_keys=True, ensure_ascii=False)]


def test_the_audit_sees_a_lost_an_older_and_a_stray_answer(
    world: World, reference: Reference, typeform: TypeformService
) -> None:
    image = copy.deepcopy(reference.image)
    answered = sorted(image.records[NPS_STREAM], key=int)
    silent = sorted(set(image.records["contacts"]) - set(answered), key=int)
    del image.records[NPS_STREAM][answered[0]]
    _with_nps(image, answered[1], nps_submitted_at="2020-01-01T00:00:00.000Z")
    image.records[NPS_STREAM][silent[0]] = image.records[NPS_STREAM][answered[2]]
    verdict = typeform.audit(image, source_url=world.source_url)
    assert (verdict.lost, verdict.mismatched, verdict.extra) == (1, 1, 1), verdict.describe()
    assert any("an older answer" in d for d in verdict.details), verdict.details
    assert typeform.audit(reference.image, source_url=world.source_url).clean


def test_sigkill_between_the_pull_and_the_write(world: World, reference: Reference) -> None:
    outcome = scenarios.crash_between_pull_and_write(world, reference.image, in_process_rerun=True)
    assert outcome.left_missing, outcome.describe()
    assert outcome.passed, outcome.describe()


def test_the_answer_of_an_nps_write_is_lost(world: World, reference: Reference) -> None:
    outcome = CrashMatrix(world, reference.image).drop(
        1, route=scenarios.NPS_WRITES, in_process=True
    )
    assert outcome is not None, "the run made no NPS write"
    assert outcome.passed, outcome.describe()


def test_a_fault_mid_paging_then_a_rerun(world: World, reference: Reference) -> None:
    outcome = scenarios.fault_mid_paging(world, reference.image)
    assert outcome.faults == scenarios.MAX_RETRIES + 1
    assert outcome.passed, outcome.describe()


def test_a_429_storm_at_2_per_second(world: World, reference: Reference) -> None:
    outcome = scenarios.storm_429(world, reference.image, storm_s=3)
    assert outcome.passed, outcome.describe()


def test_an_older_answer_arriving_late_never_overwrites_a_newer_one(
    world: World, reference: Reference
) -> None:
    outcome = scenarios.late_older_answer(world, reference.image)
    assert outcome.passed, outcome.describe()
    assert any(": 10 of " in note for note in outcome.notes), outcome.notes
