import { describe, it } from 'vitest';
import { analyze, expectOk, type Json, jsonl, scratchDir } from './analyze-test-kit.ts';

// Issue 8, finding 8: on a run with tens of thousands of distinct TBT values, `analyze` took the
// TBT p99 (and so tbt_based_throughput) from the sketch, while the README promises exact type-7
// percentiles up to 2^20 distinct values. Here every reported percentile is checked against a
// reference computed independently from the records (sort, then type 7), for one and two reader
// threads, overall and per region.

const { file } = scratchDir();

/** Seeded 32-bit generator (mulberry32): the test data is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TestRecord {
  id: string;
  region: string;
  sent_at_ms: number;
  prompt_tokens: number;
  output_tokens: number;
  chunks: [number, number][];
  token_count_source: 'usage_stream';
  outcome: 'ok';
}

/** 500 requests × 100 tokens (50,000 TBT values less the first tokens), µs-resolution gaps. */
function makeRecords(): TestRecord[] {
  const next = random(8);
  return Array.from({ length: 500 }, (_, i) => {
    const chunks: [number, number][] = [];
    let atUs = 20_000 + Math.floor(next() * 400_000);
    let tokens = 0;
    while (tokens < 100) {
      // Mostly one token a read; some reads carry up to 4 (zeros in TBT); a few long stalls.
      const n = Math.min(100 - tokens, next() < 0.9 ? 1 : 2 + Math.floor(next() * 3));
      chunks.push([atUs / 1000, n]);
      tokens += n;
      atUs += next() < 0.02 ? 500_000 + Math.floor(next() * 1_500_000) : 1 + Math.floor(next() * 120_000);
    }
    return {
      id: `r${i}`,
      region: i % 3 === 0 ? 'eu' : 'us',
      sent_at_ms: 1_795_000_000_000 + i * 10,
      prompt_tokens: 100,
      output_tokens: 100,
      chunks,
      token_count_source: 'usage_stream',
      outcome: 'ok',
    };
  });
}

/** Every token's time since the previous token in µs, written out from the records: TTFT first. */
function tokenGapsUs(record: TestRecord): number[] {
  const gaps: number[] = [];
  let previousUs = 0;
  for (const [ms, tokens] of record.chunks) {
    const atUs = Math.round(ms * 1000);
    gaps.push(atUs - previousUs);
    for (let k = 1; k < tokens; k++) gaps.push(0);
    previousUs = atUs;
  }
  return gaps;
}

/** numpy's default (type 7) percentile of a list of µs values, in seconds. */
function type7Seconds(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const low = sorted[lo]!;
  const high = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return (low + (h - lo) * (high - low)) / 1e6;
}

const QUANTILES = { p1: 0.01, p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p99_9: 0.999 } as const;

function reference(records: readonly TestRecord[]) {
  const tbt = records.flatMap((r) => tokenGapsUs(r).slice(1));
  const interChunk = records.flatMap((r) => {
    const times = r.chunks.map(([ms]) => Math.round(ms * 1000));
    return times.slice(1).map((t, k) => t - times[k]!);
  });
  const ttft = records.map((r) => Math.round(r.chunks[0]![0] * 1000));
  const distribution = (values: number[]) => ({
    count: values.length,
    min: Math.min(...values) / 1e6,
    max: Math.max(...values) / 1e6,
    ...Object.fromEntries(Object.entries(QUANTILES).map(([k, q]) => [k, type7Seconds(values, q)])),
  });
  return {
    tbt: distribution(tbt),
    interChunk: distribution(interChunk),
    ttft: distribution(ttft),
    tbtBasedThroughput: 1 / type7Seconds(tbt, 0.99),
    distinctGaps: new Set(interChunk).size,
  };
}

describe.concurrent('fluidbench analyze: exact percentiles on a large run', () => {
  const records = makeRecords();
  const regions = {
    eu: records.filter((r) => r.region === 'eu'),
    us: records.filter((r) => r.region === 'us'),
  };

  for (const threads of ['1', '2']) {
    it(`every percentile and tbt_based_throughput equal a sorted type-7 reference (--threads ${threads})`, async ({
      expect,
    }) => {
      const path = await file(`large-${threads}.jsonl`, jsonl(records));
      const run = await analyze(path, '--json', '--threads', threads);
      expectOk(expect, run);
      const out = JSON.parse(run.stdout) as Json;
      const whole = reference(records);
      // Far more distinct values than the Worker's 4,096: the old final merge sketched them.
      expect(whole.distinctGaps).toBeGreaterThan(20_000);
      expect(whole.tbt.count).toBeGreaterThan(45_000);
      const check = (summary: Json, ref: ReturnType<typeof reference>) => {
        expect(summary.tbt_s).toMatchObject({ ...ref.tbt, exact: true });
        expect(summary.inter_chunk_s).toMatchObject({ ...ref.interChunk, exact: true });
        expect(summary.ttft_s).toMatchObject({ ...ref.ttft, exact: true });
        expect(summary.throughput.tbt_based_throughput).toBe(ref.tbtBasedThroughput);
      };
      check(out.summary, whole);
      expect(out.throughput.tbt_based_throughput).toBe(whole.tbtBasedThroughput);
      for (const [name, part] of Object.entries(regions)) check(out.summary.regions[name], reference(part));
    });
  }
});
