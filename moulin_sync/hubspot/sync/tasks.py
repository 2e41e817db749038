"""The tasks a batch of a stream's write is worked as: each sends one call or one lookup
and answers with the tasks that follow from HubSpot's answer (`StreamSync`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from moulin_sync.hubspot.sync.ledger import WriteCounter
from moulin_sync.hubspot.sync.records import Record


@dataclass
class Create:
    records: list[Record]
    # None: inline associations when any record has a link, else an upsert by key.
    inline: bool | None = None
    relinked: bool = False  # its stale association targets were just found again


@dataclass
class Update:
    records: list[Record]
    counts_as: WriteCounter | None = "updated"  # the report's counter, if not counted already
    force_links: bool = False
    # Their ids were just found anew: one more 404 and they are given up for this run.
    found_anew: bool = False
    relinked: bool = False
    # Its adoption value's holder was just merged into it: one more conflict and it goes
    # without that value.
    took_over: bool = False


@dataclass
class Reconcile:
    records: list[Record]


@dataclass
class Reresolve:
    records: list[Record]


@dataclass
class SingleConflict:
    record: Record


@dataclass
class Taken:
    """A known record refused an update because another record, `holder_id`, holds its
    adoption value (the email the source now gives it): then `then` once more."""

    record: Record
    holder_id: str
    then: Update


@dataclass
class Relink:
    """Records refused for an association to a record HubSpot lacks: find their targets
    again, then `then` once more."""

    records: list[Record]
    then: Create | Update


Task = Create | Update | Reconcile | Reresolve | SingleConflict | Taken | Relink


def with_records(task: Create | Update, records: list[Record]) -> Create | Update:
    return dataclasses.replace(task, records=records)
