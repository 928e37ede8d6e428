import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestRecordSchema } from '../record/request-record.ts';
import { createFakeClock } from '../testing/fake-clock.ts';
import { adapterFor } from './adapters.ts';
import { type StreamResult, streamRequest } from './stream-request.ts';
import { parseTarget } from './target-config.ts';
import {
  buildNativeTranscript,
  type NativeApi,
  type NativeSpec,
  SAMPLE_NATIVE_PIECES,
} from './testing/native-transcripts.ts';
import { memoryFetch, splitAt } from './testing/transcripts.ts';

// The three native adapters through the real read loop: documented transcripts re-chunked at random
// byte boundaries (one piece = one read, +1 ms per clock reading) must give the same text, token
// counts, reasoning split and outcome however the bytes were cut.

const enc = new TextEncoder();
const APIS: NativeApi[] = ['anthropic-messages', 'openai-responses', 'gemini'];
const KEY = 'sk-ant-secret-key-0123456789';

async function run(api: NativeApi, pieces: Uint8Array[], status = 200): Promise<StreamResult> {
  const result = await streamRequest({
    fetch: memoryFetch(pieces, { status }),
    nowMs: createFakeClock({ stepMs: 1 }).nowMs,
    adapter: adapterFor(api),
    target: parseTarget({ api, base_url: 'http://127.0.0.1:9/v1', model: 'm' }),
    apiKey: KEY,
    id: 'req-1',
    prompt: 'hello',
    promptTokens: 5,
    maxTokens: 64,
    timeoutMs: 10_000,
    collectText: true,
  });
  expect(requestRecordSchema.safeParse(result.record).error).toBeUndefined();
  return result;
}

const sum = (r: StreamResult) => r.record.chunks.reduce((s, c) => s + c[1], 0);

describe.each(APIS)('%s transcripts re-chunked at random boundaries', (api) => {
  it('give the same text, counts and reasoning split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ crlf: fc.boolean(), pings: fc.boolean(), cached: fc.nat({ max: 30 }) }),
        fc.array(fc.nat({ max: 6000 }), { maxLength: 60 }),
        async (opts, cuts) => {
          const spec: NativeSpec = {
            api,
            pieces: SAMPLE_NATIVE_PIECES,
            crlf: opts.crlf,
            pings: opts.pings,
            cachedTokens: opts.cached,
          };
          const t = buildNativeTranscript(spec);
          const result = await run(api, splitAt(enc.encode(t.sse), cuts));
          const r = result.record;
          expect(r.outcome, r.error).toBe('ok');
          expect(result.text).toBe(t.text);
          expect(r.output_tokens).toBe(t.outputTokens);
          expect(sum(result)).toBe(t.outputTokens);
          expect(r.prompt_tokens).toBe(t.promptTokens);
          // Gemini leaves cachedContentTokenCount out when nothing came from the cache.
          expect(r.cached_prompt_tokens).toBe(
            api === 'gemini' && t.cachedTokens === 0 ? undefined : t.cachedTokens,
          );
          // Anthropic's usage does not split thinking from answer tokens.
          if (api === 'anthropic-messages') expect(r.reasoning_tokens).toBeUndefined();
          else expect(r.reasoning_tokens).toBe(t.reasoningTokens);
          // Reasoning streams first: the first token is reasoning, the first visible token later or
          // in the same read.
          expect(r.first_reasoning_ms).toBe(r.chunks[0]![0]);
          expect(r.first_visible_ms).toBeGreaterThanOrEqual(r.first_reasoning_ms!);
          expect(r.chunks.some((c) => c[0] === r.first_visible_ms)).toBe(true);
          // Gemini's running usage makes every token read exact; the others have one final count.
          if (r.chunks.length > 1)
            expect(r.token_count_source).toBe(api === 'gemini' ? 'usage_stream' : 'usage_final');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('one event per read: the visible answer starts at the third token read', async () => {
    const t = buildNativeTranscript({ api, pieces: SAMPLE_NATIVE_PIECES });
    const events = t.sse.split(/(?<=\n\n)/).map((e) => enc.encode(e));
    const r = (await run(api, events)).record;
    expect(r.outcome).toBe('ok');
    expect(r.chunks).toHaveLength(SAMPLE_NATIVE_PIECES.length);
    expect(r.first_reasoning_ms).toBe(r.chunks[0]![0]);
    expect(r.first_visible_ms).toBe(r.chunks[2]![0]);
  });

  it('a stream cut before its end is truncated, keeping what it measured', async () => {
    const t = buildNativeTranscript({ api, pieces: SAMPLE_NATIVE_PIECES, end: 'cut' });
    const result = await run(api, [enc.encode(t.sse)]);
    expect(result.record.outcome).toBe('truncated');
    expect(result.text).toBe(t.text);
  });

  it('maps the in-stream error to its typed outcome', async () => {
    const t = buildNativeTranscript({ api, pieces: SAMPLE_NATIVE_PIECES, end: 'error' });
    const r = (await run(api, splitAt(enc.encode(t.sse), [100, 700]))).record;
    // Anthropic's overloaded_error is a rate limit; the others' server errors are stream errors.
    expect(r.outcome).toBe(api === 'anthropic-messages' ? 'rate_limited' : 'stream_error');
    expect(r.error).toMatch(/in-stream error/);
  });

  it('without reasoning: no reasoning fields, the first token is the first visible one', async () => {
    const pieces = SAMPLE_NATIVE_PIECES.filter((p) => !p.reasoning);
    const t = buildNativeTranscript({ api, pieces, reasoningTokens: 0 });
    const r = (await run(api, [enc.encode(t.sse)])).record;
    expect(r.outcome).toBe('ok');
    expect(r.first_reasoning_ms).toBeUndefined();
    expect(r.first_visible_ms).toBeUndefined();
    expect(r.output_tokens).toBe(t.outputTokens);
  });
});

describe('provider error bodies before the stream', () => {
  it.each([
    [
      'anthropic-messages',
      529,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      'rate_limited',
    ],
    [
      'anthropic-messages',
      500,
      { type: 'error', error: { type: 'api_error', message: 'Internal' } },
      'http_error',
    ],
    ['gemini', 429, { error: { code: 429, message: 'Quota', status: 'RESOURCE_EXHAUSTED' } }, 'rate_limited'],
    [
      'openai-responses',
      429,
      { error: { message: 'Rate limit', type: 'requests', code: 'rate_limit_exceeded' } },
      'rate_limited',
    ],
  ] as const)(
    '%s HTTP %i is %s, with the key redacted from the echoed body',
    async (api, status, body, outcome) => {
      const echoed = { ...body, echoed_key: KEY };
      const r = (await run(api, [enc.encode(JSON.stringify(echoed))], status)).record;
      expect(r.outcome).toBe(outcome);
      expect(r.status).toBe(status);
      expect(r.error).not.toContain(KEY);
    },
  );
});

describe('Responses hidden reasoning', () => {
  it('counts reasoning tokens from usage only: TTFT includes the thinking, no first reasoning mark', async () => {
    const pieces = SAMPLE_NATIVE_PIECES.filter((p) => !p.reasoning);
    const t = buildNativeTranscript({ api: 'openai-responses', pieces, reasoningTokens: 120 });
    const r = (await run('openai-responses', [enc.encode(t.sse)])).record;
    expect(r.outcome).toBe('ok');
    expect(r.reasoning_tokens).toBe(120);
    expect(r.first_reasoning_ms).toBeUndefined();
    expect(r.first_visible_ms).toBe(r.chunks[0]![0]);
  });
});
