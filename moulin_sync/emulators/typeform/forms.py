"""Form definitions: what `POST /_emulator/forms/{form_id}` accepts and `GET /forms/{form_id}`
answers (Typeform's form object: `fields` with `id`, `ref`, `type`, `title`; `hidden`)."""

from __future__ import annotations

import hashlib
from typing import Any

from .errors import Detail, detail

# Each field type, and the answer types (the answer's value key) it is answered with.
FIELD_ANSWERS: dict[str, tuple[str, ...]] = {
    "nps": ("number",),
    "opinion_scale": ("number",),
    "rating": ("number",),
    "number": ("number",),
    "short_text": ("text",),
    "long_text": ("text",),
    "email": ("email",),
    "phone_number": ("phone_number",),
    "website": ("url",),
    "yes_no": ("boolean",),
    "legal": ("boolean",),
    "multiple_choice": ("choice", "choices"),
    "picture_choice": ("choice", "choices"),
    "dropdown": ("choice",),
    "ranking": ("choices",),
    "date": ("date",),
    "file_upload": ("file_url",),
    "payment": ("payment",),
}
FORM_KEYS = frozenset({"title", "type", "fields", "hidden", "settings", "variables",
                       "welcome_screens", "thankyou_screens", "logic"})  # fmt: skip
FIELD_KEYS = frozenset({"id", "ref", "title", "type", "properties", "validations",
                        "attachment", "layout"})  # fmt: skip
# An opinion scale or NPS question is 0–10 unless the form says otherwise.
SCALE_PROPERTIES = {"steps": 11, "start_at_one": False}


def field_id(form_id: str, ref: str) -> str:
    """A stable 12-character id like Typeform's, for a field given without one."""
    digest = hashlib.sha256(f"{form_id}/{ref}".encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:12])


def build_form(
    form_id: str, body: Any, now: str, previous: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[Detail]]:
    """The form definition from an admin request body, or the details of what is wrong."""
    if not isinstance(body, dict):
        return None, [detail("body", "expected a JSON object with fields and hidden", where="body")]
    problems = [
        detail(key, f"unknown key; a form takes {', '.join(sorted(FORM_KEYS))}", where="body")
        for key in body
        if key not in FORM_KEYS
    ]
    title = body.get("title", form_id)
    if not isinstance(title, str):
        problems.append(detail("title", "must be a string", where="body"))
    fields, field_problems = _fields(form_id, body.get("fields"))
    hidden, hidden_problems = _hidden(body.get("hidden", []))
    problems += field_problems + hidden_problems
    if problems:
        return None, problems
    form = {
        "id": form_id,
        "type": body.get("type", "quiz"),
        "title": title,
        "created_at": previous["created_at"] if previous else now,
        "last_updated_at": now,
        "settings": body.get("settings", {"language": "fr", "is_public": True}),
        "fields": fields,
        "hidden": hidden,
        "_links": {"display": f"https://form.typeform.com/to/{form_id}"},
    }
    for key in ("variables", "welcome_screens", "thankyou_screens", "logic"):
        if key in body:
            form[key] = body[key]
    return form, []


def _fields(form_id: str, given: Any) -> tuple[list[dict[str, Any]], list[Detail]]:
    if not isinstance(given, list):
        return [], [detail("fields", "must be a list of fields ({ref, type, title})", where="body")]
    fields: list[dict[str, Any]] = []
    problems: list[Detail] = []
    for index, raw in enumerate(given):
        where = f"fields[{index}]"
        if not isinstance(raw, dict):
            problems.append(detail(where, "must be an object {ref, type, title}", where="body"))
            continue
        unknown = sorted(set(raw) - FIELD_KEYS)
        if unknown:
            problems.append(detail(where, f"unknown keys {unknown}", where="body"))
        kind, ref = raw.get("type"), raw.get("ref")
        if kind not in FIELD_ANSWERS:
            problems.append(detail(f"{where}.type", f"must be one of {sorted(FIELD_ANSWERS)}",
                                   where="body"))  # fmt: skip
        if not isinstance(ref, str) or not ref:
            problems.append(detail(f"{where}.ref", "must be a non-empty string", where="body"))
            continue
        fid = raw.get("id", field_id(form_id, ref))
        if not isinstance(fid, str) or not fid:
            problems.append(detail(f"{where}.id", "must be a non-empty string", where="body"))
        properties = raw.get("properties", SCALE_PROPERTIES if kind in ("nps", "opinion_scale")
                             else {})  # fmt: skip
        fields.append({
            "id": fid, "title": raw.get("title", ref), "ref": ref, "type": kind,
            "properties": properties, "validations": raw.get("validations", {"required": False}),
        })  # fmt: skip
    for key in ("id", "ref"):
        values = [f[key] for f in fields]
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(detail("fields", f"two fields have the {key} {value!r}", where="body"))
    return fields, problems


def _hidden(given: Any) -> tuple[list[str], list[Detail]]:
    if not isinstance(given, list) or not all(isinstance(h, str) and h for h in given):
        return [], [detail("hidden", "must be a list of hidden field names", where="body")]
    if len(set(given)) != len(given):
        return [], [detail("hidden", "names a hidden field twice", where="body")]
    return list(given), []
