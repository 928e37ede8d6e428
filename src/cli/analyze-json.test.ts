import path from 'node:path';
import { describe, it } from 'vitest';
import {
  A,
  analyze,
  expectClose,
  expectOk,
  type Json,
  RECORDS,
  ROW_KEYS,
  scratchDir,
  VECTORS,
} from './analyze-test-kit.ts';

const { file } = scratchDir();

describe.concurrent('fluidbench analyze --json', () => {
  it('computes the hand-worked example', async ({ expect }) => {
    const run = await analyze(await file('hand.json', JSON.stringify(RECORDS)), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(['requests', 'summary', 'throughput', 'service_level']);

    const rows: Json[] = out.requests;
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const row of rows) expect(Object.keys(row)).toEqual(expect.arrayContaining(ROW_KEYS));
    const [a, b, c, d, e] = rows;

    expect(a).toMatchObject({
      outcome: 'ok',
      region: 'us',
      output_tokens: 4,
      ttft_s: 0.1,
      e2e_s: 0.5,
      normalized_e2e_s: 0.125,
      ttft_deadline_s: 0.3,
      missed_deadlines: 3,
      total_deadlines: 6,
      miss_rate: 0.5,
      fluidity_index: 0.5,
      min_tbt_deadline_s: 0.1,
      decode_only_min_tbt_deadline_s: 0.2,
    });
    expectClose(expect, a.tpot_s, 400_000 / 3 / 1e6);
    expect(b).toMatchObject({
      outcome: 'ok',
      region: 'eu',
      output_tokens: 1,
      ttft_s: 0.4,
      tpot_s: null,
      e2e_s: 0.4,
      normalized_e2e_s: 0.4,
      missed_deadlines: 3,
      total_deadlines: 3,
      miss_rate: 1,
      fluidity_index: 0,
      min_tbt_deadline_s: null,
    });
    expect(c).toMatchObject({
      outcome: 'timeout',
      output_tokens: 0,
      ttft_s: null,
      tpot_s: null,
      e2e_s: null,
      normalized_e2e_s: null,
      missed_deadlines: 0,
      total_deadlines: 0,
      miss_rate: 0,
      fluidity_index: 1,
      min_tbt_deadline_s: null,
      decode_only_min_tbt_deadline_s: null,
    });
    expect(d).toMatchObject({
      region: null,
      ttft_s: 0.2,
      tpot_s: 0.03,
      e2e_s: 0.23,
      normalized_e2e_s: 0.115,
      missed_deadlines: 0,
      total_deadlines: 2,
      min_tbt_deadline_s: 0.000001,
      decode_only_min_tbt_deadline_s: 0.03,
    });
    expect(e).toMatchObject({ outcome: 'rate_limited', status: 429, ttft_s: null, total_deadlines: 0 });

    const s = out.summary;
    expect(s).toMatchObject({ requests: 5, ok: 3, failed: 2, error_rate: 0.4 });
    expect(s.outcomes).toMatchObject({ ok: 3, timeout: 1, rate_limited: 1, http_error: 0 });
    expect(s.deadlines).toEqual({
      ttft_deadline_s: 0.3,
      ttft_deadline_source: 'fixed',
      ttft_slack_s: null,
      tbt_deadline_s: 0.05,
      target_miss_rate: 0.1,
    });
    expect(s.ttft_s).toMatchObject({ count: 3, min: 0.1, max: 0.4, p50: 0.2 });
    // a, b, d: 6 of 11 deadlines missed.
    expect(out.service_level).toEqual({ missed_deadlines: 6, total_deadlines: 11, miss_rate: 6 / 11 });
    expect(s.service_level).toEqual(out.service_level);
    // TPOT-based: 1 / mean(a 400000/3, d 30000 µs). TBT-based: 1 / P99 of [0, 30000, 50000,
    // 350000] µs = 50000 + 0.97 × 300000. Fluid: 1 / P99 of the decode-only minima [30000, 200000].
    expectClose(expect, out.throughput.tpot_based_throughput, 1e6 / ((400_000 / 3 + 30_000) / 2));
    expectClose(expect, out.throughput.tbt_based_throughput, 1e6 / 341_000);
    expectClose(expect, out.throughput.fluid_token_generation_rate, 1e6 / (30_000 + 0.99 * 170_000));
    expect(s.throughput).toEqual(out.throughput);

    // Grouped by region (no region → `unspecified`), sorted by name.
    expect(Object.keys(s.regions)).toEqual(['eu', 'unspecified', 'us']);
    expect(s.regions.eu).toMatchObject({ requests: 2, ok: 1, failed: 1, error_rate: 0.5 });
    expect(s.regions.eu.service_level).toEqual({ missed_deadlines: 3, total_deadlines: 3, miss_rate: 1 });
    expect(s.regions.us).toMatchObject({ requests: 2, ok: 1, failed: 1 });
    expect(s.regions.us.service_level).toEqual({ missed_deadlines: 3, total_deadlines: 6, miss_rate: 0.5 });
    expect(s.regions.unspecified).toMatchObject({ requests: 1, ok: 1, failed: 0 });
    expect(s.regions.unspecified.service_level.total_deadlines).toBe(2);
    expect(s.regions.unspecified.throughput.tpot_based_throughput).toBeCloseTo(1 / 0.03, 9);
    expect(s.regions.eu.throughput).toEqual({
      tpot_based_throughput: null,
      tbt_based_throughput: null,
      fluid_token_generation_rate: null,
    });
  });

  it('--tbt-deadline changes the miss counts as worked by hand', async ({ expect }) => {
    const input = await file('tbt.json', JSON.stringify(RECORDS));
    const [wide, narrow] = await Promise.all([
      analyze(input, '--json', '--tbt-deadline', '0.1'),
      analyze(input, '--json', '--tbt-deadline', '0.04'),
    ]);
    expectOk(expect, wide);
    expectOk(expect, narrow);
    const counts = (out: Json) => out.requests.map((r: Json) => [r.missed_deadlines, r.total_deadlines]);
    // D = 100000: a's third token meets D + slack exactly (0 of 4); b misses 1 + floor(1) = 2.
    const w: Json = JSON.parse(wide.stdout);
    expect(counts(w)).toEqual([
      [0, 4],
      [2, 2],
      [0, 0],
      [0, 2],
      [0, 0],
    ]);
    expect(w.service_level).toEqual({ missed_deadlines: 2, total_deadlines: 8, miss_rate: 0.25 });
    expect(w.summary.deadlines.tbt_deadline_s).toBe(0.1);
    // D = 40000: a's slack is 190000 before the late token, floor(160000 / 40000) = 4 missed, then
    // one met (4 of 7); b misses 1 + floor(100000 / 40000) = 3.
    const n: Json = JSON.parse(narrow.stdout);
    expect(counts(n)).toEqual([
      [4, 7],
      [3, 3],
      [0, 0],
      [0, 2],
      [0, 0],
    ]);
    expect(n.service_level).toEqual({ missed_deadlines: 7, total_deadlines: 12, miss_rate: 7 / 12 });
  });

  it('reads JSONL with a BOM, blank lines and CRLF the same as a JSON array', async ({ expect }) => {
    const lines = RECORDS.map((r) => JSON.stringify(r));
    const text = `\uFEFF${lines[0]}\n\n${lines[1]}\r\n   \n${lines[2]}\n${lines[3]}\n\n\n${lines[4]}\n\n`;
    const [fromJsonl, fromArray] = await Promise.all([
      analyze(await file('same.jsonl', text), '--json'),
      analyze(await file('same.json', JSON.stringify(RECORDS, null, 2)), '--json'),
    ]);
    expectOk(expect, fromJsonl);
    expectOk(expect, fromArray);
    expect(JSON.parse(fromJsonl.stdout).requests).toHaveLength(5);
    expect(fromJsonl.stdout).toBe(fromArray.stdout);
  });

  it('reads a vector file ({"requests": [...]}) and counts vector 04 exactly', async ({ expect }) => {
    const run = await analyze(path.join(VECTORS, '04_late_first_token.json'), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.requests).toHaveLength(1);
    // etalon's float floor gives 18 of 33; the exact count is 19 of 34.
    expect(out.requests[0]).toMatchObject({ missed_deadlines: 19, total_deadlines: 34, ttft_s: 1.2 });
    expect(out.service_level).toEqual({ missed_deadlines: 19, total_deadlines: 34, miss_rate: 19 / 34 });
  });

  it('reads a single record object', async ({ expect }) => {
    const run = await analyze(await file('single.json', JSON.stringify(A, null, 2)), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.requests).toHaveLength(1);
    expect(out.requests[0]).toMatchObject({ id: 'a', missed_deadlines: 3, total_deadlines: 6 });
    expect(out.summary.requests).toBe(1);
  });

  it("reads etalon's column-oriented request_level_metrics.json", async ({ expect }) => {
    const etalon = {
      num_prompt_tokens: [10, 20],
      num_output_tokens: [4, 2],
      num_total_tokens: [14, 22],
      tpot: [0.03333333333333333, 0.05],
      ttft: [0.2, 0.1],
      // A 0.0 gap is the second token of a multi-token read.
      tbt: [[0.04, 0.0, 0.06], [0.05]],
      end_to_end_latency: [0.3, 0.15],
      deadline_miss_rate: [0.0, 0.0],
    };
    const run = await analyze(await file('request_level_metrics.json', JSON.stringify(etalon)), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.requests).toHaveLength(2);
    expect(out.requests[0]).toMatchObject({
      id: '0',
      prompt_tokens: 10,
      output_tokens: 4,
      ttft_s: 0.2,
      e2e_s: 0.3,
      missed_deadlines: 0,
      total_deadlines: 4,
    });
    expectClose(expect, out.requests[0].tpot_s, 0.1 / 3);
    expect(out.requests[1]).toMatchObject({ id: '1', ttft_s: 0.1, tpot_s: 0.05, e2e_s: 0.15 });
    // TBT values: 40000, 0, 60000 and 50000 µs; the zero comes from the multi-token read.
    expect(out.summary.tbt_s).toMatchObject({ count: 4, min: 0, max: 0.06 });
    expect(out.summary.inter_chunk_s.count).toBe(3);
  });
});
