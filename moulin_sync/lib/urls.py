"""Database URLs: one dialect list, and a way to show a URL without its password."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

SUPPORTED_URL_SCHEMES = ("sqlite", "postgresql")


def redacted(url: str | URL) -> str:
    """The URL as a person may see it: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL may still hold a secret: show nothing of it
        return "<unparsable URL>"


def sqlalchemy_url(url: str) -> URL:
    """The URL SQLAlchemy should use: psycopg2 for PostgreSQL (psycopg 3 is not installed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def connectorx_url(url: str) -> str:
    """The URL connectorx reads from: a bare scheme and an absolute SQLite path."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        from pathlib import Path

        return f"sqlite://{Path(parsed.database or '').resolve()}"
    return parsed.set(drivername=backend).render_as_string(hide_password=False)
