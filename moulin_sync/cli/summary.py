"""The summary a person reads after a sync: plain aligned text that fits 80 columns,
piped or not (no number is ever cut), counts that do not overlap, what each waiting
record waits for, and where to look next."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moulin_sync.cli.runner import RunSummary
    from moulin_sync.hubspot.streams.spec import StreamSpec

# (metadata name, column header) of each write asset's figures.
FIGURES = (
    ("created", "created"),
    ("updated", "updated"),
    ("unchanged", "unchanged"),
    ("rejected", "rejected"),
    ("waiting", "waiting"),
    ("write_calls", "writes"),
    ("rate_limited_429s", "429s"),
    ("duration_s", "s"),
)
CHANGES = ("created", "updated", "archived", "gdpr_deleted", "merged")
TOP = 3
WIDTH = 80


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value if value is not None else "")


def aligned(header: Sequence[str], rows: Iterable[Sequence[str]], width: int = 78) -> list[str]:
    """Columns as wide as their widest cell: the first left-aligned, the others right,
    two spaces apart (one, when that would not fit `width`)."""
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    gap = "  " if sum(widths) + 2 * (len(widths) - 1) <= width else " "
    return [
        gap.join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in table
    ]


def _rows_of(value: Any) -> list[dict[str, Any]]:
    """The rows of a table metadata value (as the run's summary holds it)."""
    return [record.data for record in getattr(value, "records", None) or []]


def _writes(summary: RunSummary) -> dict[str, dict[str, Any]]:
    return {
        key.removeprefix("hubspot/"): values
        for key, values in sorted(summary.assets.items())
        if key.startswith("hubspot/") and "write_calls" in values
    }


def summary_lines(summary: RunSummary, in_hubspot: dict[str, int] | None = None) -> list[str]:
    writes = _writes(summary)
    lines = [f"HubSpot, months {summary.partitions[0][:7]} to {summary.partitions[1][:7]}:"]
    rows = [[name, *(_number(v.get(k)) for k, _ in FIGURES)] for name, v in writes.items()]
    lines += ["  " + line for line in aligned(["", *(h for _, h in FIGURES)], rows)]
    if writes and not any(v.get(k) for v in writes.values() for k in CHANGES):
        lines.append("Nothing changed: HubSpot already held every record as the App du Moulin.")
    for name, values in writes.items():
        lines += _warned_lines(name, values)
        lines += _not_in_hubspot_lines(name, values)
        causes = _rows_of(values.get("rejections_by_cause"))
        if causes:
            top = "; ".join(f"{c['cause']} ×{c['records']:,}" for c in causes[:TOP])
            lines.append(f"Rejected {name}: {top}")
        waits = _rows_of(values.get("waiting_for"))
        if waits:
            top = "; ".join(f"{_target(w['reason'])} ×{w['records']}" for w in waits[:TOP])
            more = f"; {len(waits) - TOP:,} more" if len(waits) > TOP else ""
            lines.append(
                f"Waiting {name}: {values.get('waiting', 0):,}, until the record they link to "
                f"is in HubSpot: {top}{more}"
            )
        if values.get("stopped_early", "no") != "no":
            lines.append(f"Stopped early {name}: {values['stopped_early']}")
    lines.append(_checks_line(summary))
    if in_hubspot is not None:
        written = dict.fromkeys(_object_type(name) for name in writes)
        held = ", ".join(f"{in_hubspot.get(t, 0):,} {t}" for t in written)
        lines.append(f"In HubSpot now: {held}.")
    return [wrapped for line in lines for wrapped in _wrap(line)]


def _warned_lines(name: str, values: dict[str, Any]) -> list[str]:
    """ "contacts created without email (100): missing email ×40; ..." — records in
    HubSpot all the same, with what the App du Moulin should fix."""
    spec = _spec(name)
    warned = values.get(spec.warned_key) or 0 if spec is not None else 0
    if spec is None or not warned:
        return []
    causes = _rows_of(values.get("warnings_by_cause"))
    top = "; ".join(f"{c['cause']} ×{c['records']:,}" for c in causes[:TOP])
    return [f"{name[:1].upper()}{name[1:]} {spec.warned_as} ({warned:,}): {top}"]


def _not_in_hubspot_lines(name: str, values: dict[str, Any]) -> list[str]:
    """How many of the stream's source rows could not reach HubSpot (rejected or
    waiting); the reasons follow, on the "Rejected" and "Waiting" lines."""
    rejected, waiting = values.get("rejected") or 0, values.get("waiting") or 0
    if not rejected + waiting:
        return []
    spec = _spec(name)
    what = spec.description if spec is not None else name
    return [
        f"{what[:1].upper()}{what[1:]} that could not reach HubSpot: {rejected + waiting:,} "
        f"({rejected:,} rejected, {waiting:,} waiting)"
    ]


def _spec(name: str) -> StreamSpec | None:
    from moulin_sync.hubspot.streams import STREAMS

    return next((spec for spec in STREAMS if spec.name == name), None)


def _object_type(name: str) -> str:
    """The HubSpot object type a stream writes (its name, for one not in the registry)."""
    spec = _spec(name)
    return spec.object_type if spec is not None else name


def _target(reason: str) -> str:
    """ "waiting for contact 8 to reach HubSpot" → "contact 8"."""
    return reason.removeprefix("waiting for ").removesuffix(" to reach HubSpot")


def _wrap(line: str, width: int = WIDTH) -> list[str]:
    if len(line) <= width:
        return [line]
    return textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False)


def _checks_line(summary: RunSummary) -> str:
    passed = [name for name, ok, _ in summary.checks if ok]
    failed = sorted(summary.blocking_failures)
    warned = [n for n, ok, _ in summary.checks if not ok and n not in summary.blocking_failures]
    duplicates = next(
        (v.get("duplicate_deals") for n, _, v in summary.checks if n == "no_duplicate_deals"), None
    )
    text = f"Checks: {len(passed)} passed, {len(warned)} warnings, {len(failed)} failed"
    if failed:
        text += f" ({', '.join(failed)})"
    return text + (f". Duplicate deals found: {duplicates}." if duplicates is not None else ".")


def next_steps(ui_command: str | None) -> list[str]:
    """Where to look next; `ui_command` opens the UI over this run (None: it is up)."""
    ui = ["  the runs, assets and checks, in the Dagster UI:", f"    {ui_command}"]
    return [
        "Where to look next:",
        *(ui if ui_command else []),
        "  what a next run would do, and why records are rejected: moulin-sync plan",
        "  the quarantine: the hubspot_payloads/* assets' 'quarantine', in the UI",
    ]
