"""The listing delay (a response is listed `--listing-delay` seconds after it is
submitted), the state file across restarts, and the command's options."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from moulin_sync.emulators.typeform.cli import DEFAULT_TOKEN, typeform_emulator_command
from moulin_sync.emulators.typeform.service import DEFAULT_LISTING_DELAY
from moulin_sync.testing.emulator import run_emulator_process

from .helpers import FORM_ID, TOKEN, item, listing, nps_form, post_items, tokens


def test_a_response_younger_than_the_listing_delay_is_not_listed_yet(
    api: httpx.Client, form: str
) -> None:
    now = int(time.time())
    api.post("/_emulator/settings", json={"listing_delay": 30}).raise_for_status()
    post_items(api, [item(1, at=now - 3600), item(2, at=now - 10),
                     {"token": "just-now"}])  # fmt: skip
    page = listing(api, page_size=1000)
    assert (tokens(page), page["total_items"]) == (["tok-00001"], 1)
    assert listing(api, since=now - 60)["total_items"] == 0
    api.post("/_emulator/settings", json={"listing_delay": 5}).raise_for_status()
    assert tokens(listing(api)) == ["tok-00002", "tok-00001"]
    api.post("/_emulator/settings", json={"listing_delay": 0}).raise_for_status()
    assert tokens(listing(api)) == ["just-now", "tok-00002", "tok-00001"]


def test_the_command_defaults_to_typeforms_half_hour_and_2_requests_a_second() -> None:
    result = CliRunner().invoke(typeform_emulator_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--state", "--token", "--listing-delay", "--rate",
                   "--burst", "TYPEFORM_EMULATOR_TOKEN"):  # fmt: skip
        assert option in result.output
    params = {p.name: p.default for p in typeform_emulator_command.params}
    assert params["listing_delay"] == DEFAULT_LISTING_DELAY == 1800
    assert (params["rate"], params["burst"], params["token"]) == (2.0, 20.0, DEFAULT_TOKEN)


def test_the_state_file_keeps_forms_and_responses_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "typeform.json"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    args = ["--token", TOKEN, "--listing-delay", "0"]
    with run_emulator_process("moulin_sync.emulators.typeform", auth=auth, extra_args=args,
                              state_path=state) as tf:  # fmt: skip
        http = httpx.Client(base_url=tf.base_url, headers=auth)
        http.post(f"/_emulator/forms/{FORM_ID}", json=nps_form()).raise_for_status()
        post_items(http, [item(1), item(2)])
        refused = http.post(f"/_emulator/forms/{FORM_ID}/responses", json={"items": [{"x": 1}]})
        assert refused.status_code == 400
        tf.kill()  # a crash: what was answered is on disk
        tf.start()
        assert tokens(listing(http)) == ["tok-00002", "tok-00001"]
        post_items(http, [item(3)])
        tf.restart()
        assert tokens(listing(http)) == ["tok-00003", "tok-00002", "tok-00001"]
        assert http.get(f"/forms/{FORM_ID}").json()["hidden"] == ["email", "customer_id"]
        http.close()
