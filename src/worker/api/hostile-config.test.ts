import { env, exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, mutation, toJsonText } from './testing/hostile-json.ts';

// Deliver 4 of issue 8: adversarial run configs posted to the real Worker in workerd. A valid base
// config (one of several shapes) is mutated at random paths: hostile numbers (0, -0, 2^53−1, 1e300,
// Infinity and NaN as raw JSON tokens, fractions where integers belong), deep nesting, long and
// ill-formed strings (lone surrogates, RTL overrides, emoji, NUL), wrong types, unknown keys and
// missing keys. Every answer must be a 201 or a 4xx within a second, never a 5xx; /health keeps
// answering; a refused config leaves no run row; an accepted one is cancelled at once. The base's
// limits are tiny and its target an unroutable loopback port, so an accepted run costs nothing.

const auth = { authorization: 'Bearer test-control-token-0123456789' };
const CASES = 250;

function call(path: string, init: RequestInit = {}) {
  return exports.default.fetch(`http://fluidbench.test${path}`, init);
}

const target = { api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' };
const tiny = { max_concurrency: 4, max_requests: 20, max_duration_s: 60 };
const ARRIVALS = [
  { type: 'constant', qps: 1 },
  { type: 'poisson', qps: 2 },
  { type: 'gamma', qps: 2, cv: 1.5 },
  { type: 'trace', times_s: [0, 0.5, 1], time_scale: 1 },
  { type: 'concurrency', n: 2 },
];
const LENGTHS = [
  { type: 'fixed', prompt_tokens: 8, output_tokens: 4 },
  { type: 'uniform', min_tokens: 4, max_tokens: 16, prefill_to_decode_ratio: 2 },
  { type: 'zipf', min_tokens: 4, max_tokens: 64, prefill_to_decode_ratio: 1, theta: 1.2 },
  { type: 'trace', rows: [[8, 4]], prefill_scale: 1, decode_scale: 1, max_tokens: 32, order: 'sequential' },
];

/** A valid config of one of the shapes above (checked by the first test). */
function baseConfig(arrivals: number, lengths: number): Record<string, unknown> {
  return {
    name: 'hostile',
    target: { ...target, extra_body: { temperature: 0 }, extra_headers: { 'x-test': 'yes' } },
    workload: {
      arrivals: structuredClone(ARRIVALS[arrivals]),
      lengths: structuredClone(LENGTHS[lengths]),
      requests: 2,
      warmup: { requests: 0 },
      seed: 7,
    },
    regions: [{ location: 'wnam', share: 1 }],
    streams_per_shard: 4,
    deadlines: { ttft_s: 0.3, tbt_s: 0.05, target_miss_rate: 0.1 },
    timeouts: { request_s: 5 },
    limits: { ...tiny },
  };
}

async function runCount(): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM runs').first<{ n: number }>();
  return row?.n ?? 0;
}

async function post(text: string): Promise<{ status: number; ms: number; body: { id?: string } }> {
  const started = performance.now();
  const res = await call('/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: text,
  });
  const body = (await res.json().catch(() => ({}))) as { id?: string };
  return { status: res.status, ms: performance.now() - started, body };
}

describe('hostile configs over the API (property)', () => {
  it('every base shape is accepted as is (so refusals below come from the mutations)', async () => {
    for (let a = 0; a < ARRIVALS.length; a++)
      for (let l = 0; l < LENGTHS.length; l++) {
        const answer = await post(toJsonText(baseConfig(a, l)));
        expect(answer.status, `${a}/${l}: ${JSON.stringify(answer.body)}`).toBe(201);
        await call(`/v1/runs/${answer.body.id}/cancel`, { method: 'POST', headers: auth });
      }
  });

  it(`${CASES} mutated configs: 201 or 4xx within a second, /health up, no row for a refusal`, async () => {
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    let slowest = 0;
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: ARRIVALS.length - 1 }),
        fc.nat({ max: LENGTHS.length - 1 }),
        // Mostly one mutation: a config that is otherwise valid reaches the plan and the coordinator.
        fc.oneof(
          { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 1 }), weight: 3 },
          fc.array(mutation, { minLength: 2, maxLength: 3 }),
        ),
        async (arrivals, lengths, mutations) => {
          const config = baseConfig(arrivals, lengths);
          for (const m of mutations) {
            const what = apply(config, m).split(' ')[0]!;
            kinds.set(what, (kinds.get(what) ?? 0) + 1);
          }
          const before = await runCount();
          const answer = await post(toJsonText(config));
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          slowest = Math.max(slowest, answer.ms);
          expect(
            answer.status === 201 || (answer.status >= 400 && answer.status < 500),
            `${answer.status}`,
          ).toBe(true);
          expect(answer.ms).toBeLessThan(1_000);
          expect((await call('/health')).status).toBe(200);
          if (answer.status === 201) {
            const cancel = await call(`/v1/runs/${answer.body.id}/cancel`, { method: 'POST', headers: auth });
            expect([202, 409]).toContain(cancel.status);
            expect(await runCount()).toBe(before + 1);
          } else expect(await runCount()).toBe(before);
        },
      ),
      { numRuns: CASES, endOnFailure: true },
    );
    console.log(
      `hostile configs: ${CASES} cases in ${Math.round(performance.now() - started)} ms, slowest answer ` +
        `${Math.round(slowest)} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `mutations ${JSON.stringify(Object.fromEntries(kinds))}`,
    );
  }, 120_000);
});
