#!/usr/bin/env python3
"""Writes per second against a running mock: `state_load.py URL COMPANY PUBLIC PRIVATE CLIENT_ID
CONNECTIONS SECONDS`. Each connection is a keep-alive HTTP/1.1 socket that POSTs
/service/tickets in a loop, one request at a time; prints requests/s and p50/p99 latency.
Used for docs/state.md's state-file figures (asyncio, one client process on the same machine)."""

import asyncio
import base64
import json
import sys
import time


async def worker(host, port, head, deadline, lat, errors, wid):
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    while time.monotonic() < deadline:
        body = json.dumps({"summary": f"load {wid}-{i}", "company": {"identifier": "AcmeCorp"}}).encode()
        req = head + f"content-length: {len(body)}\r\n\r\n".encode() + body
        t0 = time.perf_counter()
        writer.write(req)
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.lower() == "content-length":
                length = int(v)
        await reader.readexactly(length)
        lat.append(time.perf_counter() - t0)
        if not status_line.startswith(b"HTTP/1.1 201"):
            errors.append(status_line)
        i += 1
    writer.close()


async def main():
    url, company, public, private, client_id, conns, secs = sys.argv[1:8]
    hostport = url.split("//", 1)[1]
    host, port = hostport.rsplit(":", 1)
    auth = base64.b64encode(f"{company}+{public}:{private}".encode()).decode()
    head = (
        f"POST /v4_6_release/apis/3.0/service/tickets HTTP/1.1\r\nhost: {hostport}\r\n"
        f"authorization: Basic {auth}\r\nclientid: {client_id}\r\ncontent-type: application/json\r\n"
    ).encode()
    lat, errors = [], []
    start = time.monotonic()
    deadline = start + float(secs)
    await asyncio.gather(*(worker(host, int(port), head, deadline, lat, errors, w) for w in range(int(conns))))
    took = time.monotonic() - start
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000
    print(f"{conns} connections: {len(lat) / took:.0f} req/s, p50 {pct(0.5):.2f} ms, p99 {pct(0.99):.2f} ms, {len(errors)} errors")


asyncio.run(main())
