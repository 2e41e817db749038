"""Credentials a service accepts: a bearer token (HubSpot, Typeform) or HTTP basic auth
with an API key as the user (Freshdesk). Compared in constant time; never logged."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

RawHeaders = Iterable[tuple[bytes, bytes]]


def authorization(headers: RawHeaders) -> bytes | None:
    for name, value in headers:
        if name == b"authorization":
            return value
    return None


class Auth(Protocol):
    def accepts(self, headers: RawHeaders) -> bool:
        """True when the request's headers carry the service's credential."""
        ...

    def headers(self) -> dict[str, str]:
        """The headers a client (the admin client, a test) sends to be let in."""
        ...


@dataclass(frozen=True)
class BearerAuth:
    """`Authorization: Bearer <token>`; `any_case`: the scheme in any case (`bearer`)."""

    token: str
    any_case: bool = False

    def accepts(self, headers: RawHeaders) -> bool:
        value = authorization(headers)
        if value is None:
            return False
        scheme, _, credential = value.partition(b" ")
        if scheme != b"Bearer" and not (self.any_case and scheme.lower() == b"bearer"):
            return False
        return hmac.compare_digest(credential, self.token.encode())

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class BasicAuth:
    """`Authorization: Basic base64(user:password)`; `password` None accepts any password."""

    user: str
    password: str | None = None

    def accepts(self, headers: RawHeaders) -> bool:
        value = authorization(headers)
        if value is None or value[:6].lower() != b"basic ":
            return False
        try:
            decoded = base64.b64decode(value[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(b":")
        if not sep or not hmac.compare_digest(user, self.user.encode()):
            return False
        return self.password is None or hmac.compare_digest(password, self.password.encode())

    def headers(self) -> dict[str, str]:
        pair = f"{self.user}:{self.password if self.password is not None else 'X'}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
