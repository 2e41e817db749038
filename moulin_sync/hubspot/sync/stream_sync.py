"""Carry out a stream's plan against HubSpot: batched, keyed, and honest about failures.

Each batch is worked as a small queue of tasks. A task sends one call (through the
`Writer`) or one lookup (through the `Resolver`) and answers with the tasks that follow
from HubSpot's answer:

- create → done; or, on a conflict or a lost answer, *reconcile* by key (found records
  are updated, the others created again in smaller batches until a culprit is alone);
- update → done; or, for an id that answers 404, *re-resolve* the record (by key, merge
  survivor, adoption) and update it under its new id, or create it if HubSpot has it
  nowhere;
- a batch refused because of one record is split until that record is isolated; its
  reason goes to the state store and the report, and it is retried next run.

Every answer is recorded in the state store as soon as it arrives (`Ledger`). Up to
`client.max_in_flight` batches wait for HubSpot at once (`InFlight`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Mapping

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import DailyBudgetExhausted, HubSpotApiError
from moulin_sync.hubspot.client.problems import InputError, reason_of
from moulin_sync.hubspot.streams import fingerprints
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.associations import Associations
from moulin_sync.hubspot.sync.conflicts import Conflicts
from moulin_sync.hubspot.sync.in_flight import InFlight
from moulin_sync.hubspot.sync.ledger import Ledger, SyncReport
from moulin_sync.hubspot.sync.plan import SyncPlan
from moulin_sync.hubspot.sync.progress import ProgressMeter, Report
from moulin_sync.hubspot.sync.records import BATCH, Record, batches, halves, records_of
from moulin_sync.hubspot.sync.resolver import Resolver
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.hubspot.sync.targets import LinkTargets
from moulin_sync.hubspot.sync.tasks import (
    Create,
    Reconcile,
    Relink,
    Reresolve,
    SingleConflict,
    Taken,
    Task,
    Update,
    with_records,
)
from moulin_sync.hubspot.sync.writer import Writer, Written
from moulin_sync.settings import GdprErasure

STALE_TARGET = (
    "HubSpot refused an association of the record to a record it lacks, still after "
    "finding its targets again: retried next run"
)
# The hash a record written without its adoption value is recorded with: never a
# payload's, so the next run tries it again with the value.
WITHHELD = "withheld"


class StreamSync(Conflicts):
    """Writes one stream's plan; `run` returns what happened."""

    def __init__(
        self,
        client: HubSpotClient,
        state: SyncState,
        spec: StreamSpec,
        *,
        target_types: Mapping[str, str],
        erasure: GdprErasure = "delete",
        progress: Report | None = None,
        read_at: dt.datetime | None = None,
    ) -> None:
        self.spec = spec
        self.erasure = spec.erasure_policy(erasure)
        self.pool = InFlight(client.max_in_flight, f"hubspot-{spec.name}")
        self.writer = Writer(client, spec)
        self.resolver = Resolver(client, spec, self.pool)
        self.associations = Associations(client, spec, target_types)
        self.targets = LinkTargets(client, state, spec, self.pool)
        self.ledger = Ledger(state, spec, read_at)
        self.meter = ProgressMeter(spec.name, client.snapshot, progress or (lambda _: None))

    def run(self, plan: SyncPlan) -> SyncReport:
        started = time.monotonic()
        report = self.ledger.report
        self.ledger.planned(plan)
        self.meter.start(plan.create.height + plan.update.height + plan.erase.height)
        try:
            if self.spec.adopt_by and plan.create.height:
                # Adoption reads all new records first; the adopted join the updates.
                creates, adopted = self._adopt(records_of(plan.create, self.spec))
                updates = adopted + self._known(records_of(plan.update, self.spec))
                self.pool.map(lambda batch: self._work(Create(batch)), batches(creates))
                self.pool.map(lambda batch: self._work(Update(batch)), batches(updates))
            else:
                self._write_slices(plan.create, Create)
                self._write_slices(plan.update, Update)
            self._erase(plan.erase)
        except DailyBudgetExhausted as exc:
            # Ending cleanly is the point: everything written so far is recorded, the
            # rest is planned again by the next run.
            report.stopped = str(exc)
        self.meter.finish()
        report.seconds = time.monotonic() - started
        return report

    def _write_slices(self, frame: pl.DataFrame, task: type[Create] | type[Update]) -> None:
        """Each worker makes the records of its own 100 rows: the first call leaves at
        once, and the conversion overlaps HubSpot's answers."""

        def work(rows: pl.DataFrame) -> None:
            records = records_of(rows, self.spec)
            self._work(task(self._known(records) if task is Update else records))

        self.pool.map(work, [frame.slice(start, BATCH) for start in range(0, frame.height, BATCH)])

    def _known(self, records: list[Record]) -> list[Record]:
        """Records HubSpot holds: with what moulin-sync last wrote into each (nothing known
        when it wrote into another record than the one it now writes to)."""
        stored = self.ledger.state.written_of(self.spec.name, [r.source_key for r in records])
        for record in records:
            written_on, text = stored.get(record.source_key, (None, None))
            record.written = fingerprints.parse(text) if written_on == record.hubspot_id else None
        return records

    def _adopt(self, creates: list[Record]) -> tuple[list[Record], list[Record]]:
        adoption = self.resolver.adopt(creates)
        self.ledger.counted("adopted", adoption.adopted)
        return adoption.to_create + self._withheld(adoption.refused), adoption.adopted

    def _withheld(self, refused: list[tuple[Record, str]], issue: str = "shared") -> list[Record]:
        """Records HubSpot will not take with their adoption value (the email): another
        record of ours holds it (`shared`: both stay, neither merged on a guess), or
        HubSpot finds it `invalid`. Written without it, reported, and tried again with it
        next run. A stream that cannot go without it rejects them."""
        if self.spec.withhold is None:
            self.ledger.rejected(refused)
            return []
        for record, _ in refused:
            record.properties = self.spec.withhold(record.properties, issue)
            record.fingerprints = fingerprints.of_values(self.spec, [record.properties])[0]
            record.payload_hash = WITHHELD
        self.ledger.warned([(record, f"{why}: written without it") for record, why in refused])
        return [record for record, _ in refused]

    def _erase(self, erase: pl.DataFrame) -> None:
        """GDPR erasures, 100 per batch: deleted for good (contacts, policy `delete`), or
        archived. Recorded per batch: redone after a crash, a delete finds the contact
        gone, an archive finds it archived."""
        delete = self.erasure == "delete" and self.spec.gdpr_deletable
        erase_ids = self.writer.gdpr_delete if delete else self.writer.archive

        def erase_batch(batch: list[tuple[str, str]]) -> None:
            erase_ids([hubspot_id for _, hubspot_id in batch])
            self.ledger.erased([key for key, _ in batch], deleted=delete)
            self.meter.advance(len(batch))

        self.pool.map(erase_batch, batches(erase.select("source_key", "hubspot_id").rows()))

    def _work(self, first: Task) -> None:
        """Work a batch's tasks to the end, each in the order it arose."""
        tasks: deque[Task] = deque([first])
        while tasks:
            task = tasks.popleft()
            if isinstance(task, SingleConflict | Taken) or task.records:
                tasks.extendleft(reversed(self._do(task)))
        self.meter.advance(1 if isinstance(first, SingleConflict) else len(first.records))

    def _do(self, task: Task) -> list[Task]:
        match task:
            case Create(records, inline, relinked):
                return self._create(records, inline, relinked)
            case Update(records):
                return self._update(task, self.writer.update(records))
            case Reconcile(records):
                return self._reconcile(records)
            case Reresolve(records):
                return self._reresolve(records)
            case SingleConflict(record):
                return self._single_conflict(record)
            case Taken(record, holder_id, then):
                return self._taken(record, holder_id, then)
            case Relink(records, then):
                return self._relink(records, then)
        raise TypeError(f"unknown task {task!r}")

    def _create(self, records: list[Record], inline: bool | None, relinked: bool) -> list[Task]:
        if inline is None:
            inline = self.writer.has_associations(records)
        write = self.writer.create_with_associations if inline else self.writer.upsert
        written = write(records)
        self.ledger.accepted(written.accepted, counts_as="created")
        if written.ambiguous:
            # HubSpot may have committed it: find out by key instead of guessing.
            return [Reconcile(records)]
        task = Create(records, inline, relinked)
        if written.failed is not None:
            if written.failed.names_a_missing_target and not relinked:
                return [Relink(records, task)]
            return self._isolate(task, written.failed, creating=True)
        self.ledger.rejected(written.refused)
        follow: list[Task] = [Reconcile(written.conflicts)] if written.conflicts else []
        withheld = self._withheld(written.bad_values, "invalid")
        follow += [with_records(task, withheld)] if withheld else []
        follow += self._relink_once(task, written.bad_links)
        return follow + self._retry_smaller(with_records(task, written.unmatched), records, written)

    def _update(self, task: Update, written: Written) -> list[Task]:
        if written.failed is not None:
            if len(task.records) == 1 and written.failed.status == 404:
                return self._gone(task, task.records)
            # A record HubSpot already knows refuses an update for its own values (a
            # taken email, a bad value): isolate it, never adopt anything on this path.
            return self._isolate(task, written.failed, creating=False)
        if task.counts_as is not None:
            self.ledger.counted(task.counts_as, written.accepted)
        followed = self.associations.follow(written.accepted, force=task.force_links)
        self.ledger.count("associations_changed", followed.sent)
        # A record whose new link HubSpot refused is not recorded with it.
        self.ledger.accepted([r for r in written.accepted if r not in followed.bad_links])
        follow = self._gone(task, written.not_found) if written.not_found else []
        follow += self._relink_once(
            Update(followed.bad_links, None, force_links=True, relinked=task.relinked),
            followed.bad_links,
        )
        if written.unmatched and len(written.unmatched) == len(task.records) == 1:
            return follow + self._refused_alone(task, written.unmatched[0], written.first_error)
        return follow + [with_records(task, [r]) for r in written.unmatched]

    def _relink_once(self, task: Create | Update, bad_links: list[Record]) -> list[Task]:
        """Records refused for a stale association target: found again once per run;
        refused a second time, HubSpot's reason is kept."""
        if not bad_links:
            return []
        if not task.relinked:
            return [Relink(bad_links, task)]
        self.ledger.rejected([(r, STALE_TARGET) for r in bad_links])
        return []

    def _relink(self, records: list[Record], then: Create | Update) -> list[Task]:
        relinked = self.targets.relink(records)
        self.ledger.count("links_found_again", relinked.found_again)
        self.ledger.rejected(relinked.waiting)
        if not relinked.retry:
            return []
        retry = with_records(then, relinked.retry)
        retry.relinked = True
        return [retry]

    def _isolate(
        self, task: Create | Update, error: HubSpotApiError, *, creating: bool
    ) -> list[Task]:
        """One bad record fails a whole batch: split until it is alone, then keep why."""
        records = task.records
        if len(records) > 1:
            return [with_records(task, half) for half in halves(records)]
        if error.status == 409 and creating and self.spec.adopt_by:
            return [SingleConflict(records[0])]
        holder = error.existing_id
        taken = error.status == 409 and holder and self.spec.adopt_by
        if taken and isinstance(task, Update) and not task.took_over:
            return [Taken(records[0], holder, task)]
        return self._refused_alone(task, records[0], error)

    def _refused_alone(
        self, task: Create | Update, record: Record, error: HubSpotApiError | InputError | None
    ) -> list[Task]:
        """A record HubSpot refused on its own: for its adoption value (an email HubSpot
        finds invalid), written without it; for anything else, rejected with HubSpot's
        reason, and tried again next run."""
        reason = error.reason if error is not None else reason_of(None)
        if error is not None and self.writer.refuses_adoption_value(record, error.problems):
            return [with_records(task, self._withheld([(record, reason)], "invalid"))]
        self.ledger.rejected([(record, reason)])
        return []

    def _retry_smaller(self, task: Create, batch: list[Record], written: Written) -> list[Task]:
        """Records a batch answered for with no error of their own: alone, the batch's
        first error is theirs; else they go again in halves."""
        unmatched = task.records
        if not unmatched:
            return []
        if len(unmatched) == len(batch) == 1:
            return self._refused_alone(task, unmatched[0], written.first_error)
        return [with_records(task, half) for half in halves(unmatched)]
