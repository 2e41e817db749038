"""Airbyte's HubSpot source as a process: its command line pointed at the TLS proxy and
its authority, its configured catalogs, and what its messages say (records, state)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

Message = dict[str, Any]


@contextlib.contextmanager
def trusted(python: Path, authority: Path) -> Iterator[None]:
    """The connector venv's certifi bundle trusts `authority` for the block, then is
    restored: the CDK sends with requests' default bundle, which ignores
    REQUESTS_CA_BUNDLE, as a system trust store would be extended."""
    where = subprocess.run([str(python), "-c", "import certifi; print(certifi.where())"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    bundle = Path(where)
    saved = bundle.with_suffix(".pem.before-fidelity")
    if not saved.exists():
        shutil.copyfile(bundle, saved)
    bundle.write_bytes(saved.read_bytes() + b"\n" + authority.read_bytes())
    try:
        yield
    finally:
        shutil.copyfile(saved, bundle)
        saved.unlink()


class Connector:
    """`source-hubspot` run with the proxy in its environment and a private-app token."""

    def __init__(self, command: str, folder: Path, proxy_port: int, authority: Path, token: str) -> None:  # fmt: skip
        self.command = command
        self.folder = folder
        proxy = f"http://127.0.0.1:{proxy_port}"
        self.env = {**os.environ, "HTTPS_PROXY": proxy, "https_proxy": proxy,
                    "REQUESTS_CA_BUNDLE": str(authority), "SSL_CERT_FILE": str(authority),
                    "NO_PROXY": "", "no_proxy": ""}  # fmt: skip
        self.config = folder / "config.json"
        self.config.write_text(json.dumps({
            "credentials": {"credentials_title": "Private App Credentials", "access_token": token},
            "start_date": "2018-01-01T00:00:00Z",  # before the portal's own history
        }))  # fmt: skip

    def run(self, *args: str) -> list[Message]:
        """Run one command; its Airbyte messages (a failed process raises, with its log)."""
        started = time.monotonic()
        proc = subprocess.run([self.command, *args, "--config", str(self.config)],
                              capture_output=True, text=True, env=self.env, timeout=900)  # fmt: skip
        messages = []
        for line in proc.stdout.splitlines():
            with contextlib.suppress(ValueError):
                messages.append(json.loads(line))
        errors = [m["trace"]["error"]["message"] for m in messages
                  if m.get("type") == "TRACE" and m["trace"].get("type") == "ERROR"]  # fmt: skip
        print(f"  {args[0]}: exit {proc.returncode}, {len(messages)} messages, "
              f"{time.monotonic() - started:.1f} s")  # fmt: skip
        if proc.returncode != 0 or errors:
            tail = "\n".join(proc.stdout.splitlines()[-15:]) + proc.stderr[-2000:]
            raise RuntimeError(f"{args[0]} failed: {errors or ''}\n{tail}")
        return messages

    def read(self, catalog: dict[str, Any], state: list[Any] | None) -> list[Message]:
        catalog_path = self.folder / "catalog.json"
        catalog_path.write_text(json.dumps(catalog))
        args = ["read", "--catalog", str(catalog_path)]
        if state is not None:
            state_path = self.folder / "state.json"
            state_path.write_text(json.dumps(state))
            args += ["--state", str(state_path)]
        return self.run(*args)


def configured_catalog(discovered: dict[str, Any], incremental: tuple[str, ...],
                       full: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    streams = []
    for stream in discovered["streams"]:
        name = stream["name"]
        if name in incremental or name in full:
            streams.append({
                "stream": stream, "destination_sync_mode": "append",
                "sync_mode": "incremental" if name in incremental else "full_refresh",
                "cursor_field": stream.get("default_cursor_field", []) if name in incremental else [],
            })  # fmt: skip
    return {"streams": streams}


@dataclass
class StreamRead:
    """The records one stream returned: how often each id, and each one's updatedAt."""

    counts: Counter[str] = field(default_factory=Counter)
    updated: dict[str, str] = field(default_factory=dict)


def records(messages: list[Message]) -> dict[str, StreamRead]:
    out: dict[str, StreamRead] = {}
    for m in messages:
        if m.get("type") == "RECORD":
            data = m["record"]["data"]
            read = out.setdefault(m["record"]["stream"], StreamRead())
            rid = str(data.get("id", data.get("pipelineId", "")))
            read.counts[rid] += 1
            read.updated[rid] = str(data.get("updatedAt", ""))
    return out


def final_state(messages: list[Message]) -> list[Any]:
    """The last state message of each stream, as `read --state` takes them."""
    last: dict[str, Any] = {}
    for m in messages:
        if m.get("type") == "STATE":
            state = m["state"]
            name = state.get("stream", {}).get("stream_descriptor", {}).get("name", "")
            last[name] = state
    return list(last.values())


def cursor_values(state: list[Any]) -> dict[str, str]:
    """Each stream's cursor value (`updatedAt`) in `state`."""
    return {
        s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"].get("updatedAt", "")
        for s in state
        if s.get("type") == "STREAM"
    }


def same_instant(a: str, b: str) -> bool:
    def parse(value: str) -> datetime | None:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None

    return parse(a) is not None and parse(a) == parse(b)
