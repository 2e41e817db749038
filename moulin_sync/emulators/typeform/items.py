"""Responses as `POST /_emulator/forms/{form_id}/responses` takes them: items in the API's
own shape, checked whole (one wrong item: a 400 naming it, nothing stored), missing
`token`/`response_id`/`landing_id`/`landed_at` filled in, kept as records
`{"seq", "at", "item"}` in the order Typeform lists them (`at`: the listing time)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import Detail, detail
from .forms import FIELD_ANSWERS
from .timestamps import iso, parse_iso

RESPONSE_TYPES = ("completed", "partial", "started")
ITEM_KEYS = frozenset({"landing_id", "token", "response_id", "response_type", "landed_at",
                       "submitted_at", "metadata", "hidden", "calculated", "answers",
                       "variables", "thankyou_screen_ref", "tags"})  # fmt: skip
# Seconds a respondent spends on the form when an item gives no `landed_at`.
TIME_ON_FORM = 60


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_choice(v: Any) -> bool:
    return isinstance(v, dict) and any(isinstance(v.get(k), str) for k in ("label", "other"))


def _is_choices(v: Any) -> bool:
    labels = v.get("labels", []) if isinstance(v, dict) else None
    return isinstance(labels, list) and all(isinstance(x, str) for x in labels)


# The value each answer type carries under its own key (`"number": 9`, `"text": "..."`).
VALUE_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "number": (_is_number, "a finite number"),
    "text": (lambda v: isinstance(v, str), "a string"),
    "email": (lambda v: isinstance(v, str), "a string"),
    "url": (lambda v: isinstance(v, str), "a string"),
    "file_url": (lambda v: isinstance(v, str), "a string"),
    "phone_number": (lambda v: isinstance(v, str), "a string"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "date": (lambda v: isinstance(v, str) and parse_iso(v) is not None, "an ISO 8601 date-time"),
    "choice": (_is_choice, 'an object with a "label"'),
    "choices": (_is_choices, 'an object with "labels", a list of strings'),
    "payment": (lambda v: isinstance(v, dict), "an object"),
}


@dataclass
class Batch:
    """What one admin request adds to a form: its records, or what is wrong with it."""

    records: list[dict[str, Any]]
    problems: list[Detail]


def build_batch(
    form: dict[str, Any], body: Any, taken: set[str], now: int, first_seq: int
) -> Batch:
    """Check every item of `{"items": [...]}` against `form`; `taken` holds the tokens and
    response ids the form already has."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return Batch([], [detail("items", 'expected {"items": [...]}', where="body")])
    fields = _FieldIndex(form)
    records: list[dict[str, Any]] = []
    problems: list[Detail] = []
    seen = set(taken)
    for index, raw in enumerate(items):
        item, item_problems = _item(form["id"], fields, raw, f"items[{index}]", now)
        problems += item_problems
        if item is None:
            continue
        problems += _taken(item, seen, f"items[{index}]")
        seen.update({item["token"], item["response_id"]})
        at = item["submitted_at"] if item["response_type"] == "completed" else item["landed_at"]
        records.append({"seq": first_seq + index, "at": parse_iso(at), "item": item})
    return Batch(records if not problems else [], problems)


def _taken(item: dict[str, Any], seen: set[str], where: str) -> list[Detail]:
    """The item's token or response id when another response of the form has it (both
    name a response in cursors)."""
    problems = []
    for key in ("token", "response_id"):
        if key == "response_id" and item[key] == item["token"]:
            continue  # one value, named once
        if item[key] in seen:
            problems.append(detail(f"{where}.{key}", f"{item[key]!r} is already a response "
                                   "of this form", where="body"))  # fmt: skip
    return problems


class _FieldIndex:
    def __init__(self, form: dict[str, Any]) -> None:
        self.by_id = {f["id"]: f for f in form["fields"]}
        self.by_ref = {f["ref"]: f for f in form["fields"]}

    def find(self, field: dict[str, Any]) -> dict[str, Any] | None:
        return self.by_id.get(field.get("id")) or self.by_ref.get(field.get("ref"))


def _item(
    form_id: str, fields: _FieldIndex, raw: Any, where: str, now: int
) -> tuple[dict[str, Any] | None, list[Detail]]:
    if not isinstance(raw, dict):
        return None, [detail(where, "must be a response object", where="body")]
    problems = [
        detail(f"{where}.{key}", "unknown key of a response item", where="body")
        for key in raw
        if key not in ITEM_KEYS
    ]
    kind = raw.get("response_type", "completed")
    if kind not in RESPONSE_TYPES:
        problems.append(detail(f"{where}.response_type", f"must be one of {RESPONSE_TYPES}",
                               where="body"))  # fmt: skip
    ids, id_problems = _ids(raw, where)
    times, time_problems = _times(raw, where, kind == "completed", now)
    answers, answer_problems = _answers(fields, raw.get("answers", []), where)
    problems += id_problems + time_problems + answer_problems + _objects(raw, where)
    if problems:
        return None, problems
    item: dict[str, Any] = {
        **ids,
        "response_type": kind,
        **times,
        "metadata": raw.get("metadata", _metadata(form_id)),
        "hidden": raw.get("hidden", {}),
        "calculated": raw.get("calculated", {"score": 0}),
        "answers": answers,
    }
    for key in ("variables", "thankyou_screen_ref", "tags"):
        if key in raw:
            item[key] = raw[key]
    return item, []


def _ids(raw: dict[str, Any], where: str) -> tuple[dict[str, str], list[Detail]]:
    given = {k: raw.get(k) for k in ("landing_id", "token", "response_id")}
    problems = [
        detail(f"{where}.{k}", "must be a non-empty string", where="body")
        for k, v in given.items()
        if v is not None and (not isinstance(v, str) or not v)
    ]
    # Typeform gives one response the same value for all three.
    first = next((v for v in given.values() if isinstance(v, str) and v), uuid.uuid4().hex)
    ids = {k: v if isinstance(v, str) and v else first for k, v in given.items()}
    return ids, problems


def _times(
    raw: dict[str, Any], where: str, completed: bool, now: int
) -> tuple[dict[str, str], list[Detail]]:
    problems: list[Detail] = []
    parsed: dict[str, int | None] = {}
    for key in ("landed_at", "submitted_at"):
        value = raw.get(key)
        parsed[key] = parse_iso(value) if isinstance(value, str) else None
        if value is not None and parsed[key] is None:
            problems.append(detail(f"{where}.{key}", "must be an ISO 8601 date-time "
                                   "like 2020-03-20T14:00:59Z", where="body"))  # fmt: skip
    if not completed and raw.get("submitted_at") is not None:
        problems.append(detail(f"{where}.submitted_at",
                               "only a completed response is submitted", where="body"))  # fmt: skip
    if problems:
        return {}, problems
    submitted = parsed["submitted_at"] if parsed["submitted_at"] is not None else now
    landed = parsed["landed_at"]
    if landed is None:
        landed = submitted - TIME_ON_FORM if completed else now
    if completed and landed > submitted:
        return {}, [detail(f"{where}.landed_at", "is after submitted_at", where="body")]
    times = {"landed_at": iso(landed)}
    if completed:
        times["submitted_at"] = iso(submitted)
    return times, []


def _answers(
    fields: _FieldIndex, given: Any, where: str
) -> tuple[list[dict[str, Any]], list[Detail]]:
    if not isinstance(given, list):
        return [], [detail(f"{where}.answers", "must be a list of answers", where="body")]
    answers: list[dict[str, Any]] = []
    problems: list[Detail] = []
    for index, raw in enumerate(given):
        answer, problem = _answer(fields, raw, f"{where}.answers[{index}]")
        if problem is not None:
            problems.append(problem)
        elif answer is not None:
            answers.append(answer)
    answered = [a["field"]["id"] for a in answers]
    if len(set(answered)) != len(answered):
        problems.append(detail(f"{where}.answers", "answers a field twice", where="body"))
    return answers, problems


def _answer(
    fields: _FieldIndex, raw: Any, where: str
) -> tuple[dict[str, Any] | None, Detail | None]:
    def wrong(why: str) -> tuple[None, Detail]:
        return None, detail(where, why, where="body")

    if not isinstance(raw, dict) or not isinstance(raw.get("field"), dict):
        return wrong('must be an object with a "field" {id, ref, type} and a "type"')
    given = raw["field"]
    known = fields.find(given) or {}
    fid, ref = given.get("id", known.get("id")), given.get("ref", known.get("ref"))
    field_type = given.get("type", known.get("type"))
    if not isinstance(fid, str) or field_type not in FIELD_ANSWERS:
        return wrong("names no field of the form: give field.id and field.type "
                     f"(one of {sorted(FIELD_ANSWERS)}), or the ref of a form field")  # fmt: skip
    kind = raw.get("type")
    if kind not in FIELD_ANSWERS[field_type]:
        expected_types = " or ".join(FIELD_ANSWERS[field_type])
        return wrong(f"an answer to a {field_type} field has type {expected_types}, not {kind!r}")
    unknown = sorted(set(raw) - {"field", "type", kind})
    if unknown:
        return wrong(f"unknown keys {unknown}; a {kind} answer carries its value in {kind!r}")
    check, expected = VALUE_CHECKS[kind]
    if not check(raw.get(kind)):
        return wrong(f"{kind!r} must be {expected}")
    field = {"id": fid, "type": field_type, "ref": ref if isinstance(ref, str) else fid}
    return {"field": field, "type": kind, kind: raw[kind]}, None


# The item's other objects: (key, default, check, what it must be).
OBJECTS: tuple[tuple[str, Any, Callable[[Any], bool], str], ...] = (
    ("hidden", {}, lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
     "must map hidden field names to strings"),
    ("metadata", {}, lambda v: isinstance(v, dict), "must be an object"),
    ("calculated", {}, lambda v: isinstance(v, dict) and _is_number(v.get("score", 0)),
     'must be {"score": <number>}'),
    ("variables", [], lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
     "must be a list of {key, type, text or number}"),
)  # fmt: skip


def _objects(raw: dict[str, Any], where: str) -> list[Detail]:
    return [
        detail(f"{where}.{key}", must, where="body")
        for key, default, check, must in OBJECTS
        if not check(raw.get(key, default))
    ]


def _metadata(form_id: str) -> dict[str, str]:
    return {
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)",
        "platform": "mobile",
        "referer": f"https://form.typeform.com/to/{form_id}",
        "network_id": "",
        "browser": "default",
    }
