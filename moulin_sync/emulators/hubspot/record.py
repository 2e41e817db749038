"""One CRM object as the emulator keeps it, and as its state file stores it."""

from __future__ import annotations

from typing import Any

from .timestamps import iso_ms


class Record:
    """One CRM object. `props` holds only non-empty values, all strings."""

    __slots__ = (
        "archived", "archived_at", "assoc", "created", "created_iso", "id", "props",
        "type", "updated", "updated_iso", "versions",
    )  # fmt: skip

    def __init__(self, t: str, rid: str, props: dict[str, str], created: int) -> None:
        self.type = t
        self.id = rid
        self.props = props
        self.created = self.updated = created
        self.created_iso = self.updated_iso = iso_ms(created)
        self.archived = False
        self.archived_at: int | None = None
        self.assoc: dict[str, dict[str, set[int]]] = {}
        # (written_at_seconds, snapshot or None when archived); only kept when search lags.
        self.versions: list[tuple[float, dict[str, str] | None]] | None = None

    def to_public(self, names: tuple[str, ...] | list[str] | None = None) -> dict[str, Any]:
        props = self.props
        shown = dict(props) if names is None else {n: props.get(n) for n in names}
        out: dict[str, Any] = {
            "id": self.id,
            "properties": shown,
            "createdAt": self.created_iso,
            "updatedAt": self.updated_iso,
            "archived": self.archived,
        }
        if self.archived and self.archived_at is not None:
            out["archivedAt"] = iso_ms(self.archived_at)
        return out

    def to_row(self) -> dict[str, Any]:
        """The record as stored (a copy: later writes to the record do not change it)."""
        return {
            "props": dict(self.props),
            "created": self.created,
            "updated": self.updated,
            "archived": self.archived,
            "archived_at": self.archived_at,
            "assoc": {t: {i: sorted(ts) for i, ts in m.items()} for t, m in self.assoc.items()},
        }

    @classmethod
    def from_row(cls, t: str, rid: str, row: dict[str, Any]) -> Record:
        r = cls(t, rid, row["props"], row["created"])
        r.updated = row["updated"]
        r.updated_iso = iso_ms(r.updated)
        r.archived = row["archived"]
        r.archived_at = row["archived_at"]
        r.assoc = {t2: {i: set(ts) for i, ts in m.items()} for t2, m in row["assoc"].items()}
        return r
