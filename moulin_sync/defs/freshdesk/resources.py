"""Freshdesk, as the tickets asset and the refresh job reach it (FRESHDESK_* variables)."""

from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field, SecretStr

from moulin_sync.sources.freshdesk.client import FreshdeskClient
from moulin_sync.sources.freshdesk.pull import PER_PAGE
from moulin_sync.sources.freshdesk.settings import (
    API_KEY,
    DOMAIN,
    FreshdeskSettings,
    domain_address,
    freshdesk_is_on,
)
from moulin_sync.sources.freshdesk.source import client_of


class Freshdesk(ConfigurableResource):
    """The support desk on Freshdesk; unset (its API key empty) when Freshdesk is off."""

    domain: str = Field(default="", description="The account's subdomain (FRESHDESK_DOMAIN).")
    api_key: str = Field(default="", description="An agent's API key (FRESHDESK_API_KEY).")
    base_url: str = Field(
        default="",
        description="Freshdesk's address (FRESHDESK_BASE_URL; default "
        "https://<domain>.freshdesk.com).",
    )
    plan: str = Field(default="growth", description="The plan, for its limits (FRESHDESK_PLAN).")
    # Tickets a page: Freshdesk's most, 100; tests make it small to meet the 300-page cap.
    per_page: int = Field(default=PER_PAGE, ge=1, le=PER_PAGE)

    def __repr_args__(self) -> Any:
        # Pydantic's repr would print the key.
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "api_key" and value else value)

    def config(self) -> FreshdeskSettings:
        """Its settings, as `moulin_sync.sources.FRESHDESK` takes them."""
        return FreshdeskSettings(
            domain=self.domain,
            api_key=SecretStr(self.api_key),
            base_url=self.base_url,  # "": the domain's address
            plan=self.plan,  # type: ignore[arg-type]
        )

    def client(self) -> FreshdeskClient:
        return client_of(self.config())

    @property
    def address(self) -> str:
        return self.base_url or domain_address(self.domain)


def resources(settings: Any) -> dict[str, ConfigurableResource]:
    """Freshdesk's resource, for `defs/resources.py` to collect: from the environment when
    it is on (the key only ever as an EnvVar, never shown), unset when it is off."""
    if not freshdesk_is_on():
        return {"freshdesk": Freshdesk()}
    from moulin_sync.defs.resources import from_env
    from moulin_sync.settings import load

    found = load(FreshdeskSettings, fallback=API_KEY)
    return {
        "freshdesk": Freshdesk(
            domain=EnvVar(DOMAIN),
            api_key=EnvVar(API_KEY),
            base_url=from_env(found, "base_url") if "base_url" in found.model_fields_set else "",
            plan=from_env(found, "plan"),
        )
    }
