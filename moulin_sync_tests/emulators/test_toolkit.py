"""The emulator toolkit, through a toy service built on it (`toy_service.Kiosk`) and served
over HTTP: auth, limit headers and 429s, faults, the admin API, the state file, never a 500."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from moulin_sync.emulators import commands
from moulin_sync.emulators.toolkit import BasicAuth, BearerAuth, StateLocked
from moulin_sync.emulators.toolkit.cli import serve_options
from moulin_sync.testing.emulator import run_emulator_thread

from .toy_service import Kiosk


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_bearer_auth_any_case_and_the_services_own_401() -> None:
    with run_emulator_thread(Kiosk(BearerAuth("tok", any_case=True))) as kiosk:
        url = kiosk.base_url + "/items"
        assert httpx.get(url, headers={"Authorization": "bearer tok"}).status_code == 200
        assert httpx.get(url, headers={"Authorization": "Bearer tok"}).status_code == 200
        refused = httpx.get(url, headers={"Authorization": "Bearer nope"})
        assert refused.status_code == 401
        assert refused.json()["code"] == "E401"  # the service's shape, not a generic one
        assert httpx.get(url).status_code == 401
        assert httpx.get(kiosk.base_url + "/_emulator/health").json() == {"status": "ok"}
        assert httpx.get(kiosk.base_url + "/_emulator/stats").status_code == 401
    strict = BearerAuth("tok")
    assert not strict.accepts([(b"authorization", b"bearer tok")])


def test_basic_auth_with_the_api_key_as_user() -> None:
    with run_emulator_thread(Kiosk(BasicAuth("key123", "X"))) as kiosk:
        url = kiosk.base_url + "/items"
        assert httpx.get(url, headers=_basic("key123", "X")).status_code == 200
        assert httpx.get(url, headers=_basic("key123", "Y")).status_code == 401
        assert httpx.get(url, headers=_basic("other", "X")).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Basic !!!"}).status_code == 401
    any_password = _basic("key123", "anything")["Authorization"].encode()
    assert BasicAuth("key123").accepts([(b"authorization", any_password)])
    assert not BasicAuth("key123", "X").accepts([(b"authorization", any_password)])


def test_limit_headers_on_every_answer_and_the_services_429() -> None:
    with run_emulator_thread(Kiosk(BearerAuth("t"), limit=3)) as kiosk:
        http = httpx.Client(base_url=kiosk.base_url, headers=kiosk.auth)
        first = http.get("/items")
        assert first.headers["x-ratelimit-total"] == "3"
        assert first.headers["x-ratelimit-remaining"] == "2"
        assert first.headers["x-ratelimit-used-currentrequest"] == "1"
        assert first.headers["link"] == '</items?page=2>; rel="next"'  # a handler's header
        costly = http.get("/items?include=stats")
        assert costly.headers["x-ratelimit-used-currentrequest"] == "2"
        assert costly.headers["x-ratelimit-remaining"] == "0"
        refused = http.get("/items")
        assert refused.status_code == 429
        assert refused.json() == {"code": "TOO_MANY", "description": "Slow down"}
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert http.get("/_emulator/stats").status_code == 200  # admin: never limited
        kiosk.admin.reset()  # fresh counters
        assert http.get("/items").status_code == 200


def test_faults_answer_in_the_services_shape_and_count() -> None:
    with run_emulator_thread(Kiosk(BearerAuth("t"), limit=100)) as kiosk:
        http = httpx.Client(base_url=kiosk.base_url, headers=kiosk.auth)
        kiosk.admin.add_fault(kind="status", status=503, writes=True)
        assert http.get("/items").status_code == 200  # a read: not a write
        down = http.post("/items", json={"name": "a"})
        assert (down.status_code, down.json()["code"]) == (503, "E503")
        kiosk.admin.add_fault(kind="status", status=429, method="GET")
        limited = http.get("/items")
        assert limited.status_code == 429 and limited.json()["code"] == "TOO_MANY"
        assert "retry-after" in limited.headers and "x-ratelimit-total" in limited.headers
        fault = kiosk.admin.add_fault(kind="drop_after_commit", route="/items", method="POST")
        with pytest.raises(httpx.TransportError):
            http.post("/items", json={"name": "kept"})
        assert kiosk.admin.fault(fault["id"])["committed"] == 1
        assert kiosk.admin.state() == {"items": {"1": {"id": 1, "name": "kept"}}}
        bad = http.post("/_emulator/faults", json={"kind": "explode"})
        assert bad.status_code == 400 and bad.json()["code"] == "E400"
        assert (
            http.post("/_emulator/faults", json={"kind": "status", "policy": "X"}).status_code
            == 400
        )
        assert kiosk.admin.faults() == []
        kiosk.admin.add_fault(kind="status", status=500, count=5)
        kiosk.admin.clear_faults()
        assert http.get("/items").status_code == 200


def test_admin_stats_state_and_reset() -> None:
    with run_emulator_thread(Kiosk(BearerAuth("t"))) as kiosk:
        http = httpx.Client(base_url=kiosk.base_url, headers=kiosk.auth)
        http.post("/items", json={"name": "a"})
        http.post("/items/1/rename", json={"name": ""})
        httpx.get(kiosk.base_url + "/items", headers={"Authorization": "Bearer x"})
        http.get("/nowhere")
        stats = {(r["method"], r["route"], r["status"]): r["count"] for r in kiosk.admin.stats()}
        assert stats == {
            ("POST", "/items", 201): 1,
            ("POST", "/items/{itemId}/rename", 400): 1,
            ("GET", "/items", 401): 1,
            ("GET", "<unmatched>", 404): 1,
        }
        assert kiosk.admin.count("POST", "/items") == 1
        kiosk.admin.reset_stats()
        assert kiosk.admin.stats() == []
        assert kiosk.admin.state() == {"items": {"1": {"id": 1, "name": "a"}}}
        kiosk.admin.reset()
        assert kiosk.admin.state() == {"items": {}}
        missing = http.get("/nowhere")
        assert missing.status_code == 404 and missing.json()["code"] == "E404"


def test_a_failed_request_changes_nothing_and_never_answers_500() -> None:
    with run_emulator_thread(Kiosk(BearerAuth("t"))) as kiosk:
        http = httpx.Client(base_url=kiosk.base_url, headers=kiosk.auth)
        http.post("/items", json={"name": "a"})
        before = kiosk.admin.state()
        refused = http.post("/items/1/rename", json={"name": ""})  # written, then refused
        assert refused.status_code == 400 and refused.json()["code"] == "E400"
        crashed = http.post("/items/1/rename", json={"name": "b", "crash": True})
        assert crashed.status_code == 400 and crashed.json()["code"] == "E400"
        assert "RuntimeError" in crashed.json()["description"]
        no_name = http.post("/items/1/rename", json={})
        assert no_name.status_code == 400 and "KeyError" in no_name.json()["description"]
        not_json = http.post("/items", content=b"{nope")
        assert not_json.status_code == 400 and not_json.json()["code"] == "E400"
        assert kiosk.admin.state() == before


def test_state_file_round_trip_and_one_process_per_file(tmp_path: Path) -> None:
    path = str(tmp_path / "kiosk.json")
    with run_emulator_thread(Kiosk(BearerAuth("t"), state=path)) as kiosk:
        http = httpx.Client(base_url=kiosk.base_url, headers=kiosk.auth)
        http.post("/items", json={"name": "kept"})
        http.post("/items/1/rename", json={"name": "b", "crash": True})  # not written
        with pytest.raises(StateLocked, match="in use by another emulator"):
            Kiosk(BearerAuth("t"), state=path)
    with run_emulator_thread(Kiosk(BearerAuth("t"), state=path)) as again:
        assert again.admin.state() == {"items": {"1": {"id": 1, "name": "kept"}}}


def test_cli_scaffolding_and_the_emulator_commands() -> None:
    import click

    @click.command()
    @serve_options(credential="api-key", envvar="KIOSK_API_KEY", default="k")
    def kiosk(
        port: int, host: str, state: str | None, api_key: str, exit_with_parent: bool
    ) -> None:
        click.echo(f"{port} {host} {state} {api_key} {exit_with_parent}")

    result = CliRunner().invoke(
        kiosk, ["--port", "9", "--state", "s.json"], env={"KIOSK_API_KEY": "sec"}
    )
    assert result.output.strip() == "9 127.0.0.1 s.json sec False"
    assert "hubspot" in commands()
