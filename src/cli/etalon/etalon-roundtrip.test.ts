import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../core/record/request-record.ts';
import { etalonFiles } from './etalon-files.ts';
import { etalonToRecords } from './etalon-input.ts';
import { type EtalonExportData, type EtalonRequestRow, writeEtalonDir } from './etalon-output.ts';
import { makeData } from './etalon-test-fixture.ts';

// records → etalon rows → request_level_metrics.json → records must give back every token's time
// and the same reads (runs of zero gaps).

/** etalon's inter-token times for a record: the first token of a read carries the gap, the rest 0. */
function rowFromRecord(record: RequestRecord): EtalonRequestRow {
  const ittS: number[] = [];
  let prevMs = 0;
  for (const [atMs, tokens] of record.chunks) {
    if (tokens === 0) continue;
    ittS.push((atMs - prevMs) / 1000, ...Array<number>(tokens - 1).fill(0));
    prevMs = atMs;
  }
  const [ttftS = 0, ...tbtS] = ittS;
  const e2eS = ittS.reduce((a, b) => a + b, 0);
  return {
    prompt_tokens: record.prompt_tokens,
    output_tokens: record.output_tokens,
    ttft_s: ttftS,
    tbt_s: tbtS,
    tpot_s: tbtS.length > 0 ? (e2eS - ttftS) / tbtS.length : null,
    e2e_s: e2eS,
    normalized_e2e_s: e2eS / record.output_tokens,
    output_throughput: e2eS > 0 ? record.output_tokens / e2eS : 0,
    miss_rate: 0,
    min_tbt_deadline_s: null,
  };
}

function exportData(requests: EtalonRequestRow[]): EtalonExportData {
  return makeData({
    requests,
    launchedRequests: requests.length,
    erroredRequests: 0,
    serviceLevel: { missed: 0, total: 0, missRate: 0 },
    throughput: { tpotBased: null, tbtBased: null, fluid: null },
    missRateCurve: Array<number>(100).fill(0),
  });
}

function tokenTimesS(record: RequestRecord): number[] {
  return record.chunks.flatMap(([atMs, tokens]) => Array<number>(tokens).fill(atMs / 1000));
}

function expectSameTokens(back: RequestRecord, original: RequestRecord): void {
  const got = tokenTimesS(back);
  const want = tokenTimesS(original);
  expect(got.length).toBe(want.length);
  for (const [k, t] of got.entries()) expect(Math.abs(t - want[k]!)).toBeLessThanOrEqual(1e-9);
  expect(back.chunks.map(([, tokens]) => tokens)).toEqual(original.chunks.map(([, tokens]) => tokens));
  expect(back.prompt_tokens).toBe(original.prompt_tokens);
  expect(back.output_tokens).toBe(original.output_tokens);
}

// Reads at strictly increasing whole-µs times (the first may be at 0), 1–6 tokens each.
const recordArb = fc
  .record({
    firstUs: fc.integer({ min: 0, max: 30_000_000 }),
    reads: fc.array(
      fc.record({ gapUs: fc.integer({ min: 1, max: 5_000_000 }), tokens: fc.integer({ min: 1, max: 6 }) }),
      {
        maxLength: 40,
      },
    ),
    firstTokens: fc.integer({ min: 1, max: 6 }),
    promptTokens: fc.integer({ min: 0, max: 100_000 }),
  })
  .map(({ firstUs, reads, firstTokens, promptTokens }): RequestRecord => {
    let atUs = firstUs;
    const chunks: [number, number][] = [[atUs / 1000, firstTokens]];
    for (const { gapUs, tokens } of reads) {
      atUs += gapUs;
      chunks.push([atUs / 1000, tokens]);
    }
    return {
      id: 'x',
      sent_at_ms: 0,
      prompt_tokens: promptTokens,
      output_tokens: chunks.reduce((sum, [, tokens]) => sum + tokens, 0),
      chunks,
      token_count_source: 'usage_stream',
      outcome: 'ok',
    };
  });

describe('etalon round trip', () => {
  it('gives back every token time within 1e-9 s and the same reads', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), (records) => {
        const json = etalonFiles(exportData(records.map(rowFromRecord)))[0]!.render();
        const { records: back, issues } = etalonToRecords(JSON.parse(json));
        expect(issues).toEqual([]);
        expect(back.map((r) => r.id)).toEqual(records.map((_, i) => String(i)));
        for (const [i, r] of back.entries()) expectSameTokens(r, records[i]!);
      }),
      { numRuns: 200 },
    );
  });

  describe('through a written directory', () => {
    let root = '';
    beforeAll(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-etalon-rt-'));
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('reads back what writeEtalonDir wrote', async () => {
      const records = fc.sample(recordArb, { numRuns: 5, seed: 7 });
      const dir = path.join(root, 'run');
      await writeEtalonDir(dir, exportData(records.map(rowFromRecord)));
      const json: unknown = JSON.parse(await readFile(path.join(dir, 'request_level_metrics.json'), 'utf8'));
      const { records: back, issues } = etalonToRecords(json);
      expect(issues).toEqual([]);
      expect(back).toHaveLength(records.length);
      for (const [i, r] of back.entries()) expectSameTokens(r, records[i]!);
    });
  });
});
