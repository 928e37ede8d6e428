import { describe, expect, it } from 'vitest';
import {
  type Arrivals,
  arrivalsSchema,
  isClosedLoop,
  type OpenLoopArrivals,
  openLoopOffsetsUs,
  sampleGamma,
} from './arrivals.ts';
import { createRandom } from './seeded-random.ts';

function offsets(arrivals: OpenLoopArrivals, count: number, seed = 1): number[] {
  const out: number[] = [];
  for (const offset of openLoopOffsetsUs(arrivals, createRandom(seed))) {
    out.push(offset);
    if (out.length === count) break;
  }
  return out;
}

/** Gaps between consecutive offsets, the first measured from t = 0, in seconds. */
function gapsS(values: number[]): number[] {
  return values.map((value, i) => (value - (i === 0 ? 0 : values[i - 1]!)) / 1e6);
}

function meanAndCv(values: number[]): { mean: number; cv: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return { mean, cv: Math.sqrt(variance) / mean };
}

function parse(input: unknown): Arrivals {
  return arrivalsSchema.parse(input);
}

describe('arrivalsSchema', () => {
  it('accepts every process and fills the trace default', () => {
    expect(parse({ type: 'poisson', qps: 2 })).toEqual({ type: 'poisson', qps: 2 });
    expect(parse({ type: 'trace', times_s: [0, 1] })).toEqual({
      type: 'trace',
      times_s: [0, 1],
      time_scale: 1,
    });
    expect(isClosedLoop(parse({ type: 'concurrency', n: 4 }))).toBe(true);
    expect(isClosedLoop(parse({ type: 'gamma', qps: 1, cv: 2 }))).toBe(false);
  });

  it('rejects bad parameters', () => {
    const bad = [
      { type: 'poisson', qps: 0 },
      { type: 'gamma', qps: 1, cv: 0 },
      { type: 'constant', qps: Number.POSITIVE_INFINITY },
      { type: 'concurrency', n: 1.5 },
      { type: 'concurrency', n: 0 },
      { type: 'trace', times_s: [] },
      { type: 'trace', times_s: [-1] },
      { type: 'trace', times_s: [0], time_scale: 0 },
      { type: 'poisson', qps: 1, extra: true },
    ];
    for (const input of bad)
      expect(arrivalsSchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
  });

  it('reports where a trace goes backwards', () => {
    const result = arrivalsSchema.safeParse({ type: 'trace', times_s: [0, 2, 1, 0.5] });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.path).toEqual(['times_s', 2]);
  });
});

describe('openLoopOffsetsUs', () => {
  it('poisson: mean gap 1/qps, cv 1, first arrival after one gap, integer and non-decreasing', () => {
    const values = offsets({ type: 'poisson', qps: 4 }, 20_000);
    expect(values[0]).toBeGreaterThan(0);
    expect(values.every((value, i) => Number.isInteger(value) && (i === 0 || value >= values[i - 1]!))).toBe(
      true,
    );
    const { mean, cv } = meanAndCv(gapsS(values));
    expect(mean).toBeGreaterThan(0.25 * 0.97);
    expect(mean).toBeLessThan(0.25 * 1.03);
    expect(cv).toBeGreaterThan(0.95);
    expect(cv).toBeLessThan(1.05);
  });

  it.each([0.25, 0.5, 1, 2])('gamma cv %s: mean gap 1/qps and the requested cv', (cv) => {
    const values = offsets({ type: 'gamma', qps: 10, cv }, 20_000, 11);
    const stats = meanAndCv(gapsS(values));
    expect(stats.mean).toBeGreaterThan(0.1 * 0.95);
    expect(stats.mean).toBeLessThan(0.1 * 1.05);
    expect(stats.cv).toBeGreaterThan(cv * 0.95);
    expect(stats.cv).toBeLessThan(cv * 1.05);
  });

  it.each([0.2, 1, 3.7])('sampleGamma(%s) has mean and variance equal to the shape', (shape) => {
    const random = createRandom(5);
    const values = Array.from({ length: 20_000 }, () => sampleGamma(shape, random));
    const { mean, cv } = meanAndCv(values);
    expect(values.every((value) => value >= 0 && Number.isFinite(value))).toBe(true);
    expect(mean / shape).toBeGreaterThan(0.95);
    expect(mean / shape).toBeLessThan(1.05);
    // Var = shape, so cv = 1/√shape.
    expect(cv * Math.sqrt(shape)).toBeGreaterThan(0.95);
    expect(cv * Math.sqrt(shape)).toBeLessThan(1.05);
  });

  it('constant: request i at i/qps, starting at 0, without drift', () => {
    const qps = 3;
    const values = offsets({ type: 'constant', qps }, 30_001);
    expect(values[0]).toBe(0);
    values.forEach((value, i) => {
      expect(Math.abs(value - (i * 1e6) / qps)).toBeLessThanOrEqual(0.5);
    });
  });

  it('trace: times scaled by time_scale (2 = twice as slow), then the end', () => {
    const arrivals = parse({ type: 'trace', times_s: [0, 0.5, 0.5, 2.25], time_scale: 2 });
    if (isClosedLoop(arrivals)) throw new Error('unreachable');
    expect([...openLoopOffsetsUs(arrivals, createRandom(1))]).toEqual([0, 1e6, 1e6, 4.5e6]);
  });

  it('is reproducible from the seed and changes with it', () => {
    const arrivals: OpenLoopArrivals = { type: 'gamma', qps: 5, cv: 3 };
    expect(offsets(arrivals, 100, 9)).toEqual(offsets(arrivals, 100, 9));
    expect(offsets(arrivals, 100, 9)).not.toEqual(offsets(arrivals, 100, 10));
  });
});
