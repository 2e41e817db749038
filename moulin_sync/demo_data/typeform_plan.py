"""Which customers answer the demo NPS survey, when, and what they say: Typeform response
items drawn from the App du Moulin's customers, deterministic for one random stream.

The survey started `SURVEY_DAYS` before `now`: customers who already had an account
answered the launch mailing within `CAMPAIGN_DAYS`, newer ones answer during their
onboarding, `ONBOARDING_DAYS` after signing up — always after the account exists, never
in the last hour. Most answers carry the customer's email in the hidden field `email`;
some (those without a usable email, and a few others) carry `customer_id` instead. Some
customers answer twice (the later answer wins), some emails match no customer; one
answer has no score, one answered the score question before the form was edited (another
field id and ref), one comment is `LONGEST` characters long.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from moulin_sync.demo_data import vocab
from moulin_sync.demo_data.typeform_comments import comment, longest_comment
from moulin_sync.emulators.typeform.timestamps import iso

DAY = 86_400
SURVEY_DAYS = 182
CAMPAIGN_DAYS = (0, 21)
ONBOARDING_DAYS = (3, 30)
NEWEST = 3600  # nothing submitted in the last hour: Typeform lists answers late
SECOND_ANSWER_DAYS = (7, 90)
# Shares of the responses: emails of no customer, second answers, answers by customer_id.
STRANGERS, SECOND_ANSWERS, BY_CUSTOMER_ID = 0.03, 0.05, 0.12
# NPS spread: detractors 0–6, passives 7–8, promoters 9–10 (an NPS around +30).
SCORE_WEIGHTS = (2, 1, 1, 2, 3, 5, 6, 13, 17, 24, 26)
SCORE_FIELD = {"id": "mN3pS7kQx2Lr", "ref": "nps", "type": "opinion_scale"}
COMMENT_FIELD = {"id": "cM9tW4hVb8Ze", "ref": "comment", "type": "long_text"}
OLD_SCORE_FIELD = {"id": "oLd5RcMm1Ndq", "ref": "recommandation", "type": "opinion_scale"}
MIN_RESPONSES = 6  # room for each peculiarity
PECULIAR = 3  # customers' first answers made peculiar: an old ref, no score, a long letter
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Customer:
    id: int
    email: str | None
    created: int  # epoch seconds
    deleted: int | None = None  # epoch seconds


@dataclass
class Answer:
    """One response before it becomes an item."""

    at: int
    hidden: dict[str, str]
    customer: int | None  # None: an email of no customer
    score: int | None
    comment: str | None = None
    old_ref: bool = False
    second: bool = False
    token: str = ""


def usable_email(email: str | None) -> bool:
    return email is not None and _EMAIL.fullmatch(email.strip()) is not None


def plan_answers(
    customers: list[Customer], count: int, rng: random.Random, now: int
) -> list[Answer]:
    """About `count` answers (fewer when too few customers can have answered yet), by time."""
    if count < MIN_RESPONSES:
        raise ValueError(f"the demo NPS survey needs at least {MIN_RESPONSES} responses, got "
                         f"{count}: ask for more, or generate more customers")  # fmt: skip
    strangers = max(1, round(count * STRANGERS))
    seconds = max(1, round(count * SECOND_ANSWERS))
    timed = [(c, t) for c in customers if (t := _answer_time(c, rng, now)) is not None]
    wanted = min(len(timed), count - strangers - seconds)
    firsts = [_first(c, t, rng) for c, t in rng.sample(timed, wanted)]
    if len(firsts) < PECULIAR:
        raise ValueError(f"only {len(timed)} customers could have answered the survey by now; "
                         "generate more customers or a later --today")  # fmt: skip
    answers = (
        firsts + _seconds(firsts, seconds, rng, now) + _strangers(customers, strangers, rng, now)
    )
    answers.sort(key=lambda a: (a.at, a.customer or 0))
    _peculiarities(answers, rng)
    for answer in answers:
        if answer.comment is None and answer.score is not None:
            answer.comment = comment(rng, answer.score)
        answer.token = f"{rng.getrandbits(128):032x}"
    return answers


def _answer_time(customer: Customer, rng: random.Random, now: int) -> int | None:
    launch = now - SURVEY_DAYS * DAY
    if customer.created >= launch:
        at = customer.created + int(rng.uniform(*ONBOARDING_DAYS) * DAY)
    else:
        at = launch + int(rng.uniform(*CAMPAIGN_DAYS) * DAY)
    if at > now - NEWEST or (customer.deleted is not None and at >= customer.deleted):
        return None
    return at


def _first(customer: Customer, at: int, rng: random.Random) -> Answer:
    by_id = not usable_email(customer.email) or rng.random() < BY_CUSTOMER_ID
    hidden = {"customer_id": str(customer.id)} if by_id else {"email": str(customer.email)}
    return Answer(at, hidden, customer.id, _score(rng))


def _seconds(firsts: list[Answer], count: int, rng: random.Random, now: int) -> list[Answer]:
    """A later answer of `count` customers (the same link: the same hidden field)."""
    seconds = []
    for first in rng.sample(firsts, len(firsts)):
        at = first.at + int(rng.uniform(*SECOND_ANSWER_DAYS) * DAY)
        if at <= now - NEWEST:
            seconds.append(Answer(at, dict(first.hidden), first.customer, _score(rng), second=True))
        if len(seconds) == count:
            break
    return seconds


def _strangers(customers: list[Customer], count: int, rng: random.Random, now: int) -> list[Answer]:
    """Answers whose email is no customer's (a forwarded link, another address)."""
    known = {c.email.strip().lower() for c in customers if c.email}
    answers: list[Answer] = []
    while len(answers) < count:
        first = rng.choice(vocab.FIRST_NAMES_FEMALE + vocab.FIRST_NAMES_MALE)
        email = f"{_ascii(first)}.{rng.randint(1, 9999)}@laposte.net"
        if email not in known:
            at = now - NEWEST - int(rng.uniform(0, SURVEY_DAYS) * DAY)
            answers.append(Answer(at, {"email": email}, None, _score(rng)))
    return answers


def _ascii(name: str) -> str:
    plain = name.lower().translate(str.maketrans("éèêëàâäîïôöùûüçÉÈ", "eeeeaaaiioouuuceE"))
    return re.sub(r"[^a-z]", "", plain) or "client"


def _score(rng: random.Random) -> int:
    return rng.choices(range(11), weights=SCORE_WEIGHTS)[0]


def _peculiarities(answers: list[Answer], rng: random.Random) -> None:
    """The earliest customer's answer predates the form's edit; one has no score; one a
    long letter."""
    firsts = [a for a in answers if not a.second and a.customer is not None]
    firsts[0].old_ref = True
    no_score, letter = rng.sample(firsts[1:], 2)
    no_score.score = None
    no_score.comment = comment(rng, 7) or "Je ne sais pas trop quoi noter."
    letter.comment = longest_comment(rng, letter.score or 0)


def to_item(answer: Answer, rng: random.Random, form_id: str) -> dict[str, Any]:
    """The response in Typeform's item shape, as the emulator's admin route takes it."""
    answers: list[dict[str, Any]] = []
    if answer.score is not None:
        score_field = OLD_SCORE_FIELD if answer.old_ref else SCORE_FIELD
        answers.append({"field": dict(score_field), "type": "number", "number": answer.score})
    if answer.comment:
        answers.append({"field": dict(COMMENT_FIELD), "type": "text", "text": answer.comment})
    mobile = rng.random() < 0.6
    return {
        "landing_id": answer.token,
        "token": answer.token,
        "response_id": answer.token,
        "landed_at": iso(answer.at - rng.randint(20, 900)),
        "submitted_at": iso(answer.at),
        "metadata": {
            "user_agent": MOBILE_AGENT if mobile else DESKTOP_AGENT,
            "platform": "mobile" if mobile else "other",
            "referer": f"https://lemoulin.typeform.com/to/{form_id}",
            "network_id": f"{rng.getrandbits(40):010x}",
            "browser": "touch" if mobile else "default",
        },
        "hidden": answer.hidden,
        "calculated": {"score": 0},
        "answers": answers,
    }


MOBILE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DESKTOP_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
