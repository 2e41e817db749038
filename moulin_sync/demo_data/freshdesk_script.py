"""The demo's tickets written through Freshdesk's public API, the emulator's clock set
back to when each step happened (ten days before `now`, then forward): what a bulk load
cannot show — a requester made from a ticket's email, a ticket updated several times,
a requester whose email changed after their ticket, a deletion, a spam mark (an
agent's action: the admin route), a custom status, a 70,000-character description."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from moulin_sync.demo_data.freshdesk_account import Account, Ids
from moulin_sync.demo_data.freshdesk_vocab import (
    SPAM_BODY,
    SPAM_SUBJECT,
    TOPICS,
    long_description,
)
from moulin_sync.demo_data.freshdesk_world import DAY, Desk, message

HOUR = 3600


@dataclass
class Scripted:
    tickets: list[int] = field(default_factory=list)
    special: dict[str, int] = field(default_factory=dict)
    email_change: dict[str, Any] = field(default_factory=dict)
    # Contacts matching a customer, gained (a requester made from a customer's email) or
    # lost (an email changed to an address no customer has).
    matching_change: int = 0
    listed: int = 0  # tickets still listed (not in the trash, not spam)


class Script:
    def __init__(self, account: Account, rng: random.Random, start: int) -> None:
        self.account, self.rng, self.start = account, rng, start
        self.done = Scripted()

    def at(self, offset: int) -> None:
        self.account.set_clock(self.start + offset)

    def create(self, key: str, offset: int, signed: str = "", **fields: Any) -> int:
        """A ticket created `offset` seconds into the script, remembered as `key`."""
        self.at(offset)
        order = f"CMD-{self.rng.randrange(10**6):06d}"
        subject, description = message(self.rng, self.rng.randrange(len(TOPICS)), order, signed)
        body = {"subject": subject, "description": description, "priority": 2, "source": 1,
                **fields}  # fmt: skip
        rid = self.account.api("POST", "tickets", body)["id"]
        self.done.tickets.append(rid)
        self.done.special[key] = rid
        return rid

    def update(self, rid: int, offset: int, **fields: Any) -> None:
        self.at(offset)
        self.account.api("PUT", f"tickets/{rid}", fields)


def play(account: Account, rng: random.Random, desk: Desk, ids: Ids, now: int) -> Scripted:
    s = Script(account, rng, now - 10 * DAY)
    known = [row for row in desk.contacts if row["email"] in ids.contacts and not row["company"]]
    newcomer = desk.spare[0] if desk.spare else None
    if newcomer is not None:
        s.create("created_with_new_requester", 0, email=newcomer.email, name=newcomer.name)
        s.done.matching_change += 1
    else:
        s.create("created_with_new_requester", 0, email="nouveau.client@exemple.org",
                 name="Nouveau Client")  # fmt: skip
    several = s.create("updated_several_times", HOUR, requester_id=ids.contacts[known[0]["email"]])
    s.update(several, 3 * HOUR, status=3)
    s.update(several, DAY, priority=3, tags=["relance"])
    s.update(several, 2 * DAY, status=4)
    s.update(several, 3 * DAY, status=5)
    changed = known[1]
    contact_id = ids.contacts[changed["email"]]
    s.create("requester_email_changed", 2 * HOUR, requester_id=contact_id)
    new_email = changed["email"].split("@")[0] + "@nouvelle-adresse.test"
    s.at(5 * DAY)
    account.api("PUT", f"contacts/{contact_id}", {"email": new_email})
    s.done.matching_change -= 1
    s.done.email_change = {"contact_id": contact_id, "old_email": changed["email"],
                           "new_email": new_email}  # fmt: skip
    deleted = s.create("deleted", 3 * HOUR, requester_id=ids.contacts[known[2]["email"]])
    s.at(4 * HOUR)
    account.api("DELETE", f"tickets/{deleted}")
    custom = s.create("custom_status", 5 * HOUR, requester_id=ids.contacts[known[3]["email"]])
    s.update(custom, DAY + 2 * HOUR, status=6)
    spam = s.create("spam", 6 * HOUR, email="promo@gagnant.invalid.test", subject=SPAM_SUBJECT,
                    description=f"<div>{SPAM_BODY}</div>")  # fmt: skip
    s.at(7 * HOUR)
    account.admin("PUT", f"tickets/{spam}/spam", {"spam": True})
    s.create("long_description", 8 * HOUR, requester_id=ids.contacts[known[4]["email"]],
             description=long_description(), status=3)  # fmt: skip
    s.done.listed = len(s.done.tickets) - 2  # the deleted one and the spam one
    return s.done
