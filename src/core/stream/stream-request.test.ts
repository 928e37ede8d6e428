import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestRecordSchema } from '../record/request-record.ts';
import { createFakeClock } from '../testing/fake-clock.ts';
import { adapterFor } from './adapters.ts';
import { type StreamRequestInput, type StreamResult, streamRequest } from './stream-request.ts';
import { parseTarget } from './target-config.ts';
import {
  buildTranscript,
  memoryFetch,
  SAMPLE_CHAT_PIECES,
  SAMPLE_COMPLETION_PIECES,
  splitAt,
  type TranscriptSpec,
} from './testing/transcripts.ts';

// Framing and counting, with the body served from memory so each test controls the exact read
// boundaries (one enqueued piece = one read) and a stepping clock (+1 ms per reading).

const enc = new TextEncoder();

function input(api: TranscriptSpec['api'], fetchImpl: typeof fetch, over: Partial<StreamRequestInput> = {}) {
  return {
    fetch: fetchImpl,
    nowMs: createFakeClock({ stepMs: 1 }).nowMs,
    adapter: adapterFor(api),
    target: parseTarget({ api, base_url: 'http://127.0.0.1:9/v1', model: 'm' }),
    id: 'req-1',
    prompt: 'hello',
    promptTokens: 5,
    maxTokens: 64,
    timeoutMs: 10_000,
    collectText: true,
    ...over,
  } satisfies StreamRequestInput;
}

async function run(
  api: TranscriptSpec['api'],
  pieces: Uint8Array[],
  over: Partial<StreamRequestInput> = {},
): Promise<StreamResult> {
  const result = await streamRequest(input(api, memoryFetch(pieces), over));
  expect(requestRecordSchema.safeParse(result.record).error).toBeUndefined();
  return result;
}

const sumTokens = (r: StreamResult) => r.record.chunks.reduce((s, c) => s + c[1], 0);

/** Byte offsets at which each SSE event ends (after its blank line). */
function eventBoundaries(sse: string): number[] {
  const cuts: number[] = [];
  const bytes = enc.encode(sse);
  for (let i = 1; i < bytes.length; i++) if (bytes[i] === 10 && bytes[i - 1] === 10) cuts.push(i + 1);
  return cuts;
}

const specArb = (api: TranscriptSpec['api']) =>
  fc
    .record({
      crlf: fc.boolean(),
      comments: fc.boolean(),
      continuousUsage: fc.boolean(),
      usageChoices: fc.constantFrom('empty', 'null', 'missing') as fc.Arbitrary<'empty' | 'null' | 'missing'>,
      finalBlankLine: fc.boolean(),
    })
    .map(
      (v): TranscriptSpec => ({
        api,
        pieces: api === 'openai-chat' ? SAMPLE_CHAT_PIECES : SAMPLE_COMPLETION_PIECES,
        ...v,
      }),
    );

describe('streamRequest: transcripts re-chunked at random byte boundaries', () => {
  for (const api of ['openai-chat', 'openai-completions'] as const) {
    it(`${api}: same text, usage and outcome however the bytes are split`, async () => {
      await fc.assert(
        fc.asyncProperty(
          specArb(api),
          fc.array(fc.nat({ max: 4000 }), { maxLength: 80 }),
          async (spec, cuts) => {
            const t = buildTranscript(spec);
            const bytes = enc.encode(t.sse);
            const result = await run(api, splitAt(bytes, cuts));
            expect(result.record.outcome).toBe('ok');
            expect(result.text).toBe(t.text);
            expect(result.record.output_tokens).toBe(t.completionTokens);
            expect(sumTokens(result)).toBe(t.completionTokens);
            expect(result.record.prompt_tokens).toBe(t.promptTokens);
            // A single token read is exact either way and is labelled with the weaker source.
            const continuous = spec.continuousUsage && result.record.chunks.length >= 2;
            expect(result.record.token_count_source).toBe(continuous ? 'usage_stream' : 'usage_final');
            expect(result.record.chunks.length).toBeLessThanOrEqual(Math.min(t.tokenEvents, result.reads));
            expect(result.finishReason).toBe('stop');
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('survives one byte per read (every UTF-8 character and CRLF split)', async () => {
    const t = buildTranscript({ api: 'openai-chat', pieces: SAMPLE_CHAT_PIECES, crlf: true, comments: true });
    const bytes = enc.encode(t.sse);
    const result = await run('openai-chat', splitAt(bytes, Array.from(bytes.keys())));
    expect(result.record.outcome).toBe('ok');
    expect(result.text).toBe(t.text);
    // Reading stops at [DONE]'s blank line: the final '\n' of its CRLF may stay unread.
    expect(result.reads).toBeGreaterThanOrEqual(bytes.length - 1);
    expect(result.record.output_tokens).toBe(t.completionTokens);
  });
});

describe('streamRequest: one event per read', () => {
  const aligned = (spec: TranscriptSpec) => {
    const t = buildTranscript(spec);
    return { t, pieces: splitAt(enc.encode(t.sse), eventBoundaries(t.sse)) };
  };

  it('times the first token at the first content read, not the role chunk, and one chunk per token event', async () => {
    const { t, pieces } = aligned({ api: 'openai-chat', pieces: SAMPLE_CHAT_PIECES, continuousUsage: true });
    const result = await run('openai-chat', pieces);
    // Clock: sent at +1, headers at offset 1, read k (1-based) at offset 1 + k. Read 1 is the role chunk.
    expect(result.record.headers_ms).toBe(1);
    expect(result.record.chunks[0]![0]).toBe(3);
    expect(result.record.chunks.map((c) => c[1])).toEqual(SAMPLE_CHAT_PIECES.map((p) => p.tokens));
    expect(result.record.chunks).toHaveLength(t.tokenEvents);
    expect(result.events).toBe(pieces.length);
  });

  it('stamps reads that are ready together before decoding any of them', async () => {
    // Decoding costs 7 ms of clock per event here; reads queued in the body are all ready at once,
    // so each must carry the time it was read, not the time the events before it were decoded.
    const { t, pieces } = aligned({ api: 'openai-chat', pieces: SAMPLE_CHAT_PIECES, continuousUsage: true });
    let clock = 1000;
    const chat = adapterFor('openai-chat');
    const costly = {
      ...chat,
      createEventDecoder: () => {
        const inner = chat.createEventDecoder();
        return {
          decode: (data: string, event: string | undefined) => {
            clock += 7;
            return inner.decode(data, event);
          },
        };
      },
    };
    const result = await run('openai-chat', pieces, { nowMs: () => clock, adapter: costly });
    expect(result.record.chunks).toHaveLength(t.tokenEvents);
    expect(new Set(result.record.chunks.map((c) => c[0]))).toEqual(new Set([0]));
    expect(result.record.outcome).toBe('ok');
  });

  it('apportions a final usage over the token reads by their events', async () => {
    const { t, pieces } = aligned({ api: 'openai-completions', pieces: SAMPLE_COMPLETION_PIECES });
    const result = await run('openai-completions', pieces);
    expect(result.record.token_count_source).toBe('usage_final');
    expect(result.record.chunks).toHaveLength(t.tokenEvents);
    expect(sumTokens(result)).toBe(t.completionTokens);
    // The usage-only chunk and [DONE] are not token arrivals: the last chunk is the last text read.
    expect(result.record.chunks.at(-1)![0]).toBe(1 + t.tokenEvents);
  });

  it('counts one token per event, flagged, when the server reports no usage', async () => {
    const { t, pieces } = aligned({ api: 'openai-chat', pieces: SAMPLE_CHAT_PIECES, usageChunk: false });
    const result = await run('openai-chat', pieces);
    expect(result.record).toMatchObject({
      outcome: 'ok',
      token_count_source: 'events',
      output_tokens: t.tokenEvents,
    });
    expect(result.record.prompt_tokens).toBe(5); // the generator's count
  });
});

describe('streamRequest: completeness and in-stream failures', () => {
  const sse = (spec: Partial<TranscriptSpec>) =>
    buildTranscript({ api: 'openai-chat', pieces: SAMPLE_CHAT_PIECES, ...spec }).sse;

  it('flushes a final [DONE] that has no blank line, or no newline at all', async () => {
    for (const tail of ['', '\n']) {
      const text = `${sse({ finalBlankLine: false })}${tail}`;
      expect(text.endsWith('[DONE]\n\n')).toBe(false);
      const result = await run('openai-chat', [enc.encode(text)]);
      expect(result.record.outcome).toBe('ok');
    }
  });

  it('reports a stream that ends without [DONE] as truncated, keeping its chunks', async () => {
    const result = await run('openai-chat', splitAt(enc.encode(sse({ done: false })), [300, 600]));
    expect(result.record.outcome).toBe('truncated');
    expect(result.record.error).toMatch(/without \[DONE\]/);
    expect(result.record.chunks.length).toBeGreaterThan(0);
    expect(result.text).toBe(SAMPLE_CHAT_PIECES.map((p) => p.text).join(''));
  });

  it('stops at an in-stream error and keeps the partial chunks', async () => {
    const t = buildTranscript({
      api: 'openai-chat',
      pieces: SAMPLE_CHAT_PIECES.slice(0, 3),
      done: false,
      usageChunk: false,
    });
    const error = `data: ${JSON.stringify({ error: { message: 'engine died', type: 'server_error', code: 500 } })}\n\n`;
    const after = 'data: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\ndata: [DONE]\n\n';
    const result = await run('openai-chat', [enc.encode(t.sse), enc.encode(error), enc.encode(after)]);
    expect(result.record.outcome).toBe('stream_error');
    expect(result.record.error).toMatch(/engine died/);
    expect(result.record.output_tokens).toBe(3);
    expect(result.text).not.toContain('late');
  });

  it('maps an in-stream rate-limit error to rate_limited', async () => {
    const error = `data: ${JSON.stringify({ error: { message: 'slow down', code: 'rate_limit_exceeded' } })}\n\n`;
    const result = await run('openai-chat', [enc.encode(error)]);
    expect(result.record.outcome).toBe('rate_limited');
  });

  it('ends an oversized event as stream_error, whether it is split across reads or not', async () => {
    const big = `data: {"choices":[{"index":0,"delta":{"content":"${'x'.repeat(5000)}"}}]}\n\n`;
    const split = await run('openai-chat', splitAt(enc.encode(big), [1000, 2000, 3000]), {
      maxBufferSize: 1024,
    });
    expect(split.record.outcome).toBe('stream_error');
    expect(split.record.error).toMatch(/larger than 1024/);
    const whole = await run('openai-chat', [enc.encode(big)], { maxBufferSize: 1024 });
    expect(whole.record.outcome).toBe('stream_error');
    expect((await run('openai-chat', [enc.encode(`${big}data: [DONE]\n\n`)])).record.outcome).toBe('ok');
  });

  it('ends a stream with more token-carrying reads than a record can hold as stream_error, keeping them', async () => {
    const piece = (i: number) =>
      enc.encode(`data: {"choices":[{"index":0,"delta":{"content":"w${i}"}}]}\n\n`);
    const reads = Array.from({ length: 12 }, (_, i) => piece(i));
    const capped = await run('openai-chat', [...reads, enc.encode('data: [DONE]\n\n')], {
      maxTokenReads: 10,
    });
    expect(capped.record.outcome).toBe('stream_error');
    expect(capped.record.error).toMatch(/more than 10 token-carrying reads/);
    expect(capped.record.output_tokens).toBe(10);
    const under = await run('openai-chat', [...reads, enc.encode('data: [DONE]\n\n')], { maxTokenReads: 13 });
    expect(under.record.outcome).toBe('ok');
  });

  it('accepts an empty completion only with a normal finish reason', async () => {
    const stop = buildTranscript({
      api: 'openai-chat',
      pieces: [],
      finishReason: 'stop',
      usageChunk: false,
    }).sse;
    expect((await run('openai-chat', [enc.encode(stop)])).record).toMatchObject({
      outcome: 'ok',
      output_tokens: 0,
    });
    const filtered = buildTranscript({ api: 'openai-chat', pieces: [], finishReason: 'content_filter' }).sse;
    const result = await run('openai-chat', [enc.encode(filtered)]);
    expect(result.record.outcome).toBe('stream_error');
    expect(result.record.error).toMatch(/content_filter/);
  });

  it('explains a 200 answered with plain JSON instead of a stream', async () => {
    const json = JSON.stringify({ id: 'x', choices: [{ message: { content: 'hi' } }] });
    const result = await streamRequest(
      input(
        'openai-chat',
        memoryFetch([enc.encode(json)], { headers: { 'content-type': 'application/json' } }),
      ),
    );
    expect(result.record.outcome).toBe('truncated');
    expect(result.record.error).toMatch(/application\/json/);
  });

  it('never throws, even when fetch itself misbehaves synchronously', async () => {
    const broken = (() => {
      throw new TypeError('boom');
    }) as unknown as typeof fetch;
    const result = await streamRequest(input('openai-chat', broken));
    expect(result.record.outcome).toBe('network_error');
    expect(requestRecordSchema.safeParse(result.record).success).toBe(true);
  });
});

describe('review fixes', () => {
  const piece = (s: string) => enc.encode(s);
  const token = (text: string) =>
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;

  it('a half-received last event at the end of the body is a truncated stream, not a parse error', async () => {
    const r = await run('openai-chat', [piece(token('a')), piece('data: {"choices":[{"delta":{"cont')]);
    expect(r.record.outcome).toBe('truncated');
    expect(r.record.error).toContain('cut off');
    expect(r.record.chunks).toHaveLength(1);
  });

  it('a JSON error answered with status 200 instead of a stream keeps the provider message', async () => {
    const limited = await run('openai-chat', [
      piece('{"error":{"code":429,"message":"Rate limit reached for requests","type":"rate_limit_error"}}'),
    ]);
    expect(limited.record.outcome).toBe('rate_limited');
    expect(limited.record.error).toContain('Rate limit reached');
    const other = await run('openai-chat', [piece('{"error":{"message":"model overloaded"}}')]);
    expect(other.record.outcome).toBe('stream_error');
    expect(other.record.error).toContain('model overloaded');
  });

  it('never leaves the start of the key in an error that was cut before redaction', async () => {
    const apiKey = 'gsk_0123456789abcdefghijklmnopqrstuv';
    const message = `${'x'.repeat(190)} ${apiKey}`;
    const r = await run(
      'openai-chat',
      [piece(token('a')), piece(`data: ${JSON.stringify({ error: { message } })}\n\n`)],
      { apiKey },
    );
    expect(r.record.outcome).toBe('stream_error');
    for (let k = 4; k <= apiKey.length; k++) expect(r.record.error ?? '').not.toContain(apiKey.slice(0, k));
  });
});
