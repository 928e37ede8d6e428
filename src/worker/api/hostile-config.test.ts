import { env, exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

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

/** A value written into the JSON text as is, for what JSON.stringify cannot write (1e999, NaN, -0). */
class RawToken {
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }
}

/** A value nested `levels` deep, as raw text (built as text: neither fast-check nor JSON recurses into it). */
function nestedText(levels: number, array: boolean): RawToken {
  return new RawToken(
    array ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"k":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );
}

const hostileNumber = fc.oneof(
  fc.constantFrom(2 ** 53 - 1, 1e7, 1e9, 3_000_000, 1e6 + 1, 100_001),
  fc.constantFrom(0, -0, -1, 1, 0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1e300),
  fc.constantFrom(5e-324, Number.MAX_VALUE, Number.EPSILON, 1e-300, 4294967296.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('1e999', '-1e999', '-0', '1E400', '0.0000000000000000000001').map((t) => new RawToken(t)),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '0x10', '01', '+1').map((t) => new RawToken(t)),
  fc.constantFrom('NaN', 'Infinity', '1e999', '5', '', ' 1'),
);

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\uD800', '\uDFFF', 'a\uD83D', '\u202Eevil\u202C', '\u0000', 'a\r\nb: c', '', ' '),
  fc.constantFrom('👩‍👩‍👧‍👦'.repeat(200), 'ﷺ'.repeat(1_000), '\u05D0\u05D1'.repeat(500)),
  fc.constantFrom(10_000, 300_000, 2_100_000).map((n) => 'x'.repeat(n)),
  fc.constantFrom('http://127.0.0.1:9/v1?api_key=1', 'javascript:alert(1)', 'http://[::1', 'OPENAI_API_KEY'),
);

const wrongType = fc.oneof(
  fc.constantFrom(null, true, false, [], {}, [1, 'a'], { a: 1 }, [[[]]]),
  fc
    .tuple(fc.constantFrom(5, 30, 45, 200, 3_000, 50_000), fc.boolean())
    .map(([levels, array]) => nestedText(levels, array)),
  fc.array(fc.integer(), { minLength: 0, maxLength: 5 }),
);

const hostileValue = fc.oneof(
  { arbitrary: hostileNumber, weight: 5 },
  { arbitrary: hostileString, weight: 3 },
  { arbitrary: wrongType, weight: 3 },
);

type Path = (string | number)[];

/** Every path in a JSON value (objects and arrays, and leaves), the root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object' || value instanceof RawToken) return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  return node;
}

type Mutation =
  | { kind: 'set'; pick: number; value: unknown }
  | { kind: 'delete'; pick: number }
  | { kind: 'add-key'; pick: number; key: string; value: unknown }
  | { kind: 'nest'; pick: number; levels: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: hostileValue }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('add-key' as const),
      pick: fc.nat(),
      key: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.constantFrom('__proto__', 'constructor'),
      ),
      value: hostileValue,
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('nest' as const),
      pick: fc.nat(),
      levels: fc.constantFrom(1, 40, 3_000, 10_000),
    }),
    weight: 1,
  },
);

/** Applies a mutation in place; returns its kind and the path it hit, for the summary. */
function apply(config: Record<string, unknown>, m: Mutation): string {
  const paths = pathsOf(config);
  const path = paths[m.pick % paths.length]!;
  const parent = parentOf(config, path);
  const key = path[path.length - 1]!;
  if (m.kind === 'set') parent[key] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (m.kind === 'add-key') {
    const holder = parent[key];
    if (holder !== null && typeof holder === 'object' && !Array.isArray(holder))
      Object.defineProperty(holder, m.key, { value: m.value, enumerable: true, writable: true });
    else parent[key] = { [m.key]: m.value };
  } else
    parent[key] = new RawToken(
      `${'{"v":'.repeat(m.levels)}${toJsonText(parent[key] ?? null)}${'}'.repeat(m.levels)}`,
    );
  return `${m.kind} ${path.join('.')}`;
}

/** JSON text, with RawToken values written verbatim. */
function toJsonText(config: unknown): string {
  const tokens: string[] = [];
  const text = JSON.stringify(config, (_key, value: unknown) => {
    if (!(value instanceof RawToken)) return value;
    tokens.push(value.token);
    return `\u0000raw${tokens.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_, i: string) => tokens[Number(i)]!);
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
