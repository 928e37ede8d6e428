// Request records through a real local D1 in workerd: pages of records come back exactly
// (interchange format, optional fields absent) in (shard, page, position) order, a retried page
// never duplicates, cursors walk every record once, runs stored in the older one-row-per-request
// table still read and count, and a record costs a small fraction of a D1 row written.
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PAGE_BYTES, takePage } from '../../core/record/record-page-codec.ts';
import { OUTCOMES, requestRecordSchema, TOKEN_COUNT_SOURCES } from '../../core/record/request-record.ts';
import { openDatabase } from './database.ts';
import {
  countRequests,
  RecordCursorError,
  readRequests,
  type StoredRequest,
  skipRequests,
  writeRecordPage,
} from './records-store.ts';
import { requests } from './schema.ts';

/** Wraps a D1 binding to record each statement: its SQL, parameters bound, and rows answered. */
function spyOnD1(d1: D1Database): {
  db: D1Database;
  binds: number[];
  queries: { sql: string; rows: number }[];
} {
  const binds: number[] = [];
  const queries: { sql: string; rows: number }[] = [];
  const passThrough = <T extends object>(target: T, prop: string | symbol) => {
    const value = Reflect.get(target, prop);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const watch = (stmt: D1PreparedStatement, query: string): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, p) {
        if (p === 'bind')
          return (...values: unknown[]) => {
            binds.push(values.length);
            return watch(target.bind(...values), query);
          };
        if (p === 'raw' || p === 'all')
          return async (...args: unknown[]) => {
            const answer = await (target[p] as (...a: unknown[]) => Promise<unknown>)(...args);
            const rows = Array.isArray(answer) ? answer : (answer as { results: unknown[] }).results;
            queries.push({ sql: query, rows: rows.length });
            return answer;
          };
        return passThrough(target, p);
      },
    });
  const db = new Proxy(d1, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => watch(target.prepare(query), query);
      return passThrough(target, prop);
    },
  });
  return { db, binds, queries };
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
  error: optional(fc.string({ maxLength: 80, unit: 'grapheme' })),
  warmup: fc.integer({ min: 0, max: 9 }).map((n) => n === 0), // about 1 in 10
});

/** `n` records over `shards` shards (seq in order within each), keys in the interchange order. */
function makeRequests(n: number, seed: number, shards = 5, idPrefix = 'req'): StoredRequest[] {
  const samples = fc.sample(recordArb, { numRuns: n, seed });
  return samples.map((s, i) => {
    const record = {
      id: `${idPrefix}-${seed}-${i}`,
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
    return { ...record, shard: i % shards, seq: i, warmup: s.warmup };
  });
}

/** The interchange record a stored request should read back as (no shard/seq/warmup). */
function interchange({ shard: _s, seq: _q, warmup: _w, ...record }: StoredRequest) {
  return record;
}

/**
 * Writes each shard's records in pages of `size` (keyed by their first seq), shards and pages in a
 * scrambled order; returns the records in the order they read back: shard, page, position.
 */
async function writePages(d1: D1Database, runId: string, rows: StoredRequest[], size: number) {
  const pages: { shard: number; page: number; records: StoredRequest[] }[] = [];
  const shards = [...new Set(rows.map((r) => r.shard))];
  for (const shard of shards) {
    const mine = rows.filter((r) => r.shard === shard);
    for (let i = 0; i < mine.length; i += size)
      pages.push({ shard, page: mine[i]!.seq, records: mine.slice(i, i + size) });
  }
  const usage = { rowsWritten: 0, bytes: 0 };
  for (const p of [...pages].reverse()) await writeRecordPage(d1, runId, p, p.records, usage);
  pages.sort((a, b) => a.shard - b.shard || a.page - b.page);
  return { ordered: pages.flatMap((p) => p.records), pages: pages.length, usage };
}

async function readAll(d1: D1Database, runId: string, limit: number, includeWarmup?: boolean) {
  const records = [];
  let after: string | undefined;
  for (let calls = 0; calls < 10_000; calls++) {
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

/** Rows of the older one-row-per-request table, as runs stored before pages have them. */
async function writeLegacy(d1: D1Database, runId: string, rows: StoredRequest[]) {
  const { encodeChunks } = await import('../../core/record/chunk-codec.ts');
  const db = openDatabase(d1);
  for (const r of rows)
    await db.insert(requests).values({
      runId,
      id: r.id,
      shard: r.shard,
      seq: r.seq,
      region: r.region ?? null,
      warmup: r.warmup,
      scheduledAtMs: r.scheduled_at_ms ?? null,
      sentAtMs: r.sent_at_ms,
      headersMs: r.headers_ms ?? null,
      promptTokens: r.prompt_tokens,
      outputTokens: r.output_tokens,
      chunks: encodeChunks(r.chunks),
      tokenCountSource: r.token_count_source,
      outcome: r.outcome,
      status: r.status ?? null,
      error: r.error ?? null,
      reasoningTokens: r.reasoning_tokens ?? null,
      firstReasoningMs: r.first_reasoning_ms ?? null,
      firstVisibleMs: r.first_visible_ms ?? null,
      cachedPromptTokens: r.cached_prompt_tokens ?? null,
    });
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('writeRecordPage and readRequests', () => {
  it('stores 1,000 records in pages and reads them back exactly, in order', async () => {
    const runId = 'run-roundtrip';
    const rows = makeRequests(1000, 11);
    const spy = spyOnD1(env.DB);
    const { ordered, pages } = await writePages(spy.db, runId, rows, 90);
    expect(pages).toBe(5 * 3);
    expect(Math.max(...spy.binds)).toBeLessThanOrEqual(100);

    const all = await readAll(spy.db, runId, 97, true);
    // Byte-for-byte as JSON: same values, optional fields absent (not null), same key order.
    expect(JSON.stringify(all)).toBe(JSON.stringify(ordered.map(interchange)));
    for (const record of all) expect(requestRecordSchema.safeParse(record).success).toBe(true);

    const measured = await readAll(env.DB, runId, 250);
    expect(measured.length).toBeLessThan(1000);
    expect(measured).toStrictEqual(ordered.filter((r) => !r.warmup).map(interchange));
    expect(Math.max(...spy.binds)).toBeLessThanOrEqual(100);
  });

  it('walks every record exactly once over several pages and shards, whatever the limit', async () => {
    const runId = 'run-cursor';
    // Pages of 4 over 3 shards, and a shard whose every record is warm-up.
    const rows = [
      ...makeRequests(61, 5, 3),
      ...makeRequests(9, 6, 1).map((r) => ({ ...r, shard: 7, warmup: true })),
    ];
    const { ordered } = await writePages(env.DB, runId, rows, 4);
    const ids = ordered.map((r) => r.id);
    const measuredIds = ordered.filter((r) => !r.warmup).map((r) => r.id);
    for (const limit of [1, 3, 4, 5, 7, 60, 70, 71, 1000]) {
      expect((await readAll(env.DB, runId, limit, true)).map((r) => r.id)).toEqual(ids);
      expect((await readAll(env.DB, runId, limit)).map((r) => r.id)).toEqual(measuredIds);
    }
    const first = await readRequests(env.DB, runId, { limit: 6, includeWarmup: true });
    expect(first.next).toMatch(/^p:0:\d+:2$/);
    await expect(readRequests(env.DB, runId, { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('reads a run in bounded chunks: a few queries a read, only the pages it needs', async () => {
    const runId = 'run-bounded';
    const rows = makeRequests(1200, 61, 1);
    await writePages(env.DB, runId, rows, 40); // 30 pages
    const blobPages = (queries: { sql: string; rows: number }[]) =>
      queries.filter((q) => q.sql.includes('"records"') && !q.sql.includes('length(')).map((q) => q.rows);
    for (const [limit, maxPages] of [
      [10, 1],
      [100, 4],
      [1000, 27],
    ] as const) {
      const spy = spyOnD1(env.DB);
      const page = await readRequests(spy.db, runId, { limit, includeWarmup: true, after: 'p:0:40:3' });
      expect(page.records).toHaveLength(limit);
      expect(page.records[0]!.id).toBe(rows[43]!.id);
      // The older table, the pages' counts, then the blobs.
      expect(spy.queries.length).toBeLessThanOrEqual(3);
      expect(blobPages(spy.queries)).toHaveLength(1);
      expect(blobPages(spy.queries)[0]).toBeLessThanOrEqual(maxPages);
    }
    // Skipping 1,000 records reads the counts and at most the two pages where it starts and ends.
    const spy = spyOnD1(env.DB);
    expect(
      await skipRequests(spy.db, runId, { after: 'p:0:40:3', count: 1000, includeWarmup: true }),
    ).toEqual({
      until: `p:0:${rows[1040]!.seq}:3`,
      more: true,
    });
    expect(blobPages(spy.queries).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
  });

  it('finds where a read of n records ends without reading them, and bounds a read there', async () => {
    const runId = 'run-skip';
    const rows = makeRequests(50, 17, 2);
    await writePages(env.DB, runId, rows, 6);
    for (const includeWarmup of [false, true]) {
      let after: string | undefined;
      for (const count of [1, 5, 6, 13, 2, 100]) {
        const from = after !== undefined ? { after } : {};
        const skip = await skipRequests(env.DB, runId, { ...from, count, includeWarmup });
        const read = await readRequests(env.DB, runId, { ...from, limit: count, includeWarmup });
        if (skip === null) {
          expect(read.records.length).toBeLessThan(count);
          break;
        }
        expect(read.records.length).toBe(count);
        expect(skip.more).toBe(read.next !== null);
        // The bound stops a bigger read exactly where `count` records end.
        const bounded = await readRequests(env.DB, runId, {
          ...from,
          limit: 1000,
          includeWarmup,
          until: skip.until,
        });
        expect(bounded.records).toStrictEqual(read.records);
        after = skip.until;
      }
    }
  });

  it('replaces a page only by a bigger one: a retried superset wins, the same or a smaller one is ignored', async () => {
    const runId = 'run-retry';
    const rows = makeRequests(30, 3, 1);
    const key = { shard: 0, page: 0 };
    const usage = { rowsWritten: 0, bytes: 0 };
    expect(await writeRecordPage(env.DB, runId, key, rows.slice(0, 10), usage)).toBe(true);
    expect(usage.rowsWritten).toBeGreaterThan(0);
    expect(await writeRecordPage(env.DB, runId, key, rows.slice(0, 10))).toBe(false);
    expect(await writeRecordPage(env.DB, runId, key, rows.slice(0, 25))).toBe(true);
    expect(await writeRecordPage(env.DB, runId, key, rows.slice(0, 12))).toBe(false);
    const changed = rows.slice(0, 25).map((r) => ({ ...r, outcome: 'timeout' as const }));
    expect(await writeRecordPage(env.DB, runId, key, changed)).toBe(false);

    expect(await readAll(env.DB, runId, 7, true)).toStrictEqual(rows.slice(0, 25).map(interchange));
    const counts = await countRequests(env.DB, runId);
    expect(counts.total).toBe(25);
    expect(counts.warmup + Object.values(counts.byOutcome).reduce((a, b) => a + b, 0)).toBe(25);
  });

  it('keeps runs apart', async () => {
    const rows = makeRequests(8, 9, 2);
    await writePages(env.DB, 'run-a', rows, 3);
    const { ordered } = await writePages(env.DB, 'run-b', rows.slice(0, 3), 3);
    expect(await readAll(env.DB, 'run-b', 100, true)).toStrictEqual(ordered.map(interchange));
    expect((await countRequests(env.DB, 'run-a')).total).toBe(8);
    expect(await readRequests(env.DB, 'run-none', { limit: 5 })).toEqual({ records: [], next: null });
    expect(await skipRequests(env.DB, 'run-none', { count: 5 })).toBeNull();
  });

  it('counts records per outcome, warm-up apart, from the pages without decoding them', async () => {
    const runId = 'run-count';
    const rows = makeRequests(300, 21);
    await writePages(env.DB, runId, rows, 45);
    const byOutcome: Record<string, number> = {};
    for (const r of rows) if (!r.warmup) byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
    const warmup = rows.filter((r) => r.warmup).length;
    expect(warmup).toBeGreaterThan(0);
    expect(await countRequests(env.DB, runId)).toEqual({ total: 300, warmup, byOutcome });
    expect(await countRequests(env.DB, 'run-empty')).toEqual({ total: 0, warmup: 0, byOutcome: {} });
  });

  it('still reads and counts a run stored one row per request, then any pages after it', async () => {
    const runId = 'run-legacy';
    const old = makeRequests(23, 31, 2, 'old');
    await writeLegacy(env.DB, runId, old);
    const expectedOld = old.map(interchange).sort(byId);
    expect(await readAll(env.DB, runId, 5, true)).toStrictEqual(expectedOld);
    const first = await readRequests(env.DB, runId, { limit: 5, includeWarmup: true });
    expect(first.next).toBe(expectedOld[4]!.id); // an id cursor, as older clients sent
    const byOutcome: Record<string, number> = {};
    for (const r of old) if (!r.warmup) byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
    const warmup = old.filter((r) => r.warmup).length;
    expect(await countRequests(env.DB, runId)).toEqual({ total: 23, warmup, byOutcome });

    // A run that straddled the change: its old rows first, then its pages.
    const { ordered } = await writePages(env.DB, runId, makeRequests(11, 32, 2, 'new'), 4);
    const both = [...expectedOld, ...ordered.map(interchange)];
    for (const limit of [1, 5, 23, 24, 100])
      expect(await readAll(env.DB, runId, limit, true)).toStrictEqual(both);
    expect((await countRequests(env.DB, runId)).total).toBe(34);
    const skip = await skipRequests(env.DB, runId, { count: 25, includeWarmup: true });
    expect(skip?.until).toMatch(/^p:/);
  });

  it('refuses an id cursor for a run stored in pages instead of starting over', async () => {
    const runId = 'run-paged-only';
    const { ordered } = await writePages(env.DB, runId, makeRequests(10, 41, 1), 5);
    const lastId = ordered[4]!.id;
    await expect(readRequests(env.DB, runId, { after: lastId, limit: 5 })).rejects.toThrow(RecordCursorError);
    await expect(skipRequests(env.DB, runId, { after: lastId, count: 5 })).rejects.toThrow(RecordCursorError);
  });

  it('keeps a record whose timeline exceeds the row limit as a failed request without it, and the rest intact', async () => {
    const runId = 'run-oversized';
    const [small, base] = makeRequests(2, 21, 1);
    // ~7 bytes a chunk (huge token counts): 300,000 chunks are ~2.1 MB, over the row limit.
    const chunks = Array.from({ length: 300_000 }, (_, i) => [i, 2 ** 40] as [number, number]);
    const huge = { ...base!, outcome: 'ok' as const, chunks, output_tokens: 300_000 * 2 ** 40 };
    expect(takePage([small!, huge])).toBe(2);
    expect(await writeRecordPage(env.DB, runId, { shard: 0, page: 0 }, [small!, huge])).toBe(true);
    const back = await readAll(env.DB, runId, 10, true);
    const stored = back.find((r) => r.id === huge.id);
    expect(stored?.outcome).toBe('stream_error');
    expect(stored?.chunks).toEqual([]);
    expect(stored?.error).toMatch(/300000 chunks .* exceeds the D1 row limit/);
    expect(back.find((r) => r.id === small!.id)).toEqual(interchange(small!));
    expect((await countRequests(env.DB, runId)).byOutcome.stream_error).toBeGreaterThanOrEqual(1);
  });

  it('refuses bad pages before writing anything', async () => {
    const runId = 'run-errors';
    const rows = makeRequests(20, 8, 1);
    const key = { shard: 0, page: 0 };
    const bad = { ...rows[19]!, chunks: [[5, 1] as [number, number], [4, 1] as [number, number]] };
    await expect(writeRecordPage(env.DB, runId, key, [...rows.slice(0, 19), bad])).rejects.toThrow(
      /decrease/,
    );
    await expect(writeRecordPage(env.DB, runId, { shard: 1, page: 0 }, rows)).rejects.toThrow(RangeError);
    await expect(writeRecordPage(env.DB, runId, { shard: 0, page: -1 }, rows)).rejects.toThrow(RangeError);
    await expect(writeRecordPage(env.DB, runId, key, [])).rejects.toThrow(RangeError);
    // Big timelines, each within a page but not all together: takePage splits, a whole page is refused.
    const big = rows.map((r) => ({
      ...r,
      chunks: Array.from({ length: 150_000 }, (_, i) => [i, 2 ** 30] as [number, number]),
    }));
    const n = takePage(big);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(big.length);
    await expect(writeRecordPage(env.DB, runId, key, big)).rejects.toThrow(
      new RegExp(`over ${MAX_PAGE_BYTES}`),
    );
    expect((await countRequests(env.DB, runId)).total).toBe(0);
    expect(await writeRecordPage(env.DB, runId, key, big.slice(0, n))).toBe(true);
  });

  it('writes a small fraction of a D1 row per record', async () => {
    const runId = 'run-cost';
    const records = 500;
    // One shard's 500 records of 256 one-token reads, flushed in pages of up to 90.
    const rows = makeRequests(records, 51, 1).map((r) => ({
      ...r,
      output_tokens: 256,
      chunks: Array.from({ length: 256 }, (_, i): [number, number] => [180 + i * 20 + (i % 3), 1]),
    }));
    const sizeOf = async () => Number((await env.DB.prepare('SELECT 1').run()).meta.size_after);
    const before = await sizeOf();
    const { usage, pages } = await writePages(env.DB, runId, rows, 90);
    const rowsPerRecord = usage.rowsWritten / records;
    const bytesPerRecord = ((await sizeOf()) - before) / records;
    console.log(
      `D1: ${usage.rowsWritten} rows written for ${records} records in ${pages} pages = ${rowsPerRecord.toFixed(3)} a record; ` +
        `${bytesPerRecord.toFixed(0)} bytes of database a record (${(usage.bytes / records).toFixed(0)} of values), 256 reads each`,
    );
    expect(pages).toBe(6);
    expect(rowsPerRecord).toBeLessThan(0.1);
    expect(bytesPerRecord).toBeLessThan(256 * 2 + 300);
  });
});
