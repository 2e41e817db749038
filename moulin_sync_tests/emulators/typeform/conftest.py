"""One Typeform emulator process per module (the real command), emptied before every test
and set to list at once, without rate limit, unless a test sets them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from moulin_sync.testing.emulator import EmulatorProcess, run_emulator_process

from .helpers import FORM_ID, TOKEN, nps_form

AUTH = {"Authorization": f"bearer {TOKEN}"}  # as Typeform's SDK sends it, lower case


@pytest.fixture(scope="module")
def typeform_server() -> Iterator[EmulatorProcess]:
    with run_emulator_process(
        "moulin_sync.emulators.typeform", auth=AUTH, extra_args=["--token", TOKEN]
    ) as handle:
        yield handle


@pytest.fixture(scope="module")
def module_client(typeform_server: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=typeform_server.base_url, headers=AUTH, timeout=30) as client:
        yield client


@pytest.fixture
def tf(typeform_server: EmulatorProcess, module_client: httpx.Client) -> EmulatorProcess:
    """The module's emulator, empty, without faults, listing delay or rate limit."""
    if not typeform_server.running:
        typeform_server.start()
    typeform_server.admin.reset()
    typeform_server.admin.clear_faults()
    typeform_server.admin.reset_stats()
    settings = {"listing_delay": 0, "rate": None, "burst": 20}
    module_client.post("/_emulator/settings", json=settings).raise_for_status()
    return typeform_server


@pytest.fixture
def api(tf: EmulatorProcess, module_client: httpx.Client) -> httpx.Client:
    return module_client


@pytest.fixture
def form(api: httpx.Client) -> str:
    """The NPS form, created empty; its id."""
    answer = api.post(f"/_emulator/forms/{FORM_ID}", json=nps_form())
    assert answer.status_code == 201, answer.text
    return FORM_ID
