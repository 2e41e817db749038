"""Every setting of moulin-sync, read from the environment in one place.

The defaults are the embedded demo: a generated App du Moulin database, the local
HubSpot emulator and SQLite state under `.moulin/`. Production overrides them with
environment variables (see README, "Settings").
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlparse

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as UnparsableSetting
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from moulin_sync.lib.places import DEMO_DIR
from moulin_sync.lib.urls import SUPPORTED_URL_SCHEMES

if TYPE_CHECKING:
    from moulin_sync.hubspot.streams.spec import PipelineSpec

# Live sync: HubSpot brought up to date within a minute of a change at the source.
LiveMode = Literal["on", "off"]
HubSpotTier = Literal["free", "starter", "professional", "enterprise", "unlimited"]
# What becomes of a customer erased at the source: HubSpot's GDPR delete (for good),
# an archive (HubSpot's recycle bin, restorable for 90 days), or nothing.
GdprErasure = Literal["delete", "archive", "ignore"]
# What becomes of a managed property a person changed in HubSpot: reported and left
# (until the source changes it), or written back by the next run.
DriftPolicy = Literal["report", "restore"]


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable and the fix."""


class MoulinSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    source_url: str = Field(
        default=f"sqlite:///{DEMO_DIR}/app_du_moulin.db",
        validation_alias="MOULIN_SOURCE_URL",
        description="SQLAlchemy-style URL of the App du Moulin database (read only).",
    )
    state_url: str = Field(
        default=f"sqlite:///{DEMO_DIR}/sync_state.db",
        validation_alias="MOULIN_STATE_URL",
        description="SQLAlchemy-style URL of the sync state store (never the source DB).",
    )
    data_dir: str = Field(
        default=f"{DEMO_DIR}/data",
        validation_alias="MOULIN_DATA_DIR",
        description="Folder of the Parquet snapshots of source tables and payloads.",
    )
    history_start: dt.date = Field(
        default=dt.date(2019, 1, 1),
        validation_alias="MOULIN_HISTORY_START",
        description="First month of order history (partitions start here).",
    )
    timezone: str = Field(default="Europe/Paris", validation_alias="MOULIN_TIMEZONE")
    hubspot_base_url: str = Field(
        default="https://api.hubapi.com", validation_alias="HUBSPOT_BASE_URL"
    )
    hubspot_access_token: SecretStr | None = Field(
        default=None, validation_alias="HUBSPOT_ACCESS_TOKEN"
    )
    hubspot_tier: HubSpotTier = Field(default="professional", validation_alias="HUBSPOT_TIER")
    gdpr_erasure: GdprErasure = Field(
        default="delete",
        validation_alias="MOULIN_GDPR_ERASURE",
        description="What to do in HubSpot with a customer erased at the source: delete "
        "(GDPR delete, for good), archive (restorable 90 days) or ignore. Their deals lose "
        "the person's name and contact whatever the choice.",
    )
    drift: DriftPolicy = Field(
        default="report",
        validation_alias="MOULIN_DRIFT",
        description="A property moulin-sync manages, changed in HubSpot by someone else: "
        "report it and leave it (report) or have the next run write our value back "
        "(restore).",
    )

    @field_validator("source_url", "state_url")
    @classmethod
    def _is_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                "not a database URL; expected e.g. sqlite:///path/to.db or "
                "postgresql://user@host:5432/dbname"
            ) from exc
        if url.get_backend_name() not in SUPPORTED_URL_SCHEMES:
            raise ValueError(
                f"unsupported database '{url.get_backend_name()}'; use sqlite or postgresql"
            )
        return value

    refresh_secret: SecretStr | None = Field(
        default=None,
        validation_alias="MOULIN_REFRESH_SECRET",
        description="The HubSpot app's client secret, which signs the contact card's "
        "requests to `moulin-sync serve-refresh`.",
    )
    refresh_public_url: str | None = Field(
        default=None,
        validation_alias="MOULIN_REFRESH_PUBLIC_URL",
        description="The address HubSpot calls for the refresh service (e.g. "
        "https://moulin-sync.example.com), when a proxy stands in front of it: the "
        "signature covers the URL HubSpot called.",
    )

    alert_slack_webhook: SecretStr | None = Field(
        default=None,
        validation_alias="MOULIN_ALERT_SLACK_WEBHOOK",
        description="A Slack incoming-webhook URL alerts are posted to (secret).",
    )
    alert_smtp_host: str | None = Field(default=None, validation_alias="MOULIN_ALERT_SMTP_HOST")
    alert_smtp_port: int = Field(default=587, validation_alias="MOULIN_ALERT_SMTP_PORT")
    alert_smtp_user: str | None = Field(default=None, validation_alias="MOULIN_ALERT_SMTP_USER")
    alert_smtp_password: SecretStr | None = Field(
        default=None, validation_alias="MOULIN_ALERT_SMTP_PASSWORD"
    )
    alert_smtp_starttls: bool = Field(default=True, validation_alias="MOULIN_ALERT_SMTP_STARTTLS")
    alert_email_from: str | None = Field(default=None, validation_alias="MOULIN_ALERT_EMAIL_FROM")
    alert_email_to: list[str] = Field(
        default_factory=list,
        validation_alias="MOULIN_ALERT_EMAIL_TO",
        description='JSON list of addresses alerts are mailed to, e.g. ["web@lemoulin.fr"].',
    )
    alert_digest: bool = Field(
        default=False,
        validation_alias="MOULIN_ALERT_DIGEST",
        description="Also send one digest a day of the last day's failures.",
    )
    run_retention_days: int = Field(
        default=90,
        ge=1,
        validation_alias="MOULIN_RUN_RETENTION_DAYS",
        description="Finished Dagster runs, and their event logs, older than this many days "
        "are deleted by the nightly housekeeping.",
    )
    nightly_cron: str = Field(
        default="0 2 * * *",
        validation_alias="MOULIN_NIGHTLY_CRON",
        description="When the nightly sync runs, a cron string in MOULIN_TIMEZONE (default "
        "02:00, when nobody is using HubSpot).",
    )
    live: LiveMode = Field(
        default="off",
        validation_alias="MOULIN_LIVE",
        description="Live sync: on (each source's change sensor launches `live_sync` runs "
        "for what changed, HubSpot current within a minute; `moulin-sync up` turns it on) "
        "or off (the nightly run only; the demo's choice).",
    )
    live_interval: int = Field(
        default=30,
        ge=1,
        le=3600,
        validation_alias="MOULIN_LIVE_INTERVAL",
        description="Seconds between two looks of a live change sensor at its source (one "
        "indexed query per watched table; Dagster's sensor daemon looks every 5 s at most).",
    )
    live_max_lag: int = Field(
        default=600,
        ge=1,
        validation_alias="MOULIN_LIVE_MAX_LAG",
        description="Seconds a change may wait for HubSpot before an alert: the lag is the "
        "oldest change not yet synced.",
    )
    live_max_runtime: int = Field(
        default=1800,
        ge=30,
        validation_alias="MOULIN_LIVE_MAX_RUNTIME",
        description="Seconds a live run may go (waiting for the hubspot_api pool included) "
        "before run monitoring fails it and run retries run it again: a run whose worker "
        "died with its daemon would otherwise stay STARTED. A run of many customers gets "
        "a second more per ten.",
    )
    ui_url: str | None = Field(
        default=None,
        validation_alias="MOULIN_UI_URL",
        description="The Dagster UI's address, for the links in alerts "
        "(e.g. https://dagster.lemoulin.fr).",
    )

    @field_validator("nightly_cron")
    @classmethod
    def _is_cron(cls, value: str) -> str:
        # Dagster's own check, so a value accepted here is one the schedule accepts; imported
        # here as only a value from the environment is checked (defaults are not).
        from moulin_sync.lib.dagster_internals import is_valid_cron_string

        if not is_valid_cron_string(value):
            raise ValueError("not a cron string; expected five fields, e.g. 0 2 * * *")
        return value

    @field_validator("refresh_public_url")
    @classmethod
    def _is_public_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query:
            raise ValueError("not a web address; expected e.g. https://moulin-sync.example.com")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _state_is_not_the_source(self) -> MoulinSettings:
        if make_url(self.state_url) == make_url(self.source_url):
            raise ValueError(
                "MOULIN_STATE_URL must not be the App du Moulin database (MOULIN_SOURCE_URL): "
                "the source stays read-only; give the state store a database of its own"
            )
        return self

    @field_validator("history_start")
    @classmethod
    def _is_first_of_month(cls, value: dt.date) -> dt.date:
        if value.day != 1:
            raise ValueError("must be the first day of a month, e.g. 2019-01-01")
        if value > dt.date.today():
            raise ValueError(
                f"{value} is in the future: the history starts at or before the current month"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _is_time_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone; use an IANA name such as Europe/Paris"
            ) from None
        return value

    @field_validator("hubspot_base_url")
    @classmethod
    def _is_web_address(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(
                "not a web address; expected https://api.hubapi.com (or the emulator's, e.g. "
                "http://127.0.0.1:8089)"
            )
        return value.rstrip("/")


def load_settings() -> MoulinSettings:
    """Read the shared settings, one error per bad variable.

    Values are never echoed back: a URL may carry a password.
    """
    return load(MoulinSettings)


Loaded = TypeVar("Loaded", bound=BaseSettings)


def load(model: type[Loaded], *, fallback: str = "MOULIN_STATE_URL") -> Loaded:
    """Any settings class (the shared one, a source's, a pipeline's) read from the
    environment, pydantic's report turned into one line per bad variable naming it and
    the fix (`fallback`: the variable a whole-model problem is about)."""
    names = {name: field.validation_alias for name, field in model.model_fields.items()}
    try:
        return model()
    except UnparsableSetting as exc:
        found = re.search(r'field "(\w+)"', str(exc))
        variable = names.get(found.group(1), "a variable") if found else "a variable"
        raise SettingsError(
            f"{variable}: not valid JSON; expected an object such as "
            f"{json.dumps({'paid': 'Stage label or id'})}. Fix the environment variable "
            f"{variable}."
        ) from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else fallback
            variable = names.get(field, field)
            reason = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{variable}: {reason}. Fix the environment variable {variable}.")
        raise SettingsError("\n".join(problems)) from None


class PipelineChoice(BaseSettings):
    """Which pipeline a stream's records go to (label or id; unset: moulin-sync's own)
    and which stage each status goes to, over the defaults. Read from the variables its
    `PipelineSpec` names (`pipeline_choice`)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    label: str | None = None
    stages: dict[str, str] = Field(default_factory=dict)


@cache
def _pipeline_settings(
    label_variable: str,
    stages_variable: str,
    statuses: tuple[str, ...],
    noun: str,
    pattern: str | None = None,
) -> type[PipelineChoice]:
    def known_statuses(cls: type, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(
            s for s in set(value) - set(statuses) if pattern is None or not re.fullmatch(pattern, s)
        )
        if unknown:
            others = f" (or any matching {pattern})" if pattern else ""
            raise ValueError(
                f"unknown {noun} {', '.join(map(repr, unknown))}; the statuses are "
                + ", ".join(statuses)
                + others
            )
        return value

    return create_model(
        f"{label_variable.title().replace('_', '')}Settings",
        __base__=PipelineChoice,
        __validators__={"known": field_validator("stages")(classmethod(known_statuses))},
        label=(str | None, Field(default=None, validation_alias=label_variable)),
        stages=(dict[str, str], Field(default_factory=dict, validation_alias=stages_variable)),
    )


def pipeline_choice(spec: PipelineSpec) -> PipelineChoice:
    """The pipeline and stages the environment chooses for `spec` (its variables, e.g.
    MOULIN_DEAL_PIPELINE and MOULIN_DEAL_STAGES), each bad one named in one line."""
    model = _pipeline_settings(
        spec.label_variable,
        spec.stages_variable,
        tuple(spec.default_stage_for_status),
        spec.status_noun,
        spec.status_pattern,
    )
    return load(model, fallback=spec.stages_variable)


@lru_cache(maxsize=1)
def settings() -> MoulinSettings:
    return load_settings()
