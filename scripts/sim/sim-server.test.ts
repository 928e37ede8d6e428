import { createParser } from 'eventsource-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { preciseNowMs, type SimServer, startSimServer } from './sim-server.ts';

// Real sockets and real time: bounds are generous, only orders of magnitude are checked.

let servers: SimServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(config: unknown): Promise<SimServer> {
  const server = await startSimServer({ port: 0, config });
  servers.push(server);
  return server;
}

interface Received {
  headersAtMs: number;
  events: { atMs: number; data: string }[];
  error: unknown;
}

/** Streams a chat completion, stamping every event with the time its read resolved. */
async function streamChat(
  server: SimServer,
  body: Record<string, unknown>,
  init: { requestId?: string; signal?: AbortSignal; stopAfterTokens?: number } = {},
): Promise<Received> {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.requestId ? { 'x-request-id': init.requestId } : {}),
    },
    body: JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'a b c' }],
      stream: true,
      ...body,
    }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const headersAtMs = preciseNowMs();
  expect(res.status).toBe(200);
  const events: Received['events'] = [];
  let atMs = 0;
  const parser = createParser({ onEvent: (e) => events.push({ atMs, data: e.data }) });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let error: unknown;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      atMs = preciseNowMs();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      const tokens = events.filter((e) => e.data.includes('"content":" tok')).length;
      if (init.stopAfterTokens !== undefined && tokens >= init.stopAfterTokens) {
        await reader.cancel();
        break;
      }
    }
  } catch (e) {
    error = e;
  }
  return { headersAtMs, events, error };
}

const tokenEvents = (r: Received) => r.events.filter((e) => e.data.includes('"content":" tok'));

describe('sim server (Node)', () => {
  it('flushes every chunk as it is made: the first token arrives long before the last', async () => {
    const server = await start({ jitter: 0, prefill_base_ms: 20, decode_ms_per_token: 40 });
    const sentAt = preciseNowMs();
    const r = await streamChat(server, { max_tokens: 8 }, { requestId: 'flush-1' });
    const tokens = tokenEvents(r);
    expect(tokens).toHaveLength(8);
    expect(r.events.at(-1)?.data).toBe('[DONE]');
    const first = tokens[0]?.atMs ?? NaN;
    const last = tokens.at(-1)?.atMs ?? NaN;
    // 7 decode steps of 40 ms separate them; buffering would collapse the gap.
    expect(last - first).toBeGreaterThan(150);
    expect(first - sentAt).toBeLessThan(1000);
    // Headers (and the role chunk) come before prefill ends.
    expect(r.headersAtMs).toBeLessThanOrEqual(first);
    // The server's send log matches what the client received, chunk for chunk.
    const log = server.chunkLog.get('flush-1') ?? [];
    expect(log).toHaveLength(tokens.length);
    log.forEach((entry, i) => {
      const receivedAt = tokens[i]?.atMs ?? NaN;
      expect(receivedAt).toBeGreaterThanOrEqual(entry.sentAtMs - 1);
      expect(receivedAt - entry.sentAtMs).toBeLessThan(500);
    });
  });

  it('queues beyond max_sequences and answers 429 beyond queue_limit', async () => {
    const server = await start({
      jitter: 0,
      prefill_base_ms: 10,
      decode_ms_per_token: 20,
      capacity: { max_sequences: 1, queue_limit: 1 },
    });
    const t0 = preciseNowMs();
    const a = streamChat(server, { max_tokens: 10 });
    const b = streamChat(server, { max_tokens: 2 });
    await new Promise((r) => setTimeout(r, 50));
    const rejected = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', prompt: 'x', max_tokens: 2 }),
    });
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('1');
    const [ra, rb] = await Promise.all([a, b]);
    // b's first token waits for a's whole stream (≥ 10 + 9 × 20 ms).
    expect((tokenEvents(rb)[0]?.atMs ?? 0) - t0).toBeGreaterThan(150);
    expect(tokenEvents(rb)[0]?.atMs ?? 0).toBeGreaterThanOrEqual(tokenEvents(ra).at(-1)?.atMs ?? Infinity);
    expect(server.stats()).toMatchObject({ completed: 2, rejected: 1, active: 0 });
  });

  it('a client that goes away frees its slot at once', async () => {
    const server = await start({
      jitter: 0,
      prefill_base_ms: 10,
      decode_ms_per_token: 20,
      capacity: { max_sequences: 1 },
    });
    const ac = new AbortController();
    const long = streamChat(server, { max_tokens: 10_000 }, { signal: ac.signal, stopAfterTokens: 2 });
    const next = streamChat(server, { max_tokens: 2 });
    await long;
    const cancelledAt = preciseNowMs();
    const r = await next;
    expect((tokenEvents(r)[0]?.atMs ?? Infinity) - cancelledAt).toBeLessThan(1000);
    expect(r.events.at(-1)?.data).toBe('[DONE]');
    expect(server.stats()).toMatchObject({ active: 0, queued: 0, aborted: 1 });
  });

  it('a simulated disconnect drops the connection without [DONE]', async () => {
    const server = await start({
      jitter: 0,
      prefill_base_ms: 5,
      decode_ms_per_token: 5,
      errors: { disconnect_rate: 1 },
    });
    const r = await streamChat(server, { max_tokens: 20 });
    expect(r.error).toBeDefined();
    expect(r.events.some((e) => e.data === '[DONE]')).toBe(false);
    expect(tokenEvents(r).length).toBeLessThan(20);
    // Non-streaming: the connection drops before the body (here before the headers).
    const plain = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'a' }], max_tokens: 3 }),
    }).then((res) => res.text());
    await expect(plain).rejects.toBeDefined();
    expect(server.stats()).toMatchObject({ faulted: 2, active: 0 });
  });

  it('requires the API key when configured and closes with streams open', async () => {
    const server = await start({ api_key: 'secret', prefill_base_ms: 5, decode_ms_per_token: 50 });
    const models = (auth?: string) =>
      fetch(`${server.url}/v1/models`, auth ? { headers: { authorization: auth } } : {});
    expect((await models()).status).toBe(401);
    expect((await models('Bearer secret')).status).toBe(200);
    const open = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret' },
      body: JSON.stringify({
        model: 'm',
        messages: [{ role: 'user', content: 'a' }],
        max_tokens: 1000,
        stream: true,
      }),
    });
    const res = await open;
    expect(res.status).toBe(200);
    const body = res.text().catch(() => 'aborted');
    await server.close();
    servers = [];
    expect(await body).toBe('aborted');
  });
});
