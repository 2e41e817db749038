"""A repeated signed request, in process: the first one's answer, whether the repeat
comes during or after it; nothing kept from a first request that failed on our side."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest
from starlette.responses import JSONResponse, Response

from moulin_sync.refresh.repeats import Repeats


class Handler:
    """A route that counts its calls and answers its n-th call with `answers(n)`."""

    def __init__(self, answers: Callable[[int], Response], delay_s: float = 0) -> None:
        self.calls = 0
        self.answers = answers
        self.delay_s = delay_s

    async def __call__(self) -> Response:
        self.calls += 1
        n = self.calls
        await anyio.sleep(self.delay_s)
        return self.answers(n)


def run_number(n: int) -> Response:
    return JSONResponse({"runId": f"run-{n}"}, 202)


def test_a_repeat_during_or_after_the_first_gets_its_answer_without_a_second_call() -> None:
    repeats = Repeats()
    handler = Handler(run_number, delay_s=0.2)
    got: list[Response] = []

    async def main() -> None:
        async def ask() -> None:
            got.append(await repeats.answer("sig", handler))

        async with anyio.create_task_group() as group:
            group.start_soon(ask)
            group.start_soon(ask)
        await ask()

    anyio.run(main)
    assert handler.calls == 1
    assert [(r.status_code, r.body) for r in got] == [(202, b'{"runId":"run-1"}')] * 3
    assert all(r.media_type == "application/json" for r in got)


def test_other_signatures_are_other_requests() -> None:
    repeats = Repeats()
    handler = Handler(run_number)
    bodies = anyio.run(lambda: _ask_all(repeats, handler, ["a", "b", "a"]))
    assert handler.calls == 2
    assert bodies == [b'{"runId":"run-1"}', b'{"runId":"run-2"}', b'{"runId":"run-1"}']


def test_a_first_request_that_failed_on_our_side_leaves_nothing_to_repeat() -> None:
    repeats = Repeats()

    def fail_first(n: int) -> Response:
        if n == 1:
            raise RuntimeError("the state store is locked")
        return JSONResponse({"error": "busy"}, 503) if n == 2 else run_number(n)

    handler = Handler(fail_first)
    with pytest.raises(RuntimeError):
        anyio.run(lambda: _ask_all(repeats, handler, ["sig"]))
    # The retry after the exception gets a 503, and the one after that is served afresh.
    assert anyio.run(lambda: _ask_all(repeats, handler, ["sig", "sig", "sig"])) == [
        b'{"error":"busy"}',
        b'{"runId":"run-3"}',
        b'{"runId":"run-3"}',
    ]
    assert handler.calls == 3


def test_answers_are_forgotten_once_their_signature_has_expired() -> None:
    now = [0.0]
    repeats = Repeats(keep_s=600, clock=lambda: now[0])
    handler = Handler(run_number)
    anyio.run(lambda: _ask_all(repeats, handler, ["sig"]))
    now[0] = 601
    anyio.run(lambda: _ask_all(repeats, handler, ["other"]))
    assert "sig" not in repeats._answers
    assert handler.calls == 2


async def _ask_all(repeats: Repeats, handler: Handler, signatures: list[str]) -> list[bytes]:
    return [bytes((await repeats.answer(s, handler)).body) for s in signatures]
