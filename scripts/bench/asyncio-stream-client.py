"""A Python asyncio streaming client, a same-run baseline of `npm run bench:streams`.

N closed-loop streams against one OpenAI chat endpoint, one timestamp per read, events parsed
with json.loads. With aiohttp installed it uses aiohttp (the core of vLLM's benchmark client);
without it, plain asyncio streams speaking HTTP/1.1 (chunked). Prints {records, cpu_ms, client}
as JSON, records shaped like fluidbench's (id, sent_at_ms, chunks as [offset ms, tokens]).

    python3 scripts/bench/asyncio-stream-client.py URL STREAMS DURATION_S TOKENS PREFIX
"""

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

URL, STREAMS, DURATION, TOKENS, PREFIX = (
    sys.argv[1],
    int(sys.argv[2]),
    float(sys.argv[3]),
    int(sys.argv[4]),
    sys.argv[5],
)
BODY = json.dumps(
    {"model": "t", "stream": True, "max_tokens": TOKENS, "messages": [{"role": "user", "content": "hello " * 64}]}
).encode()
records = []


def now_ms():
    return time.time_ns() / 1e6


class Events:
    def __init__(self):
        self.buffer = b""

    def tokens(self, data):
        self.buffer += data
        n = 0
        while b"\n\n" in self.buffer:
            event, self.buffer = self.buffer.split(b"\n\n", 1)
            if event.startswith(b"data: ") and event[6:] != b"[DONE]":
                parsed = json.loads(event[6:])
                choices = parsed.get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    n += 1
        return n


async def one_aiohttp(session, rid):
    sent = now_ms()
    chunks = []
    events = Events()
    async with session.post(URL, data=BODY, headers={"content-type": "application/json", "x-request-id": rid}) as r:
        async for data in r.content.iter_any():
            at = now_ms() - sent
            n = events.tokens(data)
            if n:
                chunks.append([at, n])
    records.append({"id": rid, "sent_at_ms": sent, "chunks": chunks})


async def one_raw(rid):
    u = urlsplit(URL)
    sent = now_ms()
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    head = (
        f"POST {u.path} HTTP/1.1\r\nhost: {u.netloc}\r\ncontent-type: application/json\r\n"
        f"x-request-id: {rid}\r\ncontent-length: {len(BODY)}\r\nconnection: close\r\n\r\n"
    )
    writer.write(head.encode() + BODY)
    await writer.drain()
    chunks = []
    events = Events()
    header = b""
    while b"\r\n\r\n" not in header:
        header += await reader.read(65536)
    raw = header.split(b"\r\n\r\n", 1)[1]
    pending = b""  # chunked transfer framing, undone per read

    def unchunk(data):
        nonlocal pending
        pending += data
        out = b""
        while True:
            line_end = pending.find(b"\r\n")
            if line_end < 0:
                return out, False
            size = int(pending[:line_end], 16)
            if size == 0:
                return out, True
            if len(pending) < line_end + 2 + size + 2:
                return out, False
            out += pending[line_end + 2 : line_end + 2 + size]
            pending = pending[line_end + 2 + size + 2 :]

    data, finished = unchunk(raw)
    at = now_ms() - sent
    while True:
        n = events.tokens(data)
        if n:
            chunks.append([at, n])
        if finished:
            break
        got = await reader.read(65536)
        at = now_ms() - sent
        if not got:
            break
        data, finished = unchunk(got)
    writer.close()
    records.append({"id": rid, "sent_at_ms": sent, "chunks": chunks})


async def main():
    try:
        import aiohttp  # noqa: PLC0415
    except ImportError:
        aiohttp = None
    until = time.monotonic() + DURATION
    seq = [0]

    def next_id():
        seq[0] += 1
        return f"{PREFIX}-{seq[0]}"

    cpu0 = time.process_time()
    if aiohttp:
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as session:

            async def loop():
                while time.monotonic() < until:
                    await one_aiohttp(session, next_id())

            await asyncio.gather(*(loop() for _ in range(STREAMS)))
    else:

        async def loop():
            while time.monotonic() < until:
                await one_raw(next_id())

        await asyncio.gather(*(loop() for _ in range(STREAMS)))
    cpu_ms = (time.process_time() - cpu0) * 1000
    client = "aiohttp" if aiohttp else "asyncio-raw"
    sys.stdout.write(json.dumps({"records": records, "cpu_ms": cpu_ms, "client": client}))


asyncio.run(main())
