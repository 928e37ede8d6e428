import { describe, expect, it } from 'vitest';
import { Analyzer } from '../core/metrics/analysis.ts';
import { deadlineOptionsSchema } from '../core/metrics/deadline-options.ts';
import { requestRecordSchema } from '../core/record/request-record.ts';
import { formatAnalysis } from '../core/report/format-analysis.ts';
import { A, analyze, expectOk, jsonl, RECORDS, scratchDir } from './analyze-test-kit.ts';

const { file } = scratchDir();

describe.concurrent('fluidbench analyze (table)', () => {
  it('prints the key lines, the failure breakdown and the region table', async ({ expect }) => {
    const run = await analyze(await file('table.jsonl', jsonl(RECORDS)));
    expectOk(expect, run);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^fluidbench analyze .*table\.jsonl$/);
    expect(lines).toContain('Requests: 5 (3 ok, 2 failed: 1 rate_limited, 1 timeout), error rate 40.00%');
    expect(lines).toContain('Deadlines: TTFT 0.3 s, TBT 50 ms, target miss rate 10.00%');
    expect(lines).toContain(
      'Service level: 6 of 11 deadlines missed, miss rate 54.55% (fluidity-index 45.45%)',
    );
    expect(lines).toContain(
      'Throughput (tok/s): fluid token generation rate 5.04, TPOT-based 12.24, TBT-based 2.93',
    );
    expect(run.stdout).toMatch(/TTFT \(s\)\s*│ 3\s*│/);
    // One row per region (more than one region), after the header row.
    for (const region of ['eu', 'unspecified', 'us']) {
      expect(lines.some((l) => new RegExp(`^│ ${region}\\s+│ \\d`).test(l))).toBe(true);
    }
    // No --curve: no miss-rate curve line.
    expect(run.stdout).not.toMatch(/P99 decode miss rate/);
  });

  it('--curve adds the P99 miss-rate curve line', async ({ expect }) => {
    const run = await analyze(await file('curve.json', JSON.stringify([A])), '--curve');
    expectOk(expect, run);
    // a's decode gaps are 50000, 350000, 0 µs. At 50 ms the late token misses floor(350000 /
    // 50000) = 7 and 2 tokens meet (7 of 9); at 100 ms the slack is 50000: floor(300000 / 100000)
    // = 3 missed, 2 met (3 of 5).
    expect(run.stdout).toMatch(
      /\nP99 decode miss rate by TBT deadline: 10 ms [\d.]+%, .*, 50 ms 77\.78%, 75 ms [\d.]+%, 100 ms 60\.00%\n/,
    );
    expect(run.stdout).not.toMatch(/│ region/); // a single region: no region table
  });

  it('never draws a progress bar when stderr is not a terminal; --no-progress is accepted', async ({
    expect,
  }) => {
    const path = await file('quiet.jsonl', jsonl(RECORDS));
    const [auto, off] = await Promise.all([analyze(path), analyze(path, '--no-progress')]);
    expectOk(expect, auto);
    expectOk(expect, off);
    expect(off.stdout).toBe(auto.stdout);
  });
});

describe('the table marks figures taken from a sketch', () => {
  it('prefixes ~ to percentiles and to the rates derived from them, and only when sketched', () => {
    const records = RECORDS.map((r) => requestRecordSchema.parse(r));
    const table = (exactLimit: number) => {
      const analyzer = new Analyzer({ deadlines: deadlineOptionsSchema.parse({}), exactLimit });
      for (const record of records) analyzer.add(record);
      return formatAnalysis('records.jsonl', analyzer.report());
    };
    // Limit 1: every distribution with two distinct values or more is sketched.
    const sketched = table(1);
    expect(sketched).toMatch(/fluid token generation rate ~[\d.]+, TPOT-based [\d.]+, TBT-based ~[\d.]+/);
    // Region us: one TTFT (exact), several TBT values (sketched p99).
    expect(sketched).toMatch(/^│ us\s+│ 2\s+│ [\d.]+%\s+│ [\d.]+\s+│ [\d.]+\s+│ ~[\d.]+\s+│/m);
    const exact = table(1 << 20);
    // Only the legend line mentions ~.
    expect(exact.split('\n').filter((line) => line.includes('~'))).toEqual([
      'Percentiles are exact (type 7) unless marked ~ (sketched, ≤0.1% relative error).',
    ]);
  });
});
