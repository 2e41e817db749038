"""Throughput of the HubSpot emulator: batch upserts of 100 contacts by email.

    .venv/bin/python bench/emulator_throughput.py [--seconds 10] [--clients 8]

Starts the emulator (tier unlimited, in-memory state) in a subprocess, fires batch upserts of
100 contacts with idProperty=email from a few concurrent raw-httpx clients for ~10 s, and
prints calls/s and records/s. The target is >= 200 calls/s (20,000 records/s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx

from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

BATCH = 100
PATH = "/crm/v3/objects/contacts/batch/upsert"


def payloads(n_batches: int) -> list[bytes]:
    out = []
    for b in range(n_batches):
        inputs = [
            {
                "idProperty": "email",
                "id": f"bench-{b}-{i}@example.com",
                "properties": {
                    "firstname": f"First{i}",
                    "lastname": f"Last{b}",
                    "phone": "+33 1 23 45 67 89",
                    "company": "Le Moulin",
                    "lifecyclestage": "customer",
                },
            }
            for i in range(BATCH)
        ]
        out.append(json.dumps({"inputs": inputs}).encode())
    return out


async def client_loop(
    base_url: str, token: str, bodies: list[bytes], offset: int, stop_at: float, counts: list[int]
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        i = offset
        while time.perf_counter() < stop_at:
            r = await http.post(PATH, content=bodies[i % len(bodies)])
            if r.status_code != 200:
                raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
            counts[0] += 1
            i += 1


async def raw_client_loop(
    base_url: str, token: str, bodies: list[bytes], offset: int, stop_at: float, counts: list[int]
) -> None:
    """A minimal HTTP/1.1 keep-alive client, so the client's CPU does not hide the server's."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    requests = [head + str(len(b)).encode() + b"\r\n\r\n" + b for b in bodies]
    i = offset
    try:
        while time.perf_counter() < stop_at:
            writer.write(requests[i % len(requests)])
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            if b" 200 " not in status_line:
                raise RuntimeError(f"{status_line!r}: {body[:300]!r}")
            counts[0] += 1
            i += 1
    finally:
        writer.close()


async def run(base_url: str, token: str, seconds: float, clients: int, raw: bool = True) -> int:
    bodies = payloads(200)  # 20,000 distinct contacts: first pass creates, later passes update
    counts = [0]
    stop_at = time.perf_counter() + seconds
    loop = raw_client_loop if raw else client_loop
    await asyncio.gather(
        *(loop(base_url, token, bodies, k * 25, stop_at, counts) for k in range(clients))
    )
    return counts[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to report server cost per call."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--httpx",
        action="store_true",
        help="use httpx.AsyncClient instead of the minimal raw client",
    )
    args = parser.parse_args()
    raw = not args.httpx
    with run_hubspot_emulator(tier="unlimited") as hs:
        asyncio.run(run(hs.base_url, hs.token, 1.0, args.clients, raw))  # warm-up
        assert hs.process is not None
        cpu_before = cpu_seconds(hs.process.pid)
        started = time.perf_counter()
        calls = asyncio.run(run(hs.base_url, hs.token, args.seconds, args.clients, raw))
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(hs.process.pid) - cpu_before
        total = len(hs.admin.state()["objects"]["contacts"])
    kind = "raw" if raw else "httpx"
    print(
        f"{calls} batch upserts of {BATCH} contacts in {elapsed:.1f} s, {args.clients} {kind} clients"
    )
    print(
        f"{calls / elapsed:.0f} calls/s, {calls * BATCH / elapsed:.0f} records/s ({total} contacts stored)"
    )
    per_call = server_cpu / max(calls, 1)
    print(
        f"server CPU {per_call * 1000:.2f} ms/call: {1 / per_call:.0f} calls/s per fully used core"
    )


if __name__ == "__main__":
    main()
