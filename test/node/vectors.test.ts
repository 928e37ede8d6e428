// The etalon reference vectors (test data read from ../shared/vectors, outside the repository):
// equal to etalon where etalon is right, and fluidbench's own values where it deliberately differs
// (docs/metrics.md#differences-from-etalon).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AnalysisReport, Analyzer } from '../../src/core/metrics/analysis.ts';
import { deadlineOptionsSchema } from '../../src/core/metrics/deadline-options.ts';
import { deadlineCounts } from '../../src/core/metrics/fluidity.ts';
import { percentile } from '../../src/core/metrics/percentile.ts';
import { requestRecordSchema } from '../../src/core/record/request-record.ts';

const VECTORS_DIR = new URL('../../../shared/vectors/', import.meta.url);

interface EtalonRequest {
  id: string;
  included_by_etalon: boolean;
  output_tokens: number;
  ttft_s: number;
  tpot_s: number;
  e2e_s: number;
  normalized_e2e_s: number;
  missed_deadlines: number;
  total_deadlines: number;
  miss_rate: number;
  min_tbt_deadline_s: number;
  decode_only: { missed_deadlines: number; total_deadlines: number; min_tbt_deadline_s: number };
}
interface Vector {
  name: string;
  options: { ttft_deadline_s: number; tbt_deadline_s: number; target_miss_rate: number };
  requests: unknown[];
  etalon: {
    per_request: EtalonRequest[];
    throughput: Record<
      'tpot_based_throughput' | 'tbt_based_throughput' | 'fluid_token_generation_rate',
      number | null
    >;
    service_level: { missed_deadlines: number; total_deadlines: number; miss_rate: number };
    p99_miss_rate_by_tbt_ms_1_to_100: number[];
  };
}

const loadVector = (file: string): Vector => JSON.parse(readFileSync(new URL(file, VECTORS_DIR), 'utf8'));

function analyze(vector: Vector): AnalysisReport {
  const analyzer = new Analyzer({
    deadlines: deadlineOptionsSchema.parse(vector.options),
    keepRequests: true,
    missRateCurve: true,
  });
  for (const raw of vector.requests) analyzer.add(requestRecordSchema.parse(raw));
  return analyzer.report();
}

/**
 * Where fluidbench deliberately differs (docs/metrics.md#differences-from-etalon), the values it
 * must report instead.
 */
const DIFFERENCES: Record<string, (e: Vector['etalon']) => void> = {
  // Exact integer floor division: 1 + floor(0.9 s / 0.05 s) = 19 misses, not etalon's float 18.
  '04_late_first_token': (e) => {
    Object.assign(e.per_request[0]!, { missed_deadlines: 19, total_deadlines: 34, miss_rate: 19 / 34 });
    Object.assign(e.service_level, { missed_deadlines: 19, total_deadlines: 34, miss_rate: 19 / 34 });
  },
  // One token: no TPOT, and no throughput figure (etalon raises).
  '07_very_short_output_1_token': (e) => {
    e.per_request[0]!.tpot_s = null as unknown as number;
  },
  // The one-token request is left out of TPOT aggregates and of the fluid rate.
  '08_very_short_outputs_1_and_2_tokens': (e) => {
    e.per_request[0]!.tpot_s = null as unknown as number;
    e.throughput.tpot_based_throughput = 1 / 0.12;
    e.throughput.fluid_token_generation_rate = 1 / 0.12;
  },
  // Counts come from the stream: the same 20 tokens as vector 01, no BOS token.
  '10_tokenizer_adds_bos_overcount': (e) => {
    const smooth = loadVector('01_smooth_stream.json').etalon;
    e.per_request = smooth.per_request;
    e.throughput = smooth.throughput;
    e.service_level = smooth.service_level;
    e.p99_miss_rate_by_tbt_ms_1_to_100 = smooth.p99_miss_rate_by_tbt_ms_1_to_100;
  },
  // A read without tokens is not a token arrival: TTFT 0.25 s, then 40 ms gaps, nothing missed.
  '11_zero_token_chunk': (e) => {
    Object.assign(e.per_request[0]!, {
      ttft_s: 0.25,
      tpot_s: 0.04,
      decode_only: { missed_deadlines: 0, total_deadlines: 3, min_tbt_deadline_s: 0.04 },
      total_deadlines: 4,
      // No miss allowed in 4 tokens: slack after token 3 is 2D − 30 ms, so D ≥ 23.334 ms (by hand).
      min_tbt_deadline_s: 0.023334,
    });
    Object.assign(e.service_level, { total_deadlines: 4 });
    e.throughput = { tpot_based_throughput: 25, tbt_based_throughput: 25, fluid_token_generation_rate: 25 };
    e.p99_miss_rate_by_tbt_ms_1_to_100 = e.p99_miss_rate_by_tbt_ms_1_to_100.map((_, k) =>
      k + 1 >= 40 ? 0 : null!,
    );
  },
};

const files = readdirSync(VECTORS_DIR).filter((f) => f.endsWith('.json') && !f.startsWith('15_'));

describe('etalon reference vectors', () => {
  it('finds the vectors beside the repository', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  for (const file of files) {
    const vector = loadVector(file);
    const expected = structuredClone(vector.etalon);
    DIFFERENCES[vector.name]?.(expected);

    describe(vector.name, () => {
      const report = analyze(vector);

      it('per-request metrics', () => {
        for (const e of expected.per_request.filter((r) => r.included_by_etalon)) {
          const row = report.requests.find((r) => r.id === e.id)!;
          expect(row.output_tokens).toBe(e.output_tokens);
          expect(row.ttft_s).toBeCloseTo(e.ttft_s, 9);
          if (e.tpot_s === null) expect(row.tpot_s).toBeNull();
          else expect(row.tpot_s).toBeCloseTo(e.tpot_s, 9);
          expect(row.e2e_s).toBeCloseTo(e.e2e_s, 9);
          if (vector.name !== '11_zero_token_chunk')
            expect(row.normalized_e2e_s).toBeCloseTo(e.normalized_e2e_s, 9);
          expect(row.missed_deadlines).toBe(e.missed_deadlines);
          expect(row.total_deadlines).toBe(e.total_deadlines);
          expect(row.miss_rate).toBeCloseTo(e.missed_deadlines / e.total_deadlines, 12);
          expect(row.fluidity_index).toBeCloseTo(1 - row.miss_rate, 12);
          expect(row.decode_only_missed_deadlines).toBe(e.decode_only.missed_deadlines);
          expect(row.decode_only_total_deadlines).toBe(e.decode_only.total_deadlines);
          expectDeadline(row.min_tbt_deadline_s, e.min_tbt_deadline_s);
          expectDeadline(row.decode_only_min_tbt_deadline_s, e.decode_only.min_tbt_deadline_s);
        }
      });

      it('service level and throughput', () => {
        expect(report.service_level.missed_deadlines).toBe(expected.service_level.missed_deadlines);
        expect(report.service_level.total_deadlines).toBe(expected.service_level.total_deadlines);
        expect(report.service_level.miss_rate).toBeCloseTo(expected.service_level.miss_rate, 12);
        const t = report.throughput;
        const e = expected.throughput;
        expectRelative(t.tpot_based_throughput, e.tpot_based_throughput, 1e-9);
        expectRelative(t.tbt_based_throughput, e.tbt_based_throughput, 1e-9);
        expectRelative(t.fluid_token_generation_rate, e.fluid_token_generation_rate, 0.01);
      });

      it('P99 miss-rate curve over 1–100 ms', () => {
        const curve = report.summary.miss_rate_curve!;
        expect(curve.tbt_deadline_ms).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        // etalon's curve uses float `//` on float seconds; at some deadlines that miscounts (e.g.
        // 0.3 // 0.001 == 299). Compare wherever its float arithmetic and exact arithmetic agree on
        // every request, and require that the disagreements are exactly those float artifacts.
        const etalonItts = vector.requests
          .map((raw) => requestRecordSchema.parse(raw))
          .filter((r) => r.outcome === 'ok')
          .map((r) => floatSecondItts(r.chunks));
        let compared = 0;
        expected.p99_miss_rate_by_tbt_ms_1_to_100.forEach((value, k) => {
          const deadline_s = (k + 1) * 0.001;
          const floatRates = etalonItts.map((itt) => etalonFloatDecodeMissRate(itt, deadline_s));
          if (!DIFFERENCES[vector.name]) {
            expect(percentile(floatRates, 0.99), `etalon float emulation at ${k + 1} ms`).toBeCloseTo(
              value!,
              12,
            );
          }
          const exactRates = etalonItts.map((itt) => exactDecodeMissRate(itt, deadline_s));
          const artifact = floatRates.some((r, i) => r !== exactRates[i]);
          if (value === null || artifact) return;
          compared += 1;
          expect(curve.p99_miss_rate[k], `${k + 1} ms`).toBeCloseTo(value, 12);
        });
        expect(compared).toBeGreaterThanOrEqual(50);
      });
    });
  }

  it('13: the failed request is kept and counted (etalon drops it)', () => {
    const report = analyze(loadVector('13_http_error_request_dropped.json'));
    expect(report.summary.requests).toBe(2);
    expect(report.summary.outcomes.http_error).toBe(1);
    expect(report.summary.error_rate).toBe(0.5);
    const failed = report.requests.find((r) => r.id === '1')!;
    expect(failed).toMatchObject({
      outcome: 'http_error',
      ttft_s: null,
      tpot_s: null,
      min_tbt_deadline_s: null,
    });
  });

  it('07: a one-token request has no TPOT or throughput figures and nothing raises', () => {
    const report = analyze(loadVector('07_very_short_output_1_token.json'));
    expect(report.throughput).toEqual({
      tpot_based_throughput: null,
      tbt_based_throughput: null,
      fluid_token_generation_rate: null,
    });
    expect(report.summary.tbt_s.count).toBe(0);
  });
});

/** Inter-token times as etalon's client computes them: differences of float seconds. */
function floatSecondItts(chunks: readonly (readonly [number, number])[]): number[] {
  const itt: number[] = [];
  let prev_s = 0;
  for (const [ms, tokens] of chunks) {
    if (tokens === 0) continue;
    const at_s = ms / 1000;
    itt.push(at_s - prev_s, ...new Array<number>(tokens - 1).fill(0));
    prev_s = at_s;
  }
  return itt;
}

/** etalon's decode-only miss rate with Python float floor division (metric_utils.py). */
function etalonFloatDecodeMissRate(itt_s: number[], tbtDeadline_s: number): number {
  let slack = 0;
  let missed = 0;
  let total = 0;
  for (let i = 1; i < itt_s.length; i++) {
    const gap = itt_s[i]!;
    if (gap <= tbtDeadline_s + slack) {
      slack += tbtDeadline_s - gap;
      total += 1;
      continue;
    }
    const k = pythonFloorDiv(gap - slack, tbtDeadline_s);
    missed += k;
    total += k;
    slack = 0;
  }
  return total === 0 ? 0 : missed / total;
}

/** The same schedule on the µs-rounded stream with fluidbench's exact integer arithmetic. */
function exactDecodeMissRate(itt_s: number[], tbtDeadline_s: number): number {
  const ittUs = itt_s.map((s) => Math.round(s * 1e6));
  const counts = deadlineCounts(ittUs, 0, Math.round(tbtDeadline_s * 1e6), true);
  return counts.total === 0 ? 0 : counts.missed / counts.total;
}

/** CPython's float_floor_div for positive operands: (a − fmod(a, b)) / b, rounded. */
function pythonFloorDiv(a: number, b: number): number {
  const mod = a % b;
  const div = (a - mod) / b;
  const floor = Math.floor(div);
  return div - floor > 0.5 ? floor + 1 : floor;
}

/** Exact minimum deadline vs etalon's float bisection (up to ~3e-4 s above); 1e10 = unreachable. */
function expectDeadline(actual: number | null, etalon: number): void {
  if (etalon >= 1e10) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - etalon)).toBeLessThanOrEqual(5e-4);
}

function expectRelative(actual: number | null, expected: number | null, tolerance: number): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected) / Math.abs(expected)).toBeLessThanOrEqual(tolerance);
}

describe('stream shape', () => {
  it('counts tokens per token-carrying read and flags token-count mismatches', () => {
    // Vector 03: 16 tokens in 9 reads (one read carries 8).
    const many = analyze(loadVector('03_many_tokens_one_chunk.json'));
    expect(many.summary.stream).toEqual({ tokens_per_read: 16 / 9, token_count_mismatches: 0 });
    // Vector 11: the zero-token read is not a token read: 4 tokens in 4 reads.
    expect(analyze(loadVector('11_zero_token_chunk.json')).summary.stream.tokens_per_read).toBe(1);
    // A record whose usage says more tokens than its reads carried.
    const vector = loadVector('01_smooth_stream.json');
    const record = { ...(vector.requests[0] as object), output_tokens: 21 };
    expect(analyze({ ...vector, requests: [record] }).summary.stream.token_count_mismatches).toBe(1);
  });
});
