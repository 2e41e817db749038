"""HubSpot's v3 request signature, as its request-validation page specifies.

`X-HubSpot-Signature-v3` = base64(HMAC-SHA256(app client secret, method + URI + body +
timestamp)), where URI is the full URL HubSpot called — scheme, host, path and query —
with the URL-encoded characters HubSpot lists decoded first, and timestamp is
`X-HubSpot-Request-Timestamp` (epoch milliseconds). A request older than five minutes is
refused. One received twice is still HubSpot's (it retries once after a failure): the
service answers the repeat as it answered the first (`repeats.py`), so a captured request
replayed within the five minutes launches nothing new either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field

MAX_AGE_S = 300.0
# HubSpot decodes these before signing; everything else stays as sent.
_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


class SignatureRefused(Exception):
    """Why a request is not HubSpot's (the message never includes the secret)."""


def signed_uri(uri: str) -> str:
    """The URI as HubSpot signs it: the listed percent-encodings decoded (either case)."""
    out = []
    i = 0
    while i < len(uri):
        chunk = uri[i : i + 3].upper()
        if uri[i] == "%" and chunk in _DECODED:
            out.append(_DECODED[chunk])
            i += 3
        else:
            out.append(uri[i])
            i += 1
    return "".join(out)


def sign(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The signature HubSpot would send for this request."""
    message = method.upper().encode() + signed_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class SignatureCheck:
    """Verifies requests with the app's client secret."""

    secret: str
    max_age_s: float = MAX_AGE_S
    clock: object = field(default=time.time, repr=False)

    def __repr__(self) -> str:  # never print the secret
        return "SignatureCheck(secret=***)"

    def verify(
        self, method: str, uri: str, body: bytes, signature: str | None, timestamp: str | None
    ) -> None:
        if not signature or not timestamp:
            raise SignatureRefused(
                "missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp header"
            )
        if not timestamp.isdigit():
            raise SignatureRefused("X-HubSpot-Request-Timestamp is not epoch milliseconds")
        now = self.clock()  # type: ignore[operator]
        age = now - int(timestamp) / 1000
        if age > self.max_age_s:
            raise SignatureRefused(
                f"the request is {age:.0f} s old; HubSpot's are fresher than 5 min"
            )
        if age < -self.max_age_s:
            raise SignatureRefused("the request's timestamp is in the future")
        expected = sign(self.secret, method, uri, body, timestamp)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise SignatureRefused(
                "the signature does not match (wrong secret, or a changed request)"
            )
