"""Shared fixtures: a real PostgreSQL database per test session, demo-sized sources, one
HubSpot emulator per test module."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from moulin_sync.testing.hubspot_emulator import EmulatorHandle, run_hubspot_emulator

POSTGRES_URL = os.environ.get(
    "MOULIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _admin_connection():
    url = make_url(POSTGRES_URL)
    connection = psycopg2.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database or "postgres",
        connect_timeout=5,
    )
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL, or a skip (a failure when CI=true)."""
    try:
        _admin_connection().close()
    except psycopg2.OperationalError as exc:
        message = f"PostgreSQL unreachable at MOULIN_TEST_POSTGRES_URL ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — CI must run the PostgreSQL tests, not skip them.")
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"moulin_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def hubspot() -> Iterator[EmulatorHandle]:
    """A HubSpot emulator with no rate limits, shared by a module's tests (`new_world`
    resets it for each)."""
    with run_hubspot_emulator(tier="unlimited") as handle:
        yield handle
