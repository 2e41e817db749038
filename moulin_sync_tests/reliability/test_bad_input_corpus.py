"""The bad-input corpus: every bad record quarantined with a reason a person understands,
every good-but-unusual one landed exactly, nothing else changed."""

from __future__ import annotations

import pytest

from moulin_sync.testing.reliability.corpus import CorpusReport, run_corpus
from moulin_sync.testing.reliability.harness import World


@pytest.fixture(scope="module")
def corpus(world: World) -> CorpusReport:
    return run_corpus(world)


def test_every_bad_input_is_quarantined_and_every_good_one_lands(corpus: CorpusReport) -> None:
    assert corpus.problems == []
    # Customers with unusable emails are good inputs now: contacts without their email.
    assert corpus.good_tried >= 80 and corpus.good_landed == corpus.good_tried
    assert corpus.bad_tried >= 20
    assert corpus.bad_quarantined == corpus.bad_tried


def test_reasons_are_in_words(corpus: CorpusReport) -> None:
    reasons = corpus.reasons
    assert reasons["contacts 900111"] == "address is longer than 65,536 characters"
    assert reasons["companies 90101"] == "company has no name"
    assert reasons["deals 9000101"] == "amount is negative"
    assert reasons["deals 9000110"] == "customer 987654321 does not exist in the App du Moulin"
    assert reasons["deals 9000108"].startswith("unknown order status lost_in_space")
    # A date that does not read ('2026-07-32 25:61') is quarantined in the month it sorts into.
    assert reasons["deals 9000113"].startswith("order date is missing or not a date")
    assert reasons["deals 9000117"] == "waiting for contact 900113 to reach HubSpot"
    # An email HubSpot itself refuses: the contact goes without it, with HubSpot's words
    # (not its JSON envelope) as the warning (the UI's table cuts it at 80 characters).
    assert corpus.warnings["contacts 900110"].startswith(
        "HubSpot refused it: Email address a@x_y.fr is invalid (INVALID_EMAIL on email)"
    )
