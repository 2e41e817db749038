"""Freshdesk's settings: on when FRESHDESK_DOMAIN and FRESHDESK_API_KEY are set."""

from __future__ import annotations

import os
import re
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DOMAIN = "FRESHDESK_DOMAIN"
API_KEY = "FRESHDESK_API_KEY"
BASE_URL = "FRESHDESK_BASE_URL"
PLAN = "FRESHDESK_PLAN"
# Freshdesk's plans (their per-minute API limits pace the pull); "unlimited" is the
# emulator's, without limits.
Plan = Literal["growth", "pro", "enterprise", "unlimited"]


def freshdesk_is_on() -> bool:
    """Both the domain and the API key are set: the tickets stream runs."""
    return bool(os.environ.get(DOMAIN, "").strip() and os.environ.get(API_KEY, "").strip())


def domain_address(domain: str) -> str:
    return f"https://{domain}.freshdesk.com"


class FreshdeskSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    domain: str = Field(
        default="",
        validation_alias=DOMAIN,
        description="The account's subdomain: lemoulin for https://lemoulin.freshdesk.com.",
    )
    api_key: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=API_KEY,
        description="An agent's API key (Profile settings → View API key) (secret).",
    )
    base_url: str = Field(
        default="",
        validation_alias=BASE_URL,
        description="Freshdesk's address; default https://<FRESHDESK_DOMAIN>.freshdesk.com "
        "(the emulator's, e.g. http://127.0.0.1:8765).",
    )
    plan: Plan = Field(
        default="growth",
        validation_alias=PLAN,
        description="The account's plan, whose per-minute API limits pace the pull: growth "
        "(the lowest, the default), pro or enterprise.",
    )

    @field_validator("domain")
    @classmethod
    def _is_subdomain(cls, value: str) -> str:
        value = value.strip().lower().removesuffix(".freshdesk.com")
        if value and not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", value):
            raise ValueError(
                "not a Freshdesk subdomain; expected the part before .freshdesk.com, e.g. lemoulin"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _is_web_address(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(
                "not a web address; expected https://<domain>.freshdesk.com (or the "
                "emulator's, e.g. http://127.0.0.1:8765)"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _address(self) -> FreshdeskSettings:
        if not self.base_url and self.domain:
            object.__setattr__(self, "base_url", domain_address(self.domain))
        return self
