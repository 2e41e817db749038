"""Typeform's settings: on when TYPEFORM_TOKEN and TYPEFORM_FORM_ID are set."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOKEN = "TYPEFORM_TOKEN"
FORM_ID = "TYPEFORM_FORM_ID"


def typeform_is_on() -> bool:
    """Both the token and the form are set: the NPS stream runs."""
    return bool(os.environ.get(TOKEN, "").strip() and os.environ.get(FORM_ID, "").strip())


class TypeformSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=TOKEN,
        description="A Typeform personal access token with the responses:read and "
        "forms:read scopes (secret).",
    )
    form_id: str = Field(
        default="",
        validation_alias=FORM_ID,
        description="The NPS survey's form id (the part after /to/ in its link).",
    )
    base_url: str = Field(
        default="https://api.typeform.com",
        validation_alias="TYPEFORM_BASE_URL",
        description="Typeform's API: https://api.eu.typeform.com for EU accounts, or the "
        "emulator's address.",
    )
    nps_field_ref: str = Field(
        default="nps",
        validation_alias="TYPEFORM_NPS_FIELD_REF",
        description="The `ref` of the form's score question (opinion scale or NPS).",
    )
    comment_field_ref: str = Field(
        default="comment",
        validation_alias="TYPEFORM_COMMENT_FIELD_REF",
        description="The `ref` of the form's comment question (long text).",
    )

    @field_validator("base_url")
    @classmethod
    def _is_web_address(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(
                "not a web address; expected https://api.typeform.com (EU accounts: "
                "https://api.eu.typeform.com; or the emulator's, e.g. http://127.0.0.1:8091)"
            )
        return value.rstrip("/")

    @field_validator("form_id", "nps_field_ref", "comment_field_ref")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()
