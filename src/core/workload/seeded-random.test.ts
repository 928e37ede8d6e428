import { describe, expect, it } from 'vitest';
import { createRandom, type Random } from './seeded-random.ts';

function take(random: Random, count: number): number[] {
  return Array.from({ length: count }, () => random.next());
}

describe('createRandom', () => {
  it('gives the same stream for the same seed and keys', () => {
    expect(take(createRandom(42, 1, 7), 50)).toEqual(take(createRandom(42, 1, 7), 50));
  });

  it('gives different streams for different seeds, keys, or key counts', () => {
    const streams = [
      createRandom(42),
      createRandom(43),
      createRandom(42, 0),
      createRandom(42, 1),
      createRandom(42, 1, 0),
      createRandom(42, 0, 1),
      createRandom(42, 2 ** 40),
      createRandom(42, -1),
    ].map((random) => take(random, 4).join(','));
    expect(new Set(streams).size).toBe(streams.length);
  });

  it('produces floats in [0, 1) that look uniform', () => {
    const values = take(createRandom(7), 20_000);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    // Chi-square over 20 bins; 19 degrees of freedom, the 99.9th percentile is 43.8.
    const bins = new Array<number>(20).fill(0);
    for (const value of values) bins[Math.floor(value * 20)]!++;
    const expected = values.length / 20;
    const chi2 = bins.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(43.8);
  });

  it('streams from neighbouring keys are uncorrelated', () => {
    const a = take(createRandom(1, 1), 10_000);
    const b = take(createRandom(1, 2), 10_000);
    let covariance = 0;
    for (let i = 0; i < a.length; i++) covariance += (a[i]! - 0.5) * (b[i]! - 0.5);
    const correlation = covariance / a.length / (1 / 12);
    expect(Math.abs(correlation)).toBeLessThan(0.05);
  });

  it('draws integers within inclusive bounds, reaching both ends', () => {
    const random = createRandom(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const value = random.int(-2, 3);
      expect(Number.isInteger(value)).toBe(true);
      seen.add(value);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(random.int(5, 5)).toBe(5);
  });

  it('rejects non-integer seeds and bad bounds', () => {
    expect(() => createRandom(1.5)).toThrow(/safe integers/);
    expect(() => createRandom(1, Number.NaN)).toThrow(/safe integers/);
    expect(() => createRandom(1).int(3, 2)).toThrow(/reversed/);
    expect(() => createRandom(1).int(0, 1.5)).toThrow(/safe integers/);
  });
});
