import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRecordSchema } from '../record/request-record.ts';
import { adapterFor } from './adapters.ts';
import { HeaderWaitGauge } from './header-wait-gauge.ts';
import { type StreamRequestInput, type StreamResult, streamRequest } from './stream-request.ts';
import { parseTarget, type TargetInput } from './target-config.ts';
import { type LoopbackServer, type Step, startLoopbackServer } from './testing/loopback-sse-server.ts';
import { buildTranscript, SAMPLE_CHAT_PIECES, SAMPLE_COMPLETION_PIECES } from './testing/transcripts.ts';

// streamRequest against a real HTTP server on 127.0.0.1 with the real global fetch. Timing
// assertions use generous bounds only: the machine may be loaded.

const API_KEY = 'sk-test-SECRET-0123456789abcdef';
const now = () => performance.timeOrigin + performance.now();
let server: LoopbackServer;

beforeAll(async () => {
  server = await startLoopbackServer();
});
afterAll(async () => {
  await server.close();
});

async function run(
  over: Partial<StreamRequestInput> = {},
  target: Partial<TargetInput> = {},
): Promise<StreamResult> {
  const t = parseTarget({ api: 'openai-chat', base_url: `${server.origin}/v1`, model: 'm', ...target });
  const result = await streamRequest({
    fetch,
    nowMs: now,
    adapter: adapterFor(t.api),
    target: t,
    apiKey: API_KEY,
    id: 'req-1',
    prompt: 'hello',
    promptTokens: 5,
    maxTokens: 16,
    timeoutMs: 5_000,
    collectText: true,
    ...over,
  });
  expect(requestRecordSchema.safeParse(result.record).error).toBeUndefined();
  expect(JSON.stringify(result)).not.toContain(API_KEY);
  return result;
}

const event = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
const token = (text: string) =>
  event({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });

/** Writes the text in random slices with tiny pauses, so slices land in separate reads. */
function sliced(text: string, seed: number): Step[] {
  const bytes = new TextEncoder().encode(text);
  const steps: Step[] = [];
  let x = seed;
  for (let at = 0; at < bytes.length; ) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const size = 1 + (x % 40);
    steps.push(bytes.subarray(at, at + size), { delayMs: x % 3 === 0 ? 1 : 0 });
    at += size;
  }
  return steps;
}

describe('streamRequest over loopback HTTP', () => {
  it('streams a sliced chat transcript (CRLF, comments, split UTF-8) and sends the right request', async () => {
    const t = buildTranscript({ api: 'openai-chat', pieces: SAMPLE_CHAT_PIECES, crlf: true, comments: true });
    server.respond(() => ({ steps: sliced(t.sse, 7) }));
    const before = server.requests.length;
    const result = await run({ id: 'abc-123', scheduledAtMs: 42 });
    expect(result.record).toMatchObject({
      id: 'abc-123',
      scheduled_at_ms: 42,
      outcome: 'ok',
      status: 200,
      output_tokens: t.completionTokens,
      prompt_tokens: t.promptTokens,
      token_count_source: 'usage_final',
    });
    expect(result.text).toBe(t.text);
    const req = server.requests[before]!;
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers['x-request-id']).toBe('abc-123');
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(JSON.parse(req.body)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams a completions transcript with continuous usage', async () => {
    const t = buildTranscript({
      api: 'openai-completions',
      pieces: SAMPLE_COMPLETION_PIECES,
      continuousUsage: true,
    });
    const steps = t.sse.split(/(?<=\n\n)/).flatMap((e): Step[] => [e, { delayMs: 5 }]);
    server.respond(() => ({ steps }));
    const result = await run({}, { api: 'openai-completions', continuous_usage: true });
    expect(result.record.outcome).toBe('ok');
    expect(result.text).toBe(t.text);
    expect(result.record.token_count_source).toBe('usage_stream');
    expect(result.record.output_tokens).toBe(t.completionTokens);
    const body = JSON.parse(server.requests.at(-1)!.body);
    expect(body.stream_options.continuous_usage_stats).toBe(true);
  });

  it("reflects the server's pacing in headers_ms and chunk offsets", async () => {
    server.respond(() => ({
      steps: [
        ': keep-alive\n\n',
        event({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] }),
        { delayMs: 150 },
        token('a'),
        { delayMs: 80 },
        token('b'),
        { delayMs: 80 },
        token('c'),
        'data: [DONE]\n\n',
      ],
    }));
    const result = await run();
    const { headers_ms: headersMs, chunks } = result.record;
    expect(result.record.outcome).toBe('ok');
    expect(chunks).toHaveLength(3);
    expect(headersMs).toBeLessThan(chunks[0]![0]);
    expect(chunks[0]![0]).toBeGreaterThanOrEqual(130);
    expect(chunks[1]![0] - chunks[0]![0]).toBeGreaterThanOrEqual(60);
    expect(chunks[2]![0] - chunks[1]![0]).toBeGreaterThanOrEqual(60);
    expect(chunks[2]![0]).toBeLessThan(3_000);
    expect(result.record.token_count_source).toBe('events');
  });

  it('stops reading at [DONE] even when the server keeps the stream open', async () => {
    server.respond(() => ({ steps: [token('x'), 'data: [DONE]\n\n', { hang: true }] }));
    const started = now();
    const result = await run({ timeoutMs: 4_000 });
    expect(result.record.outcome).toBe('ok');
    expect(now() - started).toBeLessThan(2_000);
  });

  it('accepts [DONE] without its final blank line at EOF', async () => {
    server.respond(() => ({ steps: [token('x'), 'data: [DONE]'] }));
    expect((await run()).record.outcome).toBe('ok');
  });

  it('reports a missing [DONE] as truncated, and a dropped connection too', async () => {
    server.respond(() => ({ steps: [token('x'), token('y')] }));
    const eof = await run();
    expect(eof.record.outcome).toBe('truncated');
    expect(eof.record.output_tokens).toBe(2);
    server.respond(() => ({ steps: [token('x'), { delayMs: 20 }, { destroy: true }] }));
    const dropped = await run();
    expect(dropped.record.outcome).toBe('truncated');
    expect(dropped.record.chunks).toHaveLength(1);
  });

  it('maps an in-stream error after tokens to stream_error', async () => {
    server.respond(() => ({
      steps: [
        token('x'),
        event({ object: 'error', message: 'CUDA OOM', type: 'InternalServerError', code: 500 }),
      ],
    }));
    const result = await run();
    expect(result.record.outcome).toBe('stream_error');
    expect(result.record.error).toMatch(/CUDA OOM/);
    expect(result.record.chunks).toHaveLength(1);
  });

  it('maps 429 to rate_limited with Retry-After', async () => {
    server.respond(() => ({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '7' },
      steps: [JSON.stringify({ error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } })],
    }));
    const result = await run();
    expect(result.record).toMatchObject({
      outcome: 'rate_limited',
      status: 429,
      output_tokens: 0,
      chunks: [],
    });
    expect(result.retryAfterS).toBe(7);
    expect(result.record.error).toMatch(/retry after 7 s/);
    expect(result.record.error).toMatch(/Rate limit reached/);
  });

  it('maps 500 to http_error with a short message from a bounded body', async () => {
    server.respond(() => ({
      status: 500,
      headers: { 'content-type': 'text/plain' },
      steps: [`Internal failure ${'z'.repeat(100_000)}`],
    }));
    const result = await run();
    expect(result.record).toMatchObject({ outcome: 'http_error', status: 500 });
    expect(result.record.error).toMatch(/^HTTP 500.*Internal failure/);
    expect(result.record.error!.length).toBeLessThan(400);
  });

  it('never puts the api key in a record, even when the server echoes it', async () => {
    server.respond((req) => ({
      status: 401,
      headers: { 'content-type': 'application/json' },
      steps: [
        JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }),
      ],
    }));
    const unauthorized = await run(); // `run` asserts the key is absent from the whole result
    expect(unauthorized.record.error).toMatch(/Incorrect API key/);
    server.respond((req) => ({
      steps: [event({ error: { message: `bad key ${req.headers.authorization}` } })],
    }));
    const inStream = await run();
    expect(inStream.record.outcome).toBe('stream_error');
  });

  it('times out while streaming and keeps the partial chunks', async () => {
    server.respond(() => ({ steps: [token('x'), { hang: true }] }));
    const started = now();
    const result = await run({ timeoutMs: 300 });
    expect(result.record.outcome).toBe('timeout');
    expect(result.record.chunks).toHaveLength(1);
    expect(result.record.headers_ms).toBeDefined();
    expect(now() - started).toBeGreaterThanOrEqual(250);
    expect(now() - started).toBeLessThan(3_000);
  });

  it('times out waiting for headers', async () => {
    server.respond(() => ({ headerDelayMs: 2_000, steps: [token('x')] }));
    const result = await run({ timeoutMs: 200 });
    expect(result.record.outcome).toBe('timeout');
    expect(result.record.headers_ms).toBeUndefined();
    expect(result.record.error).toMatch(/headers/);
  });

  it('ends as cancelled when the run signal aborts mid-stream', async () => {
    server.respond(() => ({ steps: [token('x'), { hang: true }] }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await run({ signal: controller.signal });
    expect(result.record.outcome).toBe('cancelled');
    expect(result.record.chunks).toHaveLength(1);
  });

  it('does not send at all when the signal is already aborted', async () => {
    const before = server.requests.length;
    const result = await run({ signal: AbortSignal.abort() });
    expect(result.record.outcome).toBe('cancelled');
    expect(server.requests.length).toBe(before);
  });

  it('reports a refused connection as network_error', async () => {
    const closed = await startLoopbackServer();
    const origin = closed.origin;
    await closed.close();
    const t = parseTarget({ api: 'openai-chat', base_url: `${origin}/v1`, model: 'm' });
    const result = await run({ target: t });
    expect(result.record.outcome).toBe('network_error');
    expect(result.networkFailure).toBe('connection_refused');
    expect(result.record.error).toMatch(/^connection refused \(ECONNREFUSED: /);
    expect(result.record.headers_ms).toBeUndefined();
    expect(result.record.status).toBeUndefined();
  });

  it('tells a connection reset on accept apart from a refused one', async () => {
    const reset = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => reset.listen(0, '127.0.0.1', resolve));
    const { port } = reset.address() as net.AddressInfo;
    try {
      const t = parseTarget({ api: 'openai-chat', base_url: `http://127.0.0.1:${port}/v1`, model: 'm' });
      const result = await run({ target: t });
      expect(result.record.outcome).toBe('network_error');
      expect(result.networkFailure).toBe('connection_reset');
      expect(result.record.error).toMatch(
        /^connection reset or closed by the target \((ECONNRESET|UND_ERR_SOCKET): /,
      );
    } finally {
      await new Promise((resolve) => reset.close(resolve));
    }
  });

  it('counts requests waiting for headers and flags those dispatched while saturated', async () => {
    server.respond(() => ({ headerDelayMs: 150, steps: [token('x'), 'data: [DONE]\n\n'] }));
    const gauge = new HeaderWaitGauge(2);
    const results = await Promise.all([run({ gauge }), run({ gauge }), run({ gauge })]);
    expect(results.map((r) => r.headerWaitSaturated)).toEqual([false, false, true]);
    expect(results.every((r) => r.record.outcome === 'ok')).toBe(true);
    expect(gauge).toMatchObject({ waiting: 0, maxWaiting: 3, dispatchedWhileSaturated: 1 });
  });
});
