import { expect } from 'vitest';

/** Deep equality with a relative tolerance for floats (means can differ in the last bits by merge order). */
export function expectClose(actual: unknown, expected: unknown, at = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = Math.max(1e-12, Math.abs(expected) * 1e-9);
    expect(Math.abs(actual - expected), `${at}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), at).toBe(true);
    expect((actual as unknown[]).length, at).toBe(expected.length);
    expected.forEach((e, i) => {
      expectClose((actual as unknown[])[i], e, `${at}[${i}]`);
    });
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), at).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected))
      expectClose((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
  } else {
    expect(actual, at).toEqual(expected);
  }
}
