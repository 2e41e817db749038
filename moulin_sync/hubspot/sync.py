"""Carry out a sync plan against HubSpot: batched, keyed, and honest about failures.

- New records are created 100 per call, with their associations inline where they
  have any (HubSpot's batch upsert cannot carry associations); without associations
  they are upserted by their unique id property. Either way a replay is harmless: a
  second create of the same key is refused by HubSpot's uniqueness check (409) and
  reconciled with one batch read by that key, never duplicated.
- Known records are updated by HubSpot id; an id that answers 404 (merged away) is
  re-resolved through the unique property, then the email, not re-created.
- A contact whose email already exists in HubSpot without our id (created by a form,
  Typeform or Freshdesk) is adopted: found by one batch read by email per 100 new
  contacts, then updated with our id.
- A batch refused because of one record is split until that record is isolated; its
  reason goes to the state store and the report, and it is retried next run.
- Every batch is recorded in the state store as soon as HubSpot answers.
- Up to `client.max_in_flight` batches wait for HubSpot at once (threads): one at a time,
  a sync would spend most of the rate limit waiting for answers. Order does not matter
  between batches, and each is replay-safe on its own.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from moulin_sync.hubspot.client import BatchOutcome, HubSpotClient, ObjectResult
from moulin_sync.hubspot.client.errors import (
    DailyBudgetExhausted,
    HubSpotAmbiguousWrite,
    HubSpotApiError,
)
from moulin_sync.hubspot.client.problems import reason_of
from moulin_sync.hubspot.plan import SyncPlan
from moulin_sync.hubspot.properties import SCHEMAS
from moulin_sync.hubspot.state import Accepted, Rejected, SyncState

BATCH = 100


@dataclass(frozen=True)
class Association:
    """How a link column becomes a HubSpot association."""

    column: str  # resolved id column, e.g. "company_key_id"
    to_type: str  # "companies"
    type_ids: tuple[int, ...]  # e.g. (279, 1): contact→company, and primary


@dataclass
class SyncReport:
    object_type: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    adopted: int = 0
    reresolved: int = 0
    merged: int = 0
    archived: int = 0
    associations_changed: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    waiting: int = 0
    stopped: str | None = None
    seconds: float = 0.0

    def rejections(self) -> pl.DataFrame:
        return pl.DataFrame(
            self.rejected, schema={"source_key": pl.String, "reason": pl.String}, orient="row"
        )


@dataclass
class _Record:
    source_key: str
    properties: dict[str, str]
    payload_hash: str
    hubspot_id: str | None = None
    links: dict[str, str | None] = field(default_factory=dict)  # resolved column → id
    # The association targets HubSpot last accepted, by column (from the state store).
    accepted_links: dict[str, str | None] = field(default_factory=dict)
    partition_key: str | None = None


def _parse_links(text: str | None) -> dict[str, str | None]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _records(
    frame: pl.DataFrame, properties: Sequence[str], link_columns: Sequence[str]
) -> list[_Record]:
    columns = frame.columns
    out = []
    for row in frame.iter_rows(named=True):
        out.append(
            _Record(
                source_key=row["source_key"],
                properties={name: row[name] for name in properties},
                payload_hash=row["payload_hash"],
                hubspot_id=row.get("hubspot_id"),
                links={c: row[c] for c in link_columns if c in columns},
                accepted_links=_parse_links(row.get("accepted_link")),
                partition_key=row.get("partition_key"),
            )
        )
    return out


class Syncer:
    """Writes one object type's plan; `report` says what happened."""

    def __init__(
        self,
        client: HubSpotClient,
        state: SyncState,
        object_type: str,
        properties: Sequence[str],
        *,
        associations: Sequence[Association] = (),
        adopt_by_email: bool = False,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.client = client
        self.state = state
        self.object_type = object_type
        self.properties = tuple(properties)
        self.id_property = SCHEMAS[object_type].id_property
        self.associations = tuple(associations)
        self.adopt_by_email = adopt_by_email
        self._log = log
        self.report = SyncReport(object_type)
        self._lock = threading.Lock()
        # Messages of batches running in worker threads, logged by the calling thread
        # (Dagster's log is the caller's).
        self._deferred: list[str] = []
        self._caller = threading.current_thread()

    def log(self, message: str) -> None:
        if threading.current_thread() is self._caller:
            self._log(message)
        else:
            self._deferred.append(message)

    def _flush_log(self) -> None:
        while self._deferred:
            self._log(self._deferred.pop(0))

    def _count(self, name: str, n: int) -> None:
        """Add `n` to a report counter (batches in several threads add to it)."""
        with self._lock:
            setattr(self.report, name, getattr(self.report, name) + n)

    def _in_flight(self, work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """`work(item)` for each item, at most `client.max_in_flight` at once; their
        results, in order. The first failure (the daily limit, say) stops new work and is
        raised once the running ones are done."""
        items = list(items)
        width = max(1, min(self.client.max_in_flight, len(items)))
        if width == 1:
            return [work(item) for item in items]
        futures: list[Future] = []
        running: set[Future] = set()
        error: BaseException | None = None
        with ThreadPoolExecutor(width, thread_name_prefix=f"hubspot-{self.object_type}") as pool:
            for item in items:
                if len(running) >= width:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    self._flush_log()
                    error = next((f.exception() for f in done if f.exception()), None)
                    if error is not None:
                        break
                future = pool.submit(work, item)
                futures.append(future)
                running.add(future)
            wait(running)
        self._flush_log()
        error = error or next((f.exception() for f in futures if f.exception()), None)
        if error is not None:
            raise error
        return [f.result() for f in futures]

    # Entry point -------------------------------------------------------------

    def run(self, plan: SyncPlan) -> SyncReport:
        started = time.monotonic()
        link_columns = [a.column for a in self.associations]
        self.report.unchanged = plan.unchanged.height
        self.report.waiting = plan.waiting.height
        for frame in (plan.rejected, plan.waiting):
            self._record_quarantine(frame)
        # Unchanged, hashed in an older format: the new hash is stored, nothing is sent.
        if not plan.rehash.is_empty():
            self.state.record_hashes(self.object_type, plan.rehash.rows())
        try:
            creates = _records(plan.create, self.properties, link_columns)
            updates = _records(plan.update, self.properties, link_columns)
            if self.adopt_by_email and creates:
                creates, adopted = self._adopt_by_email(creates)
                updates.extend(adopted)
            self._in_flight(self._create, _chunks(creates))
            self._in_flight(self._update, _chunks(updates))
            self._archive(plan.archive)
        except DailyBudgetExhausted as exc:
            # Ending cleanly is the point: everything written so far is recorded, the
            # rest is planned again by the next run.
            self.report.stopped = str(exc)
            self.log(f"Stopped before HubSpot's daily limit: {exc}")
        self.report.seconds = time.monotonic() - started
        return self.report

    # Creates -----------------------------------------------------------------

    def _create(self, records: list[_Record]) -> None:
        if not records:
            return
        if any(r.links.get(a.column) for r in records for a in self.associations):
            self._create_with_associations(records)
        else:
            self._upsert(records)

    def _upsert(self, records: list[_Record]) -> None:
        inputs = [{"id": r.source_key, "properties": r.properties} for r in records]
        try:
            outcome = self.client.objects.batch_upsert(self.object_type, inputs, self.id_property)
        except HubSpotApiError as exc:
            self._on_batch_error(records, exc, self._upsert)
            return
        self._accept_by_key(records, outcome, retry=self._upsert)

    def _create_with_associations(self, records: list[_Record]) -> None:
        inputs = [
            {
                "properties": r.properties,
                "associations": self._inline_associations(r),
                "objectWriteTraceId": r.source_key,
            }
            for r in records
        ]
        try:
            outcome = self.client.objects.batch_create(self.object_type, inputs)
        except HubSpotAmbiguousWrite:
            # HubSpot may have committed it: find out by key instead of guessing.
            self._reconcile_by_key(records)
            return
        except HubSpotApiError as exc:
            if exc.status == 409:
                self._reconcile_by_key(records)
                return
            self._on_batch_error(records, exc, self._create_with_associations)
            return
        failed_keys = {error.trace_id: error for error in outcome.errors}
        accepted = []
        by_key = {r.source_key: r for r in records}
        for result in outcome.results:
            key = str(result.properties.get(self.id_property) or "")
            record = by_key.get(key)
            if record is not None:
                record.hubspot_id = result.id
                accepted.append(record)
        self._count("created", len(accepted))
        self._record_accepted(accepted)
        leftovers = [r for r in records if r not in accepted]
        conflicting = [
            r for r in leftovers if (e := failed_keys.get(r.source_key)) and e.is_conflict
        ]
        if conflicting:
            self._reconcile_by_key(conflicting)
        self._reject(
            [
                (r.source_key, reason_of(failed_keys.get(r.source_key)))
                for r in leftovers
                if r not in conflicting
            ]
        )

    def _reconcile_by_key(self, records: list[_Record]) -> None:
        """Which of these already exist in HubSpot (a replay, a lost answer)? Update
        those by id, create the rest again."""
        outcome = self.client.objects.batch_read(
            self.object_type,
            [r.source_key for r in records],
            self.id_property,
            [self.id_property],
        )
        found = {
            str(result.properties.get(self.id_property)): result.id for result in outcome.results
        }
        existing = [r for r in records if r.source_key in found]
        for record in existing:
            record.hubspot_id = found[record.source_key]
        missing = [r for r in records if r.source_key not in found]
        if existing:
            self._update(existing, counts_as="created", force_links=True)
        if missing:
            if len(missing) == len(records):
                # Nothing of ours exists: the conflict is on another unique value
                # (an email); isolate the culprit.
                if len(records) == 1:
                    self._create_single_conflict(records[0])
                    return
                for half in _halves(records):
                    self._create_with_associations(half)
                return
            self._create_with_associations(missing)

    def _create_single_conflict(self, record: _Record) -> None:
        if self.adopt_by_email and record.properties.get("email"):
            _, adopted = self._adopt_by_email([record])
            if adopted:
                self._update(adopted, counts_as="adopted", force_links=True)
                return
        self._reject(
            [
                (
                    record.source_key,
                    "HubSpot refused the record: a unique value is already used by another record",
                )
            ]
        )

    # Adoption ------------------------------------------------------------------

    def _adopt_by_email(self, records: list[_Record]) -> tuple[list[_Record], list[_Record]]:
        """Split new contacts into (to create, to adopt): those whose email HubSpot
        already holds on a contact without our id are adopted, not duplicated."""
        by_email = {r.properties["email"]: r for r in records if r.properties.get("email")}
        to_create: list[_Record] = [r for r in records if not r.properties.get("email")]
        adopted: list[_Record] = []
        rejected: list[tuple[str, str]] = []
        emails = list(by_email)
        found: dict[str, ObjectResult] = {}

        def read(chunk: list[str]) -> BatchOutcome:
            return self.client.objects.batch_read(
                self.object_type, chunk, "email", ["email", self.id_property]
            )

        for outcome in self._in_flight(read, _chunks(emails)):
            for result in outcome.results:
                email = str(result.properties.get("email") or "").lower()
                found[email] = result
        for email, record in by_email.items():
            existing = found.get(email)
            if existing is None:
                to_create.append(record)
                continue
            owner = existing.properties.get(self.id_property) or ""
            if owner in ("", record.source_key):
                record.hubspot_id = existing.id
                adopted.append(record)
            else:
                rejected.append(
                    (
                        record.source_key,
                        f"email {email} already belongs to HubSpot contact {existing.id} "
                        f"of customer {owner}",
                    )
                )
        self._reject(rejected)
        self._count("adopted", len(adopted))
        return to_create, adopted

    # Updates -------------------------------------------------------------------

    def _update(
        self, records: list[_Record], *, counts_as: str = "updated", force_links: bool = False
    ) -> None:
        if not records:
            return
        inputs = [{"id": r.hubspot_id, "properties": r.properties} for r in records]
        try:
            outcome = self.client.objects.batch_update(self.object_type, inputs)
        except HubSpotApiError as exc:
            if len(records) == 1 and exc.status == 404:
                self._reresolve(records)
                return
            # A record HubSpot already knows refuses an update for its own values (a
            # taken email, a bad value): isolate it, never adopt anything on this path.
            self._on_batch_error(
                records,
                exc,
                lambda part: self._update(part, counts_as=counts_as, force_links=force_links),
                creating=False,
            )
            return
        done_ids = {result.id for result in outcome.results}
        accepted = [r for r in records if r.hubspot_id in done_ids]
        if counts_as == "updated":
            self._count("updated", len(accepted))
        elif counts_as == "created":
            self._count("created", len(accepted))
        self._sync_associations(accepted, force=force_links)
        self._record_accepted(accepted)
        failed = [r for r in records if r.hubspot_id not in done_ids]
        if failed:
            not_found = [
                r
                for r in failed
                if any(e.concerns(r.hubspot_id) and e.is_not_found for e in outcome.errors)
            ]
            if not_found:
                self._reresolve(not_found)
            others = [r for r in failed if r not in not_found]
            if others:
                if len(others) == len(records) and len(records) == 1:
                    self._reject(
                        [
                            (
                                others[0].source_key,
                                reason_of(outcome.errors[0] if outcome.errors else None),
                            )
                        ]
                    )
                else:
                    for record in others:
                        self._update([record], counts_as=counts_as, force_links=force_links)

    def _reresolve(self, records: list[_Record]) -> None:
        """Stored ids that answer 404 (merged, or deleted by a person): find the record
        by our key, then by email; create it only if HubSpot has it nowhere."""
        outcome = self.client.objects.batch_read(
            self.object_type,
            [r.source_key for r in records],
            self.id_property,
            [self.id_property, "email"],
        )
        found = {
            str(result.properties.get(self.id_property)): result.id for result in outcome.results
        }
        resolved = []
        lost = []
        for record in records:
            if record.source_key in found:
                record.hubspot_id = found[record.source_key]
                resolved.append(record)
            else:
                lost.append(record)
        merged_into_another: list[tuple[_Record, dict[str, Any]]] = []
        still_lost = []
        for record in lost:
            survivor = self._merge_survivor(record)
            owner = (survivor or {}).get("properties", {}).get(self.id_property) or ""
            if survivor is None:
                still_lost.append(record)
            elif owner in ("", record.source_key):
                record.hubspot_id = str(survivor["id"])
                resolved.append(record)
            else:
                merged_into_another.append((record, survivor))
        lost = still_lost
        if lost and self.adopt_by_email:
            lost, adopted = self._adopt_by_email(lost)
            self._count("adopted", -len(adopted))  # counted as re-resolved instead
            resolved.extend(adopted)
        if merged_into_another:
            # A person merged two of our records: respect it. Writing our key back on
            # the survivor, or re-creating the record, would undo the merge every night.
            self.state.record_merged(
                self.object_type,
                [
                    Rejected(
                        record.source_key,
                        f"merged in HubSpot into record {survivor['id']} of "
                        f"{self.id_property} {survivor['properties'].get(self.id_property)}",
                    )
                    for record, survivor in merged_into_another
                ],
            )
            self._count("merged", len(merged_into_another))
        self._count("reresolved", len(resolved))
        if resolved:
            self._update(resolved, counts_as="reresolved", force_links=True)
        for record in lost:
            record.hubspot_id = None
        if lost:
            self._create(lost)

    def _merge_survivor(self, record: _Record) -> dict[str, Any] | None:
        """The record a merge folded `record`'s stale id into, if any.

        Search is used here only, on the rare merge path: never to decide a create.
        """
        if not record.hubspot_id:
            return None
        matches = self.client.objects.search(
            self.object_type,
            [
                {
                    "filters": [
                        {
                            "propertyName": "hs_merged_object_ids",
                            "operator": "CONTAINS_TOKEN",
                            "value": str(record.hubspot_id),
                        }
                    ]
                }
            ],
            [self.id_property, "hs_merged_object_ids"],
            limit=10,
        )
        for match in matches:
            merged = str(match["properties"].get("hs_merged_object_ids") or "").split(";")
            if str(record.hubspot_id) in merged:
                return match
        return None

    # Associations ----------------------------------------------------------------

    def _inline_associations(self, record: _Record) -> list[dict]:
        return [
            {
                "to": {"id": record.links[a.column]},
                "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
                    for type_id in a.type_ids
                ],
            }
            for a in self.associations
            if record.links.get(a.column)
        ]

    def _sync_associations(self, records: list[_Record], *, force: bool) -> None:
        """Follow a moved link: associate the new target (as primary), drop the old."""
        for association in self.associations:
            column = association.column
            moved = [
                r
                for r in records
                if r.links.get(column)
                and (force or r.links.get(column) != r.accepted_links.get(column))
            ]
            for chunk in _chunks(moved):
                self.client.associations.create(
                    self.object_type,
                    association.to_type,
                    [
                        {
                            "from": r.hubspot_id,
                            "to": r.links[association.column],
                            "types": [
                                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t}
                                for t in association.type_ids
                            ],
                        }
                        for r in chunk
                    ],
                )
            stale = [
                r
                for r in records
                if r.accepted_links.get(column)
                and r.accepted_links.get(column) != r.links.get(column)
            ]
            for chunk in _chunks(stale):
                self.client.associations.archive(
                    self.object_type,
                    association.to_type,
                    [{"from": r.hubspot_id, "to": r.accepted_links[column]} for r in chunk],
                )
            self._count("associations_changed", len(moved))

    # Archive (GDPR) --------------------------------------------------------------

    def _archive(self, archive: pl.DataFrame) -> None:
        rows = list(archive.select("source_key", "hubspot_id").iter_rows())
        for chunk in _chunks(rows):
            self.client.objects.batch_archive(
                self.object_type, [hubspot_id for _, hubspot_id in chunk]
            )
            self.state.record_archived(self.object_type, [key for key, _ in chunk])
            self._count("archived", len(chunk))

    # Bookkeeping -----------------------------------------------------------------

    def _accept_by_key(
        self, records: list[_Record], outcome: BatchOutcome, retry: Callable
    ) -> None:
        by_key = {r.source_key: r for r in records}
        accepted = []
        for result in outcome.results:
            record = by_key.get(str(result.properties.get(self.id_property) or ""))
            if record is None:
                continue
            record.hubspot_id = result.id
            accepted.append(record)
        self._count("created", len(accepted))
        self._record_accepted(accepted)
        failed = [r for r in records if r not in accepted]
        if failed:
            if len(failed) == 1 and len(records) == 1:
                self._reject(
                    [
                        (
                            failed[0].source_key,
                            reason_of(outcome.errors[0] if outcome.errors else None),
                        )
                    ]
                )
            else:
                for half in _halves(failed):
                    retry(half)

    def _on_batch_error(
        self,
        records: list[_Record],
        exc: HubSpotApiError,
        retry: Callable,
        *,
        creating: bool = True,
    ) -> None:
        """One bad record fails a whole batch: split until it is alone, then keep why."""
        if exc.status == 409 and len(records) == 1 and self.adopt_by_email and creating:
            self._create_single_conflict(records[0])
            return
        if len(records) == 1:
            self._reject([(records[0].source_key, exc.reason)])
            return
        for half in _halves(records):
            retry(half)

    def _record_accepted(self, records: list[_Record]) -> None:
        columns = [a.column for a in self.associations]
        self.state.record_accepted(
            self.object_type,
            [
                Accepted(
                    source_key=r.source_key,
                    hubspot_id=str(r.hubspot_id),
                    payload_hash=r.payload_hash,
                    link_key=json.dumps({c: r.links.get(c) for c in columns}) if columns else None,
                    partition_key=r.partition_key,
                )
                for r in records
            ],
        )

    def _record_quarantine(self, frame: pl.DataFrame) -> None:
        """Report every quarantined row; write only those the state store lacks."""
        if frame.is_empty():
            return
        self.report.rejected.extend(frame.select("source_key", "reason").iter_rows())
        frame = frame.filter(~pl.col("recorded"))
        self.state.record_rejected(
            self.object_type,
            [
                Rejected(*row)
                for row in frame.select("source_key", "reason", "partition_key").iter_rows()
            ],
        )

    def _reject(self, rejected: list[tuple[str, str]]) -> None:
        if not rejected:
            return
        self.state.record_rejected(self.object_type, [Rejected(k, r) for k, r in rejected])
        self.report.rejected.extend(rejected)


def _chunks(items: Sequence, size: int = BATCH) -> list:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _halves(items: list) -> list[list]:
    middle = len(items) // 2
    return [items[:middle], items[middle:]]
