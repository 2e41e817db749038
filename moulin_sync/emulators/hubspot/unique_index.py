"""Unique values → the live record holding each, per type and unique property.

A contact is identified by its email and by the additional emails it gained by merges,
so the contacts' `email` index holds both (see `contact_emails`); values are compared as
stored (emails lower-cased on write).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from .contact_emails import ADDITIONAL, all_emails

if TYPE_CHECKING:
    from .schema import Schema

Values = dict[str, dict[str, str]]  # property name → {value: record id}


class Held(Protocol):
    """What the index reads of a record."""

    id: str
    props: dict[str, str]
    archived: bool


def values_of(t: str, name: str, props: Mapping[str, str]) -> list[str]:
    """The values of unique property `name` that identify a record of type `t`."""
    if t == "contacts" and name == "email":
        return all_emails(props)
    value = props.get(name)
    return [value] if value else []


class UniqueIndex:
    def __init__(
        self, schema: Callable[[], Schema], objects: Mapping[str, Mapping[str, Held]]
    ) -> None:
        self._schema = schema
        self._objects = objects
        self.by_type: dict[str, Values] = {}

    def rebuild(self) -> None:
        self.by_type = {t: self._build(t) for t in self._objects}

    def _build(self, t: str) -> Values:
        index: Values = {n: {} for n in self._schema().unique[t]}
        for rec in self._objects[t].values():
            if not rec.archived:
                for name, held in index.items():
                    for v in values_of(t, name, rec.props):
                        held[v] = rec.id
        return index

    def of(self, t: str) -> Values:
        """The index of `t`, rebuilt when the schema's unique properties changed."""
        index = self.by_type[t]
        if list(index) != list(self._schema().unique[t]):
            index = self.by_type[t] = self._build(t)
        return index

    def add(self, t: str, rec: Held, names: Iterable[str] | None = None) -> None:
        """Index `rec`'s values of `names` (None: every unique property)."""
        for name, held in self._chosen(t, names):
            for v in values_of(t, name, rec.props):
                held[v] = rec.id

    def remove(self, t: str, rec: Held, names: Iterable[str] | None = None) -> None:
        for name, held in self._chosen(t, names):
            for v in values_of(t, name, rec.props):
                if held.get(v) == rec.id:
                    del held[v]

    def _chosen(self, t: str, names: Iterable[str] | None) -> list[tuple[str, dict[str, str]]]:
        index = self.of(t)
        if names is None:
            return list(index.items())
        return [(n, index[n]) for n in names if n in index]

    @staticmethod
    def changing(t: str, changes: Mapping[str, str]) -> set[str]:
        """The unique properties whose values `changes` may change."""
        names = set(changes)
        if t == "contacts" and ADDITIONAL in names:
            names.add("email")
        return names
