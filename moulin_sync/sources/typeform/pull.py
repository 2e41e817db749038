"""The incremental pull of a form's responses: everything submitted since the last
pull's newest answer (less a look-back window: Typeform lists a response some minutes
after it was submitted), newest first, page after page of 1,000 with `before`.

`since` is inclusive and to the second, so answers already known come back: they are
de-duplicated by their token. A pull with nothing new costs one request. A failure
mid-way keeps nothing of it: the next pull starts again from the same mark.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import polars as pl

from moulin_sync.sources.typeform.answers import answers_of, merged
from moulin_sync.sources.typeform.client import PAGE_SIZE, TypeformClient

# Longer than the listing delay Typeform has been seen to have (about 30 minutes); a
# nothing-new pull still costs one request while fewer than 1,000 answers a day arrive.
LOOK_BACK = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Pulled:
    answers: pl.DataFrame  # every answer known, once each
    new: int  # answers this pull added
    requests: int
    since: dt.datetime | None  # None: the whole form
    seconds: float = 0.0


def pull(
    client: TypeformClient,
    form_id: str,
    known: pl.DataFrame | None,
    *,
    score_ref: str,
    comment_ref: str,
    look_back: dt.timedelta = LOOK_BACK,
) -> Pulled:
    """The form's answers: `known` (the last pull's) and those submitted since."""
    mark = _mark(known)
    since = mark - look_back if mark is not None else None
    params: dict[str, str | int] = {"page_size": PAGE_SIZE}
    if since is not None:
        params["since"] = int(since.timestamp())
    pages = []
    requests = 0
    started = time.monotonic()
    while True:
        page = client.responses(form_id, params)
        requests += 1
        items = page.get("items") or []
        pages.append(answers_of(items, score_ref, comment_ref))
        if len(items) < PAGE_SIZE:
            break
        params["before"] = str(items[-1].get("token") or items[-1].get("response_id"))
    pulled = pl.concat(pages, how="vertical")
    answers = merged(known, pulled)
    new = answers.height - (known.height if known is not None else 0)
    return Pulled(answers, new, requests, since, time.monotonic() - started)


def _mark(known: pl.DataFrame | None) -> dt.datetime | None:
    if known is None or known.is_empty():
        return None
    latest = known["submitted_at"].max()
    return latest if isinstance(latest, dt.datetime) else None
