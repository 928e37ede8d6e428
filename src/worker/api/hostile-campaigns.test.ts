import { env, exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, mutation, toJsonText } from './testing/hostile-json.ts';

// The campaign endpoints under the same adversarial bodies as hostile-config.test.ts gives run
// configs: a valid prefill-profile request (`POST /v1/profiles`) or capacity-search request
// (`POST /v1/searches`), of one of several shapes, mutated at random paths (testing/hostile-json.ts).
// Every answer must be a 201 or a 4xx within a second, never a 5xx; /health keeps answering; a
// refused body leaves no row in `profiles`, `searches` or `runs`. The target is an unroutable
// loopback port and the limits tiny, and an accepted profile or search is cancelled at once.

const auth = { authorization: 'Bearer test-control-token-0123456789' };
const CASES = 150;

function call(path: string, init: RequestInit = {}) {
  return exports.default.fetch(`http://fluidbench.test${path}`, init);
}

const target = {
  api: 'openai-chat',
  base_url: 'http://127.0.0.1:9/v1',
  model: 'm',
  extra_body: { temperature: 0 },
  extra_headers: { 'x-test': 'yes' },
};

/** Valid profile requests (checked by the first test). */
const PROFILES: Record<string, unknown>[] = [
  { target },
  {
    name: 'hostile',
    target,
    region: 'weur',
    context_tokens: 64,
    prompt_lengths: [8, 16, 32, 60],
    samples_per_length: 3,
    output_tokens: 4,
    seed: 7,
    max_duration_s: 60,
  },
  { target: { ...target, api: 'openai-completions' }, prompt_lengths: [1, 2], output_tokens: 1 },
];

/** A probe template: a run config without name and arrivals, its limits tiny. */
const template = {
  target,
  regions: [{ location: 'wnam', share: 1 }],
  streams_per_shard: 4,
  timeouts: { request_s: 5 },
  limits: { max_concurrency: 4, max_requests: 40, max_duration_s: 60 },
  workload: { lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 4 }, seed: 1 },
};

/** Valid search requests (checked by the first test). */
const SEARCHES: Record<string, unknown>[] = [
  {
    name: 'hostile',
    template,
    settings: {
      dimension: 'concurrency',
      slo: { type: 'ttft_tpot', ttft_slo_s: 0.5 },
      probe: { requests: 10, warmup_requests: 2 },
      load: { min: 1, max: 4, start: 2 },
      budgets: { max_probes: 2, max_requests: 40, max_output_tokens: 1_000, max_duration_s: 60 },
      cooldown_s: 0,
      warm_start: 'off',
    },
  },
  {
    template: {
      ...template,
      workload: {
        lengths: { type: 'uniform', min_tokens: 4, max_tokens: 16, prefill_to_decode_ratio: 2 },
        seed: 3,
      },
    },
    settings: {
      mode: 'etalon',
      dimension: 'qps',
      arrivals: { type: 'gamma', cv: 1.5 },
      slo: { type: 'tbt_ttft', tbt_percentile: 0.99 },
      tolerance: 0.1,
      probe: { requests: 10 },
      load: { min: 0.5, max: 2 },
      cooldown_s: 0,
      warm_start: { load: 1 },
      etalon_granularity_pct: 5,
    },
  },
  {
    template,
    settings: {
      dimension: 'qps',
      arrivals: { type: 'constant' },
      slo: { type: 'attainment', target: 0.9 },
      probe: { requests: 10, min_duration_s: 1 },
      load: { min: 0.5, max: 3 },
      achieved_rate_tolerance: 0.1,
      error_rate_bound: 0.5,
      warm_start: 'auto',
    },
  },
];

interface Endpoint {
  path: '/v1/profiles' | '/v1/searches';
  bases: Record<string, unknown>[];
  /** Cancels what an accepted body started; answers the cancel's status. */
  cancel(body: Answer['body']): Promise<number>;
}

interface Answer {
  status: number;
  ms: number;
  body: { id?: string; run_id?: string; error?: unknown };
}

const ENDPOINTS: Endpoint[] = [
  {
    path: '/v1/profiles',
    bases: PROFILES,
    cancel: async (body) =>
      (await call(`/v1/runs/${body.run_id}/cancel`, { method: 'POST', headers: auth })).status,
  },
  {
    path: '/v1/searches',
    bases: SEARCHES,
    cancel: async (body) =>
      (await call(`/v1/searches/${body.id}/cancel`, { method: 'POST', headers: auth })).status,
  },
];

/** Ids of accepted searches: their campaigns start probe runs in the background, after the 201. */
const acceptedSearches: string[] = [];

/** Rows per table; a run of an accepted search's probe is left out (it may appear at any time). */
async function rowCounts(): Promise<{ profiles: number; searches: number; runs: number }> {
  const [profiles, searches, runs] = await env.DB.batch<{ n?: number; id?: string }>([
    env.DB.prepare('SELECT COUNT(*) AS n FROM profiles'),
    env.DB.prepare('SELECT COUNT(*) AS n FROM searches'),
    env.DB.prepare('SELECT id FROM runs'),
  ]);
  const probeRun = (id: string) => acceptedSearches.some((search) => id.startsWith(`${search}-p`));
  return {
    profiles: profiles!.results[0]!.n!,
    searches: searches!.results[0]!.n!,
    runs: runs!.results.filter((row) => !probeRun(row.id!)).length,
  };
}

async function post(path: string, text: string): Promise<Answer> {
  const started = performance.now();
  const res = await call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: text,
  });
  const body = (await res.json().catch(() => ({}))) as Answer['body'];
  return { status: res.status, ms: performance.now() - started, body };
}

/** What an accepted body adds: a profile is a row and its run; a search is a row (its probes come later). */
function added(path: Endpoint['path']): { profiles: number; searches: number; runs: number } {
  return path === '/v1/profiles'
    ? { profiles: 1, searches: 0, runs: 1 }
    : { profiles: 0, searches: 1, runs: 0 };
}

async function accepted(endpoint: Endpoint, answer: Answer): Promise<void> {
  if (endpoint.path === '/v1/searches') acceptedSearches.push(answer.body.id!);
  expect([202, 409]).toContain(await endpoint.cancel(answer.body));
}

describe.each(ENDPOINTS)('hostile bodies for POST $path (property)', (endpoint) => {
  it('every base shape is accepted as is (so refusals below come from the mutations)', async () => {
    for (const [i, base] of endpoint.bases.entries()) {
      const answer = await post(endpoint.path, toJsonText(base));
      expect(answer.status, `${i}: ${JSON.stringify(answer.body)}`).toBe(201);
      await accepted(endpoint, answer);
    }
  });

  it(`${CASES} mutated bodies: 201 or 4xx within a second, /health up, no row for a refusal`, async () => {
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    let slowest = 0;
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: endpoint.bases.length - 1 }),
        // Mostly one mutation: a body that is otherwise valid reaches the run checks and the campaign.
        fc.oneof(
          { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 1 }), weight: 3 },
          fc.array(mutation, { minLength: 2, maxLength: 3 }),
        ),
        async (shape, mutations) => {
          const body = structuredClone(endpoint.bases[shape]!);
          for (const m of mutations) {
            const what = apply(body, m).split(' ')[0]!;
            kinds.set(what, (kinds.get(what) ?? 0) + 1);
          }
          const before = await rowCounts();
          const answer = await post(endpoint.path, toJsonText(body));
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          slowest = Math.max(slowest, answer.ms);
          expect(
            answer.status === 201 || (answer.status >= 400 && answer.status < 500),
            `${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`,
          ).toBe(true);
          expect(answer.ms).toBeLessThan(1_000);
          expect((await call('/health')).status).toBe(200);
          if (answer.status === 201) {
            await accepted(endpoint, answer);
            const plus = added(endpoint.path);
            expect(await rowCounts()).toEqual({
              profiles: before.profiles + plus.profiles,
              searches: before.searches + plus.searches,
              runs: before.runs + plus.runs,
            });
          } else expect(await rowCounts()).toEqual(before);
        },
      ),
      { numRuns: CASES, endOnFailure: true },
    );
    console.log(
      `hostile ${endpoint.path}: ${CASES} cases in ${Math.round(performance.now() - started)} ms, slowest ` +
        `answer ${Math.round(slowest)} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `mutations ${JSON.stringify(Object.fromEntries(kinds))}`,
    );
  }, 120_000);
});
