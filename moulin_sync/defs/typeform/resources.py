"""Typeform, as the NPS assets and the refresh job reach it (TYPEFORM_* variables)."""

from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field, SecretStr

from moulin_sync.sources.typeform.client import TypeformClient
from moulin_sync.sources.typeform.settings import TypeformSettings, typeform_is_on


class Typeform(ConfigurableResource):
    """The NPS survey on Typeform; unset (its token empty) when Typeform is off."""

    token: str = Field(default="", description="Personal access token (TYPEFORM_TOKEN).")
    form_id: str = Field(default="", description="The NPS survey's form id (TYPEFORM_FORM_ID).")
    base_url: str = Field(
        default="https://api.typeform.com", description="Typeform's API (TYPEFORM_BASE_URL)."
    )
    nps_field_ref: str = Field(default="nps", description="TYPEFORM_NPS_FIELD_REF.")
    comment_field_ref: str = Field(default="comment", description="TYPEFORM_COMMENT_FIELD_REF.")

    def __repr_args__(self) -> Any:
        # Pydantic's repr would print the token.
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "token" and value else value)

    def config(self) -> TypeformSettings:
        """Its settings, as `moulin_sync.sources.TYPEFORM` takes them."""
        return TypeformSettings(
            token=SecretStr(self.token),
            form_id=self.form_id,
            base_url=self.base_url,
            nps_field_ref=self.nps_field_ref,
            comment_field_ref=self.comment_field_ref,
        )

    def client(self) -> TypeformClient:
        return TypeformClient(self.base_url, self.token)


def resources(settings: Any) -> dict[str, ConfigurableResource]:
    """Typeform's resource, for `defs/resources.py` to collect: from the environment when
    it is on (the token only ever as an EnvVar, never shown), unset when it is off."""
    if not typeform_is_on():
        return {"typeform": Typeform()}
    from moulin_sync.defs.resources import from_env
    from moulin_sync.settings import load

    found = load(TypeformSettings, fallback="TYPEFORM_TOKEN")
    return {
        "typeform": Typeform(
            token=EnvVar("TYPEFORM_TOKEN"),
            form_id=EnvVar("TYPEFORM_FORM_ID"),
            base_url=from_env(found, "base_url"),
            nps_field_ref=from_env(found, "nps_field_ref"),
            comment_field_ref=from_env(found, "comment_field_ref"),
        )
    }
