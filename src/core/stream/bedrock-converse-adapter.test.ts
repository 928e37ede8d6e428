import { crc32 } from '@aws-crypto/crc32';
import { AwsV4Signer } from 'aws4fetch';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bedrockEvent, bedrockException } from '../sim/sim-bedrock-stream.ts';
import { createFakeClock } from '../testing/fake-clock.ts';
import { amzDate, bedrockConverseAdapter } from './bedrock-converse-adapter.ts';
import { type StreamRequestInput, type StreamResult, streamRequest } from './stream-request.ts';
import { parseTarget, type TargetInput } from './target-config.ts';
import { memoryFetch, splitAt } from './testing/transcripts.ts';

// Bedrock ConverseStream transcripts in the documented event shapes (ConverseStreamOutput:
// messageStart, contentBlockStart/Delta/Stop, messageStop, metadata; exception members), framed
// as AWS event-stream messages and served from memory at arbitrary read boundaries.

const SECRETS: Record<string, string> = {
  AWS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_TOKEN: 'session-token-that-must-not-leak-0123456789',
};

const SIGV4_TARGET: TargetInput = {
  api: 'bedrock-converse',
  base_url: 'https://bedrock-runtime.us-east-1.amazonaws.com',
  model: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
  aws: {
    region: 'us-east-1',
    access_key_id_secret: 'AWS_KEY_ID',
    secret_access_key_secret: 'AWS_SECRET',
    session_token_secret: 'AWS_TOKEN',
  },
};

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A reasoning model's answer: two thinking deltas and a signature, then three text deltas. */
const REASONING = ['Let me think', ' about it.'];
const ANSWER = ['Hello', ' there', '!'];
function transcriptFrames(): Uint8Array[] {
  return [
    bedrockEvent('messageStart', { role: 'assistant', p: 'abcdefgh' }),
    bedrockEvent('contentBlockStart', { contentBlockIndex: 0, start: {} }),
    ...REASONING.map((text) =>
      bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text } } }),
    ),
    bedrockEvent('contentBlockDelta', {
      contentBlockIndex: 0,
      delta: { reasoningContent: { signature: 'c2ln' } },
    }),
    bedrockEvent('contentBlockStop', { contentBlockIndex: 0 }),
    ...ANSWER.map((text) =>
      bedrockEvent('contentBlockDelta', { contentBlockIndex: 1, delta: { text }, p: 'abcdefghijkl' }),
    ),
    bedrockEvent('contentBlockStop', { contentBlockIndex: 1 }),
    bedrockEvent('messageStop', { stopReason: 'end_turn' }),
    bedrockEvent('metadata', {
      usage: { inputTokens: 12, outputTokens: 9, totalTokens: 25, cacheReadInputTokens: 4 },
      metrics: { latencyMs: 321 },
    }),
  ];
}

function input(fetchImpl: typeof fetch, over: Partial<StreamRequestInput> = {}): StreamRequestInput {
  return {
    fetch: fetchImpl,
    nowMs: createFakeClock({ stepMs: 1 }).nowMs,
    adapter: bedrockConverseAdapter,
    target: parseTarget(SIGV4_TARGET),
    secret: (name) => SECRETS[name],
    id: 'req-1',
    prompt: 'hello',
    promptTokens: 5,
    maxTokens: 64,
    timeoutMs: 10_000,
    collectText: true,
    ...over,
  };
}

const run = (pieces: Uint8Array[], over: Partial<StreamRequestInput> = {}): Promise<StreamResult> =>
  streamRequest(
    input(memoryFetch(pieces, { headers: { 'content-type': 'application/vnd.amazon.eventstream' } }), over),
  );

describe('Bedrock ConverseStream adapter', () => {
  it('reads text, reasoning, stop reason, usage and latency however the frames are split', async () => {
    const bytes = concat(transcriptFrames());
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: bytes.length }), { maxLength: 60 }), async (cuts) => {
        const pieces = splitAt(bytes, cuts);
        const result = await run(pieces);
        expect(result.record.outcome).toBe('ok');
        expect(result.text).toBe([...REASONING, ...ANSWER].join(''));
        expect(result.finishReason).toBe('end_turn');
        expect(result.serverLatencyMs).toBe(321);
        // Input excludes cache reads: the prompt is their sum.
        expect(result.record.prompt_tokens).toBe(16);
        expect(result.record.output_tokens).toBe(9);
        expect(result.record.token_count_source).toBe('usage_final');
        // Every frame after the last token is decoded too: the loop stops at `metadata`.
        expect(result.events).toBe(transcriptFrames().length);
      }),
      { numRuns: 60 },
    );
  });

  it('marks reasoning deltas as reasoning and ignores signatures', async () => {
    const channels: (boolean | undefined)[] = [];
    const decoder = bedrockConverseAdapter.createFrameDecoder?.(1 << 20);
    for (const frame of transcriptFrames())
      decoder?.push(frame, (d) => {
        if (d.tokenEvents > 0) channels.push(d.reasoning);
      });
    expect(channels).toEqual([true, true, undefined, undefined, undefined]);
    expect(decoder?.end()).toBeUndefined();
  });

  it('maps a throttlingException frame to rate_limited and other exceptions to stream_error', async () => {
    const head = transcriptFrames().slice(0, 6);
    const throttled = await run([
      concat([...head, bedrockException('throttlingException', 'Too many requests')]),
    ]);
    expect(throttled.record.outcome).toBe('rate_limited');
    expect(throttled.record.error).toMatch(/throttlingException: Too many requests/);
    expect(throttled.record.output_tokens).toBeGreaterThan(0); // what arrived before the error counts
    const failed = await run([concat([...head, bedrockException('modelStreamErrorException', 'boom')])]);
    expect(failed.record.outcome).toBe('stream_error');
    expect(failed.record.error).toMatch(/modelStreamErrorException/);
  });

  it('ends a frame with a bad message CRC as stream_error', async () => {
    const frames = transcriptFrames();
    const bad = frames[5]!.slice();
    bad[bad.length - 6] = (bad[bad.length - 6] ?? 0) ^ 0xff; // a payload byte: the message CRC fails
    const result = await run([concat([...frames.slice(0, 5), bad, ...frames.slice(6)])]);
    expect(result.record.outcome).toBe('stream_error');
    expect(result.record.error).toMatch(/checksum/i);
  });

  it('ends a frame with a bad prelude CRC as stream_error without waiting for its claimed length', async () => {
    const frames = transcriptFrames();
    const bad = frames[2]!.slice();
    // A huge total length with its prelude CRC left unchanged.
    new DataView(bad.buffer).setUint32(0, 0x7fffffff);
    const result = await run([concat([...frames.slice(0, 2), bad])]);
    expect(result.record.outcome).toBe('stream_error');
    expect(result.record.error).toMatch(/prelude CRC/);
  });

  it('refuses a frame above the size bound (a valid prelude claiming more than the limit)', async () => {
    const prelude = new Uint8Array(12);
    const view = new DataView(prelude.buffer);
    view.setUint32(0, 5_000_000);
    view.setUint32(4, 0);
    view.setUint32(8, crc32(prelude.subarray(0, 8)));
    const result = await run([prelude], { maxBufferSize: 1 << 20 });
    expect(result.record.outcome).toBe('stream_error');
    expect(result.record.error).toMatch(/above 1048576/);
  });

  it('ends a stream cut inside a frame as stream_error, and one cut between frames as truncated', async () => {
    const bytes = concat(transcriptFrames());
    const cut = await run([bytes.subarray(0, bytes.length - 10)]);
    expect(cut.record.outcome).toBe('stream_error');
    expect(cut.record.error).toMatch(/ended inside an event-stream frame/);
    const noMetadata = concat(transcriptFrames().slice(0, -1));
    const truncated = await run([noMetadata]);
    expect(truncated.record.outcome).toBe('truncated');
    expect(truncated.finishReason).toBe('end_turn');
  });

  it('signs with SigV4 (service bedrock) at the injected clock, as aws4fetch computes it', async () => {
    const atMs = Date.UTC(2026, 11, 5, 12, 34, 56);
    const seen: Request[] = [];
    const capture = (async (url: string, init: RequestInit) => {
      seen.push(new Request(url, init));
      return new Response(concat(transcriptFrames()), { status: 200 });
    }) as typeof fetch;
    const result = await streamRequest(input(capture, { nowMs: () => atMs }));
    expect(result.record.outcome).toBe('ok');
    const sent = seen[0]!;
    expect(sent.url).toBe(
      'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream',
    );
    expect(sent.headers.get('x-amz-date')).toBe('20261205T123456Z');
    expect(sent.headers.get('x-amz-security-token')).toBe(SECRETS.AWS_TOKEN);
    const auth = sent.headers.get('authorization') ?? '';
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261205\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    const body = await sent.text();
    expect(JSON.parse(body)).toEqual({
      messages: [{ role: 'user', content: [{ text: 'hello' }] }],
      inferenceConfig: { maxTokens: 64 },
    });
    // The same request signed independently with aws4fetch at the same time.
    const expected = await new AwsV4Signer({
      method: 'POST',
      url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream',
      headers: {
        'content-type': 'application/json',
        accept: 'application/vnd.amazon.eventstream',
        'x-request-id': 'req-1',
      },
      body,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: SECRETS.AWS_SECRET!,
      sessionToken: SECRETS.AWS_TOKEN!,
      service: 'bedrock',
      region: 'us-east-1',
      datetime: amzDate(atMs),
    }).sign();
    expect(auth).toBe(expected.headers.get('authorization'));
  });

  it('sends a Bedrock API key as a bearer token, and fails to build without its secrets', async () => {
    const seen: Request[] = [];
    const capture = (async (url: string, init: RequestInit) => {
      seen.push(new Request(url, init));
      return new Response(concat(transcriptFrames()), { status: 200 });
    }) as typeof fetch;
    const keyTarget = parseTarget({ ...SIGV4_TARGET, aws: undefined, api_key_secret: 'BEDROCK_KEY' });
    await streamRequest(input(capture, { target: keyTarget, apiKey: 'bedrock-api-key-xyz' }));
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer bedrock-api-key-xyz');
    expect(seen[0]?.headers.get('x-amz-date')).toBeNull();
    const missing = await streamRequest(input(capture, { secret: () => undefined }));
    expect(missing.record.outcome).toBe('network_error');
    expect(missing.record.error).toMatch(/could not build request: secret AWS_TOKEN is not set/);
  });

  it('never stores the session token, even when the provider echoes it', async () => {
    const echo = (async () =>
      new Response(JSON.stringify({ message: `bad token ${SECRETS.AWS_TOKEN}` }), {
        status: 403,
      })) as typeof fetch;
    const result = await streamRequest(input(echo));
    expect(result.record.outcome).toBe('http_error');
    expect(result.record.error).not.toContain(SECRETS.AWS_TOKEN);
    expect(result.record.error).toContain('[redacted]');
  });
});
