"""The one oracle: what HubSpot must hold, and how far a HubSpot is from it.

`capture()` reduces an emulator's `/_emulator/state` to a canonical image, stream by
stream as the registry (`hubspot/streams`) declares them: per stream, per key, every live
record's properties (ids and server timestamps left out, pipeline and stage ids turned
into labels) and associations (targets named by their own key). A stream that enriches
another's records (NPS answers on contacts) is an image of its own: its properties are
taken out of the owner's record and kept under the owner's key, so a lost NPS answer is
counted as such, not as a contact that differs. Two images of two emulators compare equal
when HubSpot holds the same records with the same values and links, whatever ids either
emulator handed out. A stream added to the registry is in the image without a line here.

The expected image is the final state of a clean reference run on a fresh emulator;
`audit_reference()` checks that reference against the sources themselves (the App du
Moulin with its quality rules, each other source through its service's own audit, see
`services.py`), so the oracle is not taken on trust. The same audits judge HubSpot after
a scenario that changed a source (`verify(audits=...)`).
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import polars as pl

from moulin_sync.hubspot.streams import STREAMS, identity_property
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.state import ARCHIVED, DELETED, SYNCED, SyncState
from moulin_sync.testing.hubspot_emulator import EmulatorHandle

# Set by the server, different on every emulator: not part of what a record "is".
VOLATILE = frozenset({"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"})
# HubSpot's own properties naming a record's pipeline and stage, per object type.
PIPELINE_PROPERTIES = {
    "deals": ("pipeline", "dealstage"),
    "tickets": ("hs_pipeline", "hs_pipeline_stage"),
}


def owner_streams(streams: Sequence[StreamSpec] = STREAMS) -> tuple[StreamSpec, ...]:
    """The streams that own their HubSpot records (create, key, erase them)."""
    return tuple(s for s in streams if s.enriches is None)


def enriching_streams(streams: Sequence[StreamSpec] = STREAMS) -> tuple[StreamSpec, ...]:
    """The streams that only add properties to another stream's records."""
    return tuple(s for s in streams if s.enriches is not None)


@dataclass
class HubSpotImage:
    """HubSpot's content, canonical: comparable across emulators."""

    # stream → key → canonical JSON of each live record carrying that key (2+ = duplicates)
    records: dict[str, dict[str, list[str]]]
    # stream → key → HubSpot ids of those records (for the state-store check)
    ids: dict[str, dict[str, list[str]]]
    keyless: dict[str, list[str]]  # owner stream → ids of live records without its key
    archived: dict[str, list[str]]  # owner stream → keys (or ids) of archived records
    pipelines: dict[str, int]  # "<object type>: <label>" → how many pipelines carry it

    def count(self) -> int:
        return sum(len(v) for by_key in self.records.values() for v in by_key.values())

    def values(self, stream: str, key: str) -> dict[str, Any] | None:
        """The properties of the (first) record of `stream` under `key`, or None."""
        found = self.records.get(stream, {}).get(key)
        return json.loads(found[0])["properties"] if found else None


def _pipelines(handle: EmulatorHandle, object_type: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{handle.base_url}/crm/v3/pipelines/{object_type}",
        headers={"Authorization": f"Bearer {handle.token}"},
        timeout=30,
    )
    answer.raise_for_status()
    return list(answer.json()["results"])


def _labels(handle: EmulatorHandle, owners: Sequence[StreamSpec]) -> tuple[dict, Counter]:
    """{(object type, pipeline or stage id): label} and the pipelines' labels counted."""
    labels: dict[tuple[str, str], str] = {}
    counted: Counter[str] = Counter()
    for object_type in sorted({s.object_type for s in owners if s.pipeline is not None}):
        for pipeline in _pipelines(handle, object_type):
            labels[(object_type, str(pipeline["id"]))] = pipeline["label"]
            counted[f"{object_type}: {pipeline['label']}"] += 1
            for stage in pipeline["stages"]:
                labels[(object_type, str(stage["id"]))] = f"{pipeline['label']} / {stage['label']}"
    return labels, counted


def capture(handle: EmulatorHandle, streams: Sequence[StreamSpec] = STREAMS) -> HubSpotImage:
    objects = handle.admin.state()["objects"]
    owners = owner_streams(streams)
    owner_of = {s.object_type: s for s in owners}
    labels, pipelines = _labels(handle, owners)
    key_of: dict[tuple[str, str], str] = {}
    for object_type, rows in objects.items():
        spec = owner_of.get(object_type)
        for row in rows:
            key = row["properties"].get(identity_property(spec)) if spec else None
            key_of[(object_type, str(row["id"]))] = key or f"<{object_type} {row['id']}, no key>"
    names = [s.name for s in streams]
    records: dict[str, dict[str, list[str]]] = {name: {} for name in names}
    ids: dict[str, dict[str, list[str]]] = {name: {} for name in names}
    keyless: dict[str, list[str]] = {s.name: [] for s in owners}
    archived: dict[str, list[str]] = {s.name: [] for s in owners}
    for owner in owners:
        key_name = identity_property(owner)
        enrichers = [s for s in enriching_streams(streams) if s.enriches == owner.name]
        for row in objects.get(owner.object_type, []):
            key = row["properties"].get(key_name)
            if row["archived"]:
                archived[owner.name].append(key or str(row["id"]))
                continue
            if not key:
                keyless[owner.name].append(str(row["id"]))
                continue
            properties = {k: v for k, v in row["properties"].items() if k not in VOLATILE}
            for name in PIPELINE_PROPERTIES.get(owner.object_type, ()):
                if name in properties:
                    properties[name] = labels.get((owner.object_type, properties[name]),
                                                  properties[name])  # fmt: skip
            for enricher in enrichers:
                added = {p: properties.pop(p, None) for p in enricher.property_names}
                added = {p: v for p, v in added.items() if v not in (None, "")}
                if added:
                    records[enricher.name].setdefault(key, []).append(_canonical(added))
                    ids[enricher.name].setdefault(key, []).append(str(row["id"]))
            associations = {
                to_type: sorted(
                    [key_of.get((to_type, str(link["id"])), "?"), sorted(link["types"])]
                    for link in links
                )
                for to_type, links in sorted(row["associations"].items())
            }
            records[owner.name].setdefault(key, []).append(_canonical(properties, associations))
            ids[owner.name].setdefault(key, []).append(str(row["id"]))
    return HubSpotImage(records, ids, keyless, archived, dict(pipelines))


def _canonical(properties: dict[str, Any], associations: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"properties": properties}
    if associations is not None:
        body["associations"] = associations
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


@dataclass
class Verdict:
    """How far a HubSpot is from the expected one. Every figure must be 0."""

    duplicates: int = 0  # extra records for one key, keyless look-alikes, extra pipelines
    lost: int = 0  # expected records HubSpot does not hold
    extra: int = 0  # records HubSpot holds that the source does not call for
    mismatched: int = 0  # held once, but with other values or associations
    stale_state: int = 0  # state-store rows naming a HubSpot id that is not the record
    details: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.lost or self.extra or self.mismatched) and not (
            self.stale_state
        )

    def add(self, other: Verdict) -> Verdict:
        """This verdict with `other`'s findings added."""
        self.duplicates += other.duplicates
        self.lost += other.lost
        self.extra += other.extra
        self.mismatched += other.mismatched
        self.stale_state += other.stale_state
        self.details.extend(other.details)
        return self

    def describe(self, limit: int = 12) -> str:
        head = (
            f"duplicates {self.duplicates}, lost {self.lost}, extra {self.extra}, "
            f"mismatched {self.mismatched}, stale state {self.stale_state}"
        )
        return "\n".join([head, *self.details[:limit]])


# An independent judgement of one stream against its source (see services.py).
Audit = Callable[[HubSpotImage], Verdict]


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        json.dumps(json.loads(expected), indent=1, ensure_ascii=False).splitlines(),
        json.dumps(json.loads(actual), indent=1, ensure_ascii=False).splitlines(),
        lineterm="",
        n=0,
    )
    return " ".join(line.strip() for line in list(lines)[2:8])


def compare(expected: HubSpotImage, actual: HubSpotImage, *, skip: Collection[str] = ()) -> Verdict:
    """Stream by stream (those in `skip` aside: a scenario changed their source, an audit
    judges them), how far `actual` is from `expected`."""
    verdict = Verdict()
    for stream in expected.records:
        if stream in skip:
            continue
        want, have = expected.records[stream], actual.records.get(stream, {})
        for key, found in sorted(have.items()):
            if len(found) > 1:
                verdict.duplicates += len(found) - 1
                verdict.details.append(
                    f"{stream} {key}: {len(found)} records "
                    f"(ids {', '.join(actual.ids[stream][key])})"
                )
            if key not in want:
                verdict.extra += 1
                verdict.details.append(f"{stream} {key}: in HubSpot, not expected")
            elif want[key][0] not in found:
                verdict.mismatched += 1
                verdict.details.append(f"{stream} {key}: differs: {_diff(want[key][0], found[0])}")
        for key in sorted(set(want) - set(have)):
            verdict.lost += 1
            verdict.details.append(f"{stream} {key}: missing from HubSpot")
    for stream, wanted_keyless in expected.keyless.items():
        keyless = actual.keyless.get(stream, [])
        if len(keyless) > len(wanted_keyless):
            verdict.duplicates += len(keyless) - len(wanted_keyless)
            verdict.details.append(
                f"{stream}: {len(keyless) - len(wanted_keyless)} record(s) without its key "
                f"(ids {', '.join(keyless[:5])})"
            )
        archived = Counter(actual.archived.get(stream, [])) - Counter(expected.archived[stream])
        if archived:
            verdict.extra += sum(archived.values())
            verdict.details.append(f"{stream}: unexpected archived {sorted(archived)[:5]}")
    for label, count in actual.pipelines.items():
        surplus = count - expected.pipelines.get(label, 0)
        if surplus > 0:
            verdict.duplicates += surplus
            verdict.details.append(f"pipeline {label!r}: {count} pipelines")
    for label in set(expected.pipelines) - set(actual.pipelines):
        verdict.lost += 1
        verdict.details.append(f"pipeline {label!r}: missing")
    return verdict


def state_problems(state_url: str, image: HubSpotImage) -> list[str]:
    """State-store rows that say a record is synced under an id HubSpot does not give it
    (for an enriching stream: that the owner's record carries its values).

    An enriching stream's rows of an owner erased since (GDPR-deleted or archived) are left
    out: the enriching stream keeps them as they were (a known gap: they name the erased
    record's old id; nothing is written there again, the customer being erased)."""
    problems = []
    store = SyncState(state_url)
    owner_of = {s.name: s.enriches for s in STREAMS}
    try:
        for stream, held in image.ids.items():
            rows = store.load(stream).filter(pl.col("status") == SYNCED)
            if owner_of.get(stream):
                owner = store.load(owner_of[stream], columns=("source_key", "status"))
                erased = owner.filter(pl.col("status").is_in([DELETED, ARCHIVED]))
                rows = rows.join(erased, on="source_key", how="anti")
            for key, hubspot_id in rows.select("source_key", "hubspot_id").iter_rows():
                if hubspot_id not in held.get(key, []):
                    problems.append(
                        f"state store: {stream} {key} synced as {hubspot_id}, HubSpot "
                        f"has it as {held.get(key) or 'nothing'}"
                    )
    finally:
        store.close()
    return problems


def verify(
    expected: HubSpotImage,
    handle: EmulatorHandle,
    state_url: str | None,
    *,
    audits: Sequence[Audit] = (),
    skip: Collection[str] = (),
) -> Verdict:
    """Compare the emulator with the expected image (streams in `skip` aside), judge it
    by each audit, and compare the state store with the emulator."""
    actual = capture(handle)
    verdict = compare(expected, actual, skip=skip)
    for audit in audits:
        verdict.add(audit(actual))
    if state_url is not None:
        stale = state_problems(state_url, actual)
        verdict.stale_state = len(stale)
        verdict.details.extend(stale)
    return verdict


def audit_reference(
    image: HubSpotImage,
    source_url: str,
    months: tuple[str, str],
    audits: Sequence[Audit] = (),
) -> list[str]:
    """What a clean first load must hold, derived from the sources: the App du Moulin's
    streams by its quality rules (`source_audit.py`), every other source's by its audit."""
    from moulin_sync.testing.reliability.source_audit import audit_app_du_moulin

    problems = audit_app_du_moulin(image, source_url, months)
    for audit in audits:
        verdict = audit(image)
        if not verdict.clean:
            problems += [f"reference: {verdict.describe(limit=10)}"]
    return problems
