"""Which step failures deserve a retry, and which fail once and say why.

Transient: HubSpot's 5xx, 429 or no answer after the client's own retries, a write whose
answer was lost (a rerun resolves it by key), a lost state-store connection. The step's
`TRANSIENT` retry policy retries those with exponential backoff. Deterministic: a bad or
missing token (401/403), bad settings, a portal whose properties clash, an unknown
pipeline, a source that is not there — retrying changes nothing, so the step fails at once
(`Failure(allow_retries=False)`) with the error's own sentence. Whole runs are retried only
when they fail outside a step (a killed run worker): see `run_retries` in dagster.yaml.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Backoff, Failure, Jitter, RetryPolicy
from sqlalchemy.exc import DBAPIError, OperationalError

from moulin_sync.hubspot.client.errors import (
    HubSpotAmbiguousWrite,
    HubSpotApiError,
    HubSpotConnectionError,
)
from moulin_sync.hubspot.sync.state_db import StateStoreError

TRANSIENT = RetryPolicy(
    max_retries=3, delay=20, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, HubSpotConnectionError | HubSpotAmbiguousWrite | OperationalError):
        return True
    if isinstance(exc, HubSpotApiError):
        return exc.status >= 500 or exc.status == 429
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    if isinstance(exc, StateStoreError):
        # Raised once its own retries gave up on a store that stopped answering; a store
        # that cannot be opened at all is a setting to fix.
        return not any(p in str(exc) for p in ("cannot open", "no sync state"))
    return False


@contextmanager
def failures_classified() -> Iterator[None]:
    """Let transient failures reach the retry policy; turn the others into a Failure that
    is not retried, whose description is the error's first line."""
    try:
        yield
    except Failure:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Failure(description=text, allow_retries=False) from exc
