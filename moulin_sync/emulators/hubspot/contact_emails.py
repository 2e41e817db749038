"""A contact's emails: its `email` and the `hs_additional_emails` it gained by merges, all
of which identify it (unique among contacts, found by `idProperty=email`)."""

from __future__ import annotations

from collections.abc import Mapping

ADDITIONAL = "hs_additional_emails"


def additional_emails(props: Mapping[str, str]) -> list[str]:
    return [e for e in props.get(ADDITIONAL, "").split(";") if e]


def join_emails(emails: list[str]) -> str:
    """`;`-joined, each once, in order ("" for none, which clears the property)."""
    return ";".join(dict.fromkeys(emails))


def all_emails(props: Mapping[str, str]) -> list[str]:
    """Every email that identifies the contact: its email first."""
    email = props.get("email")
    return [*([email] if email else []), *additional_emails(props)]


def promoted(props: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """`changes` to a contact, plus: an additional email made its email leaves the list."""
    new = changes.get("email")
    extra = additional_emails(props)
    if not new or new not in extra:
        return dict(changes)
    return {**changes, ADDITIONAL: join_emails([e for e in extra if e != new])}
