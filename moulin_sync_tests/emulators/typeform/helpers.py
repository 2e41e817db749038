"""What the Typeform emulator tests share: the NPS form, response items, a reader."""

from __future__ import annotations

from typing import Any

import httpx

from moulin_sync.emulators.typeform.timestamps import iso

TOKEN = "tf-test-token-8c1d"
FORM_ID = "NpsMoulin"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def nps_form(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Recommanderiez-vous Le Moulin ?",
        "fields": [
            {"ref": "nps", "type": "opinion_scale", "title": "Sur une échelle de 0 à 10 ?"},
            {"ref": "comment", "type": "long_text", "title": "Pourquoi ?"},
        ],
        "hidden": ["email", "customer_id"],
        **extra,
    }


def item(
    n: int,
    *,
    at: int | None = None,
    score: int | None = 7,
    comment: str | None = None,
    email: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Response `n`: token `tok-<n>`, submitted at `at` (default T0 + n minutes)."""
    answers: list[dict[str, Any]] = []
    if score is not None:
        answers.append({"field": {"ref": "nps"}, "type": "number", "number": score})
    if comment is not None:
        answers.append({"field": {"ref": "comment"}, "type": "text", "text": comment})
    return {
        "token": f"tok-{n:05d}",
        "submitted_at": iso(T0 + 60 * n if at is None else at),
        "hidden": {"email": email or f"client{n}@example.fr"},
        "answers": answers,
        **extra,
    }


def post_items(api: httpx.Client, items: list[dict[str, Any]], form_id: str = FORM_ID) -> None:
    answer = api.post(f"/_emulator/forms/{form_id}/responses", json={"items": items})
    assert answer.status_code == 201, answer.text


def listing(api: httpx.Client, form_id: str = FORM_ID, **params: Any) -> dict[str, Any]:
    answer = api.get(f"/forms/{form_id}/responses", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def tokens(page: dict[str, Any]) -> list[str]:
    return [i["token"] for i in page["items"]]


def error(answer: httpx.Response, status: int) -> dict[str, Any]:
    """The body of an error answer, checked to be Typeform's shape."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"code", "description", "details"}, body
    assert isinstance(body["code"], str) and body["description"]
    return body  # type: ignore[no-any-return]
