"""Requests to the service as HubSpot signs them, and the same with a part changed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx

from .conftest import SECRET, Service

QUERY = "userId=42&userEmail=ann%40mill.fr&portalId=123&appId=9"


def hubspot_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """As HubSpot's request-validation page says: @ and the like decoded in the URI."""
    uri = uri.replace("%40", "@").replace("%3A", ":").replace("%2F", "/")
    message = f"{method}{uri}".encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signed(
    service: Service,
    method: str,
    path: str,
    body: dict | None = None,
    *,
    secret: str = SECRET,
    age_s: float = 0,
    query: str = QUERY,
    sent_query: str | None = None,
    sent_body: bytes | None = None,
    timestamp_ms: int | None = None,
) -> httpx.Request:
    raw = json.dumps(body).encode() if body is not None else b""
    timestamp = str(timestamp_ms or int((time.time() - age_s) * 1000))
    uri = f"{service.url}{path}?{query}"
    headers = {
        "X-HubSpot-Signature-v3": hubspot_signature(secret, method, uri, raw, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    url = f"{service.url}{path}?{sent_query if sent_query is not None else query}"
    return httpx.Request(method, url, headers=headers, content=sent_body or raw)


def status_request(service: Service, contact_id: str) -> httpx.Request:
    return signed(service, "GET", "/hubspot/contact-status", query=f"objectId={contact_id}&{QUERY}")


def send(request: httpx.Request) -> httpx.Response:
    with httpx.Client(timeout=60) as http:
        return http.send(request)
