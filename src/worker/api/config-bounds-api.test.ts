import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  MAX_EXTRA_BODY_DEPTH,
  MAX_REQUEST_BODY_BYTES,
  MAX_TOTAL_TOKENS,
} from '../../core/run/config-bounds.ts';

// Findings 1–3 of issue 8 through the real Worker: each hostile config is refused with a 400 naming
// the field, quickly, with /health still answering and no run row written.

const auth = { authorization: 'Bearer test-control-token-0123456789' };

function call(path: string, init: RequestInit = {}) {
  return exports.default.fetch(`http://fluidbench.test${path}`, init);
}

function postRun(body: unknown) {
  return call('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface Answer {
  status: number;
  ms: number;
  body: {
    id?: string;
    error?: { code: string; issues?: { path: (string | number)[] }[] };
  };
}

async function runCount(): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM runs').first<{ n: number }>();
  return row?.n ?? 0;
}

/** Posts a config and checks the answer came fast and /health still answers. */
async function timedPost(body: unknown): Promise<Answer> {
  const started = performance.now();
  const res = await postRun(body);
  const answer = {
    status: res.status,
    ms: performance.now() - started,
    body: (await res.json()) as Answer['body'],
  };
  expect((await call('/health')).status).toBe(200);
  return answer;
}

/** A refusal: 400, within a second, with the issue paths, and no run row written. */
async function expectRefused(body: unknown, code: string, path?: string): Promise<void> {
  const before = await runCount();
  const answer = await timedPost(body);
  expect(answer.status, JSON.stringify(answer.body).slice(0, 400)).toBe(400);
  expect(answer.ms).toBeLessThan(1_000);
  expect(answer.body.error?.code).toBe(code);
  if (path !== undefined)
    expect(answer.body.error?.issues?.map((issue) => issue.path.join('.'))).toContain(path);
  expect(await runCount()).toBe(before);
}

async function expectCreatedThenCancel(body: unknown): Promise<void> {
  const answer = await timedPost(body);
  expect(answer.status, JSON.stringify(answer.body).slice(0, 400)).toBe(201);
  expect(answer.ms).toBeLessThan(1_000);
  const cancel = await call(`/v1/runs/${answer.body.id}/cancel`, { method: 'POST', headers: auth });
  expect([202, 409]).toContain(cancel.status);
  // The row carries its plan from the one insert.
  const row = await env.DB.prepare('SELECT plan_json FROM runs WHERE id = ?')
    .bind(answer.body.id)
    .first<{ plan_json: string | null }>();
  expect(row?.plan_json).toMatch(/"shards"/);
}

const valid = {
  target: { api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' },
  workload: {
    arrivals: { type: 'constant', qps: 1 },
    lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 4 },
    requests: 1,
  },
};
const withLengths = (lengths: unknown) => ({ ...valid, workload: { ...valid.workload, lengths } });
const withExtraBody = (extra_body: unknown) => ({ ...valid, target: { ...valid.target, extra_body } });

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('POST /v1/runs refuses hostile configs before a run exists (issue 8, findings 1–3)', () => {
  it('finding 1: a zipf over 2^53 tokens is a 400 at once; the largest accepted zipf plans at once', async () => {
    const zipf = { type: 'zipf', min_tokens: 2, prefill_to_decode_ratio: 1, theta: 1 };
    await expectRefused(
      withLengths({ ...zipf, max_tokens: Number.MAX_SAFE_INTEGER }),
      'invalid_config',
      'workload.lengths.max_tokens',
    );
    // A low rate keeps the expected concurrency (qps × a long request) inside the default limits.
    const largest = withLengths({ ...zipf, max_tokens: MAX_TOTAL_TOKENS });
    // …and few streams per shard keep its 1M-token prompts inside a shard's memory.
    await expectCreatedThenCancel({
      ...largest,
      workload: { ...largest.workload, arrivals: { type: 'constant', qps: 0.01 } },
      streams_per_shard: 4,
    });
  });

  it('finding 2: a prompt of 2^53 tokens and a prefill_scale of 1e300 are 400s', async () => {
    await expectRefused(
      withLengths({ type: 'fixed', prompt_tokens: Number.MAX_SAFE_INTEGER, output_tokens: 4 }),
      'invalid_config',
      'workload.lengths.prompt_tokens',
    );
    await expectRefused(
      withLengths({ type: 'trace', rows: [[8, 4]], prefill_scale: 1e300 }),
      'invalid_config',
      'workload.lengths.prefill_scale',
    );
  });

  it('finding 3: extra_body 3,000 levels deep is a 400 from the raw text; one past the cap from the schema', async () => {
    await expectRefused(withExtraBody(nested(3_000)), 'invalid_request');
    await expectRefused(
      withExtraBody(nested(MAX_EXTRA_BODY_DEPTH + 1)),
      'invalid_config',
      'target.extra_body',
    );
    await expectCreatedThenCancel(withExtraBody(nested(MAX_EXTRA_BODY_DEPTH)));
  });

  it('refuses a body over the size cap before parsing it, and brackets inside strings do not count', async () => {
    const huge = `{"name":"${'x'.repeat(MAX_REQUEST_BODY_BYTES)}"}`;
    await expectRefused(huge, 'invalid_request');
    await expectRefused({ ...valid, name: '['.repeat(5_000) }, 'invalid_config', 'name');
  });
});
