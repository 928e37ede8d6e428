// Request records through a real local D1 in workerd: what goes in comes back exactly (interchange
// format, optional fields absent), retries never duplicate, pages walk every row once, and no
// statement exceeds D1's bound-parameter or batch limits.
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunks } from '../../core/record/chunk-codec.ts';
import { OUTCOMES, requestRecordSchema, TOKEN_COUNT_SOURCES } from '../../core/record/request-record.ts';
import {
  countRequests,
  D1_MAX_BATCH_STATEMENTS,
  D1_MAX_BOUND_PARAMETERS,
  insertRequests,
  REQUEST_COLUMN_COUNT,
  ROWS_PER_INSERT,
  readRequests,
  type StoredRequest,
} from './records-store.ts';

/** Wraps a D1 binding to record the parameters bound to each statement and the size of each batch. */
function spyOnD1(d1: D1Database): { db: D1Database; binds: number[]; batches: number[] } {
  const binds: number[] = [];
  const batches: number[] = [];
  const passThrough = <T extends object>(target: T, prop: string | symbol) => {
    const value = Reflect.get(target, prop);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const db = new Proxy(d1, {
    get(target, prop) {
      if (prop === 'prepare')
        return (query: string) =>
          new Proxy(target.prepare(query), {
            get(stmt, p) {
              if (p !== 'bind') return passThrough(stmt, p);
              return (...values: unknown[]) => {
                binds.push(values.length);
                return stmt.bind(...values);
              };
            },
          });
      if (prop === 'batch')
        return (statements: D1PreparedStatement[]) => {
          batches.push(statements.length);
          return target.batch(statements);
        };
      return passThrough(target, prop);
    },
  });
  return { db, binds, batches };
}

// Offsets at whole-ms (workerd clock) or whole-µs (Node clock) resolution are stored exactly.
const offsetUs = fc.oneof(
  fc.nat({ max: 200 }).map((ms) => ms * 1000),
  fc.nat({ max: 200_000 }),
);
const chunksArb = fc
  .array(fc.tuple(offsetUs, fc.oneof(fc.constant(0), fc.constant(1), fc.nat({ max: 40 }))), { maxLength: 60 })
  .map((steps) => {
    let us = 0;
    return steps.map(([gap, tokens]): [number, number] => {
      us += gap;
      return [us / 1000, tokens];
    });
  });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const recordArb = fc.record({
  region: optional(fc.constantFrom('weur', 'enam', 'FRA', 'apac')),
  scheduled_at_ms: optional(fc.double({ min: 1.79e12, max: 1.8e12, noNaN: true })),
  sent_at_ms: fc.oneof(
    fc.double({ min: 1.79e12, max: 1.8e12, noNaN: true }),
    fc.integer({ min: 0, max: 2e12 }),
  ),
  headers_ms: optional(fc.oneof(fc.nat({ max: 5000 }), fc.double({ min: 0, max: 5000, noNaN: true }))),
  prompt_tokens: fc.nat({ max: 100_000 }),
  output_tokens: fc.nat({ max: 4000 }),
  chunks: chunksArb,
  token_count_source: fc.constantFrom(...TOKEN_COUNT_SOURCES),
  outcome: fc.constantFrom(...OUTCOMES),
  status: optional(fc.constantFrom(200, 429, 500, 503)),
  error: optional(fc.string({ maxLength: 80 })),
  warmup: fc.integer({ min: 0, max: 9 }).map((n) => n === 0), // about 1 in 10
});

/** `n` records with distinct ids in shuffled order, keys in the interchange order. */
function makeRequests(n: number, seed: number, idPrefix = 'req'): StoredRequest[] {
  const samples = fc.sample(recordArb, { numRuns: n, seed });
  return samples.map((s, i) => {
    // A multiplicative permutation of the index: ids are unique but not in insertion order.
    const key = ((i * 7919 + seed) % 100_003).toString(36).padStart(4, '0');
    const record = {
      id: `${idPrefix}-${key}-${i}`,
      ...(s.region !== undefined && { region: s.region }),
      ...(s.scheduled_at_ms !== undefined && { scheduled_at_ms: s.scheduled_at_ms }),
      sent_at_ms: s.sent_at_ms,
      ...(s.headers_ms !== undefined && { headers_ms: s.headers_ms }),
      prompt_tokens: s.prompt_tokens,
      output_tokens: s.output_tokens,
      chunks: s.chunks,
      token_count_source: s.token_count_source,
      outcome: s.outcome,
      ...(s.status !== undefined && { status: s.status }),
      ...(s.error !== undefined && { error: s.error }),
      // Every third record carries the reasoning split (the others must read back without it).
      ...(i % 3 === 0 && {
        reasoning_tokens: i % 97,
        first_reasoning_ms: i * 0.25,
        first_visible_ms: i * 0.5 + 1,
        cached_prompt_tokens: i % 13,
      }),
    };
    return { ...record, shard: i % 5, seq: Math.floor(i / 5), warmup: s.warmup };
  });
}

/** The interchange record a stored request should read back as (no shard/seq/warmup). */
function interchange({ shard: _s, seq: _q, warmup: _w, ...record }: StoredRequest) {
  return record;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

async function readAll(d1: D1Database, runId: string, limit: number, includeWarmup?: boolean) {
  const records = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await readRequests(d1, runId, {
      limit,
      ...(after !== undefined && { after }),
      includeWarmup,
    });
    expect(page.records.length).toBeLessThanOrEqual(limit);
    records.push(...page.records);
    if (page.next === null) return records;
    expect(page.records.length).toBe(limit);
    after = page.next;
  }
  throw new Error('pagination did not end');
}

describe('insertRequests and readRequests', () => {
  it('sizes INSERTs to the 100-parameter limit', () => {
    expect(REQUEST_COLUMN_COUNT).toBeLessThanOrEqual(20);
    expect(ROWS_PER_INSERT * REQUEST_COLUMN_COUNT).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    expect((ROWS_PER_INSERT + 1) * REQUEST_COLUMN_COUNT).toBeGreaterThan(D1_MAX_BOUND_PARAMETERS);
  });

  it('stores 1,000 records in several batches and pages them back exactly', async () => {
    const runId = 'run-roundtrip';
    const rows = makeRequests(1000, 11);
    const spy = spyOnD1(env.DB);
    expect(await insertRequests(spy.db, runId, rows)).toBe(1000);

    expect(Math.max(...spy.binds)).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    expect(spy.binds.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000 * REQUEST_COLUMN_COUNT);
    expect(spy.batches.length).toBeGreaterThan(1);
    expect(Math.max(...spy.batches)).toBeLessThanOrEqual(D1_MAX_BATCH_STATEMENTS);
    expect(spy.batches.reduce((a, b) => a + b, 0)).toBe(Math.ceil(1000 / ROWS_PER_INSERT));

    const expectedAll = rows.map(interchange).sort(byId);
    const all = await readAll(env.DB, runId, 97, true);
    // Byte-for-byte as JSON: same values, optional fields absent (not null), same key order.
    expect(JSON.stringify(all)).toBe(JSON.stringify(expectedAll));
    expect(all).toStrictEqual(expectedAll);
    for (const record of all) expect(requestRecordSchema.safeParse(record).success).toBe(true);

    const measured = await readAll(env.DB, runId, 250);
    const expectedMeasured = rows
      .filter((r) => !r.warmup)
      .map(interchange)
      .sort(byId);
    expect(measured.length).toBeLessThan(1000);
    expect(measured).toStrictEqual(expectedMeasured);
  });

  it('walks every row exactly once with a cursor, whatever the page size', async () => {
    const runId = 'run-cursor';
    const rows = makeRequests(61, 5);
    await insertRequests(env.DB, runId, rows);
    const ids = rows.map((r) => r.id).sort();
    for (const limit of [1, 7, 60, 61, 62, 1000]) {
      const seen = (await readAll(env.DB, runId, limit, true)).map((r) => r.id);
      expect(seen).toEqual(ids);
    }
    const firstPage = await readRequests(env.DB, runId, { limit: 10, includeWarmup: true });
    expect(firstPage.next).toBe(ids[9]);
    await expect(readRequests(env.DB, runId, { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('keeps exactly one copy, the first written, when rows are inserted again', async () => {
    const runId = 'run-retry';
    const rows = makeRequests(40, 3);
    expect(await insertRequests(env.DB, runId, rows)).toBe(40);
    expect(await insertRequests(env.DB, runId, rows)).toBe(0);

    // A retry that overlaps the stored rows and adds new ones; the overlap carries other values.
    const changed = rows.slice(20).map((r) => ({ ...r, outcome: 'timeout' as const, chunks: [] }));
    const extra = makeRequests(15, 4, 'extra');
    expect(await insertRequests(env.DB, runId, [...changed, ...extra])).toBe(15);

    const all = await readAll(env.DB, runId, 1000, true);
    expect(all).toStrictEqual([...rows, ...extra].map(interchange).sort(byId));
    expect((await countRequests(env.DB, runId)).total).toBe(55);
  });

  it('keeps runs apart', async () => {
    const rows = makeRequests(8, 9);
    await insertRequests(env.DB, 'run-a', rows);
    await insertRequests(env.DB, 'run-b', rows.slice(0, 3));
    expect(await readAll(env.DB, 'run-b', 100, true)).toStrictEqual(
      rows.slice(0, 3).map(interchange).sort(byId),
    );
    expect((await countRequests(env.DB, 'run-a')).total).toBe(8);
    expect(await readRequests(env.DB, 'run-none', { limit: 5 })).toEqual({ records: [], next: null });
  });

  it('counts rows per outcome, warm-up apart', async () => {
    const runId = 'run-count';
    const rows = makeRequests(300, 21);
    await insertRequests(env.DB, runId, rows);
    const byOutcome: Record<string, number> = {};
    for (const r of rows) if (!r.warmup) byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
    const warmup = rows.filter((r) => r.warmup).length;
    expect(warmup).toBeGreaterThan(0);
    expect(await countRequests(env.DB, runId)).toEqual({ total: 300, warmup, byOutcome });
    expect(await countRequests(env.DB, 'run-empty')).toEqual({ total: 0, warmup: 0, byOutcome: {} });
  });

  it('stores chunks as a BLOB that decodes however D1 hands it back', async () => {
    const runId = 'run-blob';
    const [row] = makeRequests(1, 1);
    const chunks: [number, number][] = [
      [0.001, 0],
      [20, 1],
      [20, 0],
      [41.5, 3],
    ];
    await insertRequests(env.DB, runId, [{ ...row!, chunks }]);
    const stmt = env.DB.prepare('SELECT chunks, typeof(chunks) AS t FROM requests WHERE run_id = ?').bind(
      runId,
    );
    const object = await stmt.first<{ chunks: ArrayBuffer | number[]; t: string }>();
    expect(object?.t).toBe('blob');
    expect(decodeChunks(object!.chunks)).toEqual(chunks);
    const [raw] = await stmt.raw<[ArrayBuffer | number[], string]>();
    expect(decodeChunks(raw![0])).toEqual(chunks);
  });

  it('stores a record whose timeline exceeds the row limit as a failed request without it, and the rest intact', async () => {
    const runId = 'run-oversized';
    const [small, base] = makeRequests(2, 21);
    // ~7 bytes a chunk (huge token counts): 300,000 chunks are ~2.1 MB, over the row limit.
    const chunks = Array.from({ length: 300_000 }, (_, i) => [i, 2 ** 40] as [number, number]);
    const huge = { ...base!, outcome: 'ok' as const, chunks, output_tokens: 300_000 * 2 ** 40 };
    expect(await insertRequests(env.DB, runId, [small!, huge])).toBe(2);
    const back = await readAll(env.DB, runId, 10, true);
    const stored = back.find((r) => r.id === huge.id);
    expect(stored?.outcome).toBe('stream_error');
    expect(stored?.chunks).toEqual([]);
    expect(stored?.error).toMatch(/300000 chunks .* exceeds the D1 row limit/);
    expect(back.find((r) => r.id === small!.id)).toEqual(interchange(small!));
  });

  it('rejects bad records before writing anything, and propagates D1 errors', async () => {
    const runId = 'run-errors';
    const rows = makeRequests(20, 8);
    const bad = { ...rows[19]!, chunks: [[5, 1] as [number, number], [4, 1] as [number, number]] };
    await expect(insertRequests(env.DB, runId, [...rows.slice(0, 19), bad])).rejects.toThrow(/decrease/);
    expect((await countRequests(env.DB, runId)).total).toBe(0);

    // A NOT NULL violation in the second batch: the first batch is committed, the error surfaces,
    // and the retry with fixed data completes the set without duplicates.
    const many = makeRequests(400, 12);
    const broken = many.map((r, i) => (i === 350 ? { ...r, sent_at_ms: null as unknown as number } : r));
    await expect(insertRequests(env.DB, runId, broken)).rejects.toThrow();
    const partial = (await countRequests(env.DB, runId)).total;
    expect(partial).toBeLessThan(400);
    expect(await insertRequests(env.DB, runId, many)).toBe(400 - partial);
    expect((await countRequests(env.DB, runId)).total).toBe(400);
  });
});
