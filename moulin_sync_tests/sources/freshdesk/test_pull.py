"""The Freshdesk pull against the emulator, and its pacing: what the tickets stream's
tests do not reach (a ticket updated while the pull pages, the plan's credits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from moulin_sync.sources.freshdesk.client import FreshdeskClient, Page
from moulin_sync.sources.freshdesk.pacing import CreditPacer
from moulin_sync.sources.freshdesk.pull import pull
from moulin_sync.sources.freshdesk.settings import FreshdeskSettings
from moulin_sync.sources.freshdesk.source import client_of
from moulin_sync.testing.freshdesk_emulator import FreshdeskHandle, iso, run_freshdesk_emulator

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def freshdesk() -> Iterator[FreshdeskHandle]:
    with run_freshdesk_emulator() as handle:
        yield handle


class UpdatingAfterFirstPage(FreshdeskClient):
    """A client during whose paging an agent updates a ticket already read."""

    def __init__(self, *args: Any, act: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.act = act

    def next_page(self, url: str, params: Any) -> Page:
        if self.act is not None:
            self.act()
            self.act = None
        return super().next_page(url, params)


def test_a_ticket_updated_while_the_pull_pages_loses_no_other(freshdesk: FreshdeskHandle) -> None:
    freshdesk.reset()
    (r,) = freshdesk.bulk(contacts=[{"name": "A", "email": "a@exemple.fr"}])["contacts"]
    ids = freshdesk.bulk(tickets=[
        {"requester_id": r, "subject": f"t{i}", "description": "x", "status": 2, "priority": 1,
         "created_at": iso(T0), "updated_at": iso(T0 + dt.timedelta(minutes=i))}
        for i in range(9)
    ])["tickets"]  # fmt: skip
    # After the first page of three, the first ticket moves to the end of the listing: the
    # fourth becomes the third, and the second page starts at the fifth.
    client = UpdatingAfterFirstPage(
        freshdesk.base_url, freshdesk.api_key, plan="unlimited",
        act=lambda: freshdesk.update_ticket(ids[0], priority=3),
    )  # fmt: skip
    with client:
        pulled = pull(client, None, per_page=3)
    listed = pulled.tickets.filter(pulled.tickets["listing"] == "tickets")
    assert sorted(listed["id"].to_list()) == ids, "every ticket, once"
    assert pulled.rereads == 1
    assert listed.filter(listed["id"] == ids[0])["priority"].to_list() == [3]


def test_the_pacer_keeps_under_each_limit_and_waits_for_credits_another_spent() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = CreditPacer("enterprise", clock=lambda: now[0], sleep=sleep)
    for _ in range(41):
        pacer.wait(5, "tickets_list")  # include=requester,description: 5 credits
    # The ticket list's 200 credits a minute (a little under): 40 calls take a minute.
    assert 60.0 < now[0] < 62.0
    other = CreditPacer("enterprise", clock=lambda: now[0], sleep=sleep)
    other.heard({"x-ratelimit-total": "700", "x-ratelimit-remaining": "1"}, 5)
    before = now[0]
    other.wait(5, None)
    assert now[0] - before == pytest.approx(4 * 60 / 700), "the 4 credits another spent"
    other.heard({"x-ratelimit-total": "100"}, 1)
    assert other.limit("account") == 100, "an account below the plan's limit paces to it"


def test_an_address_from_the_domain_names_the_domain() -> None:
    from_domain = FreshdeskSettings(domain="lemoulin", api_key="k", base_url="")
    assert from_domain.base_url == "https://lemoulin.freshdesk.com"
    assert client_of(from_domain).address_setting == "FRESHDESK_DOMAIN"
    given = FreshdeskSettings(domain="lemoulin", api_key="k", base_url="http://127.0.0.1:9")
    assert client_of(given).address_setting == "FRESHDESK_BASE_URL"


def test_the_probe_names_a_wrong_key_in_one_line(freshdesk: FreshdeskHandle) -> None:
    from moulin_sync.sources.freshdesk.client import FreshdeskError
    from moulin_sync.sources.freshdesk.source import FRESHDESK

    good = FreshdeskSettings(domain="lemoulin", api_key=freshdesk.api_key,
                             base_url=freshdesk.base_url, plan="unlimited")  # fmt: skip
    FRESHDESK.probe(good)
    wrong = good.model_copy(update={"api_key": SecretStr("wrong")})
    with pytest.raises(FreshdeskError) as refused:
        FRESHDESK.probe(wrong)
    assert str(refused.value).startswith(f"FRESHDESK_API_KEY: Freshdesk at {freshdesk.base_url} "
                                         "refused the API key (HTTP 401)")  # fmt: skip
    assert "\n" not in str(refused.value)
