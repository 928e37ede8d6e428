// Properties of the deadline schedule (docs/metrics.md#fluidity-index) and the exact minimum TBT
// deadline (docs/metrics.md#minimum-tbt-deadline), on
// random token streams. All inputs are integer µs, so every property is exact (no float tolerance).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DeadlineCounts,
  deadlineCounts,
  deadlineMissesPerToken,
  minTbtDeadlineUs,
  missRate,
} from './fluidity.ts';
import type { Chunk } from './token-times.ts';
import { interTokenTimesUs } from './token-times.ts';
import { floorDiv } from './units.ts';

/** Gaps between reads in µs: same-time reads, ordinary decode gaps, and stalls. */
const readGapUs = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 100 }).map((ms) => ms * 1000) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 5_000_000 }) },
);

/** Chunk lists as a client records them: non-decreasing ms offsets with 0–3 decimals, 0–5 tokens. */
const chunksArb = (maxLength = 300): fc.Arbitrary<Chunk[]> =>
  fc.array(fc.tuple(readGapUs, fc.integer({ min: 0, max: 5 })), { maxLength }).map((reads) => {
    let atUs = 0;
    return reads.map(([gapUs, tokens]): Chunk => {
      atUs += gapUs;
      return [atUs / 1000, tokens];
    });
  });

/** Inter-token times of a random stream (integer µs, zeros from multi-token reads). */
const ittArb = (maxLength = 300) => chunksArb(maxLength).map((chunks) => interTokenTimesUs(chunks));

const tbtDeadlineArb = fc.oneof(
  fc.integer({ min: 1, max: 200 }),
  fc.integer({ min: 1, max: 200_000 }),
  fc.constantFrom(1000, 10_000, 30_000, 50_000, 100_000),
);
const ttftDeadlineArb = fc.oneof(
  fc.integer({ min: 0, max: 2_000_000 }),
  fc.constantFrom(0, 100_000, 300_000, 1_000_000),
);
const targetArb = fc.oneof(
  fc.constantFrom(0, 0.01, 0.1, 0.5, 1),
  fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x + 0),
);

/** A deadline no stream here can overrun more than once (~31 years in µs). */
const HUGE_DEADLINE_US = 1e15;

/**
 * Independent re-implementation of the deadline schedule (docs/metrics.md#fluidity-index), written
 * as plain pseudocode, in BigInt, which also
 * returns the slack left after the last token (the time banked towards the next deadline).
 */
function referenceSchedule(
  itt: readonly number[],
  ttftDeadlineUs: number,
  tbtDeadlineUs: number,
  skipFirst: boolean,
): { missed: bigint; total: bigint; slack: bigint } {
  const Dp = BigInt(ttftDeadlineUs);
  const D = BigInt(tbtDeadlineUs);
  let slack = 0n;
  let missed = 0n;
  let total = 0n;
  for (let i = 0; i < itt.length; i++) {
    const g = BigInt(itt[i]!);
    let k: bigint;
    if (i === 0) {
      if (skipFirst) continue;
      if (g <= Dp) {
        slack += Dp - g;
        total += 1n;
        continue;
      }
      k = 1n + (g - Dp) / D; // both operands positive: BigInt division is floor division
    } else {
      if (g <= D + slack) {
        slack += D - g;
        total += 1n;
        continue;
      }
      k = (g - slack) / D;
    }
    missed += k;
    total += k;
    slack = 0n;
  }
  return { missed, total, slack };
}

const countsOf = (s: { missed: bigint; total: bigint }): DeadlineCounts => ({
  missed: Number(s.missed),
  total: Number(s.total),
});

describe('deadlineCounts', () => {
  it('agrees exactly with the schedule written out in BigInt arithmetic', () => {
    fc.assert(
      fc.property(ittArb(), ttftDeadlineArb, tbtDeadlineArb, fc.boolean(), (itt, dp, d, skipFirst) => {
        expect(deadlineCounts(itt, dp, d, skipFirst)).toEqual(
          countsOf(referenceSchedule(itt, dp, d, skipFirst)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the written-out schedule on gaps that are exact multiples of the deadline (floor-division edges)', () => {
    // Every gap is m·D + r with r ∈ {−1, 0, 1}: exactly where float `//` goes wrong.
    const arb = fc.tuple(tbtDeadlineArb, fc.integer({ min: 0, max: 40 })).chain(([d, dpMultiple]) =>
      fc.tuple(
        fc.constant(d),
        fc.constant(dpMultiple * d),
        fc.array(
          fc
            .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: -1, max: 1 }))
            .map(([m, r]) => Math.max(0, m * d + r)),
          { maxLength: 200 },
        ),
        fc.boolean(),
      ),
    );
    fc.assert(
      fc.property(arb, ([d, dp, itt, skipFirst]) => {
        expect(deadlineCounts(itt, dp, d, skipFirst)).toEqual(
          countsOf(referenceSchedule(itt, dp, d, skipFirst)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('never misses more deadlines than it counts, and counts every token it looks at', () => {
    fc.assert(
      fc.property(ittArb(), ttftDeadlineArb, tbtDeadlineArb, fc.boolean(), (itt, dp, d, skipFirst) => {
        const { missed, total } = deadlineCounts(itt, dp, d, skipFirst);
        expect(Number.isInteger(missed) && Number.isInteger(total)).toBe(true);
        expect(missed).toBeGreaterThanOrEqual(0);
        expect(missed).toBeLessThanOrEqual(total);
        const tokensCounted = skipFirst ? Math.max(0, itt.length - 1) : itt.length;
        expect(total).toBeGreaterThanOrEqual(tokensCounted);
        // A stream that met every deadline counted exactly one deadline per token.
        if (missed === 0) expect(total).toBe(tokensCounted);
        const rate = missRate({ missed, total });
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('never has a higher miss rate at a longer TBT deadline (fixed TTFT and decode-only)', () => {
    const deadlinePair = fc
      .tuple(
        tbtDeadlineArb,
        fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 500_000 })),
      )
      .map(([d1, extra]) => [d1, d1 + extra] as const);
    fc.assert(
      fc.property(ittArb(), ttftDeadlineArb, deadlinePair, fc.boolean(), (itt, dp, [d1, d2], skipFirst) => {
        const shorter = deadlineCounts(itt, dp, d1, skipFirst);
        const longer = deadlineCounts(itt, dp, d2, skipFirst);
        expect(missRate(longer)).toBeLessThanOrEqual(missRate(shorter));
        // Stronger, and what makes it true: fewer misses and no fewer met deadlines.
        expect(longer.missed).toBeLessThanOrEqual(shorter.missed);
        expect(longer.total - longer.missed).toBeGreaterThanOrEqual(shorter.total - shorter.missed);
      }),
      { numRuns: 300 },
    );
  });

  it('meets a token that arrives exactly on its deadline and misses one that is 1 µs late', () => {
    fc.assert(
      fc.property(ittArb(60), ttftDeadlineArb, tbtDeadlineArb, fc.boolean(), (prefix, dp, d, skipFirst) => {
        const before = referenceSchedule(prefix, dp, d, skipFirst);
        // The next token's deadline, measured from the previous arrival (from the send for the first).
        const first = prefix.length === 0;
        if (first && skipFirst) return; // the first token has no deadline in the decode-only view
        const onTime = first ? dp : Number(BigInt(d) + before.slack);
        const base = deadlineCounts(prefix, dp, d, skipFirst);
        expect(deadlineCounts([...prefix, onTime], dp, d, skipFirst)).toEqual({
          missed: base.missed,
          total: base.total + 1,
        });
        // 1 µs late overruns one deadline (two when the TBT deadline is itself 1 µs: 1 + floor(1 / D)).
        const late = deadlineCounts([...prefix, onTime + 1], dp, d, skipFirst);
        const overrun = d === 1 ? 2 : 1;
        expect(late.missed).toBe(base.missed + overrun);
        expect(late.total).toBe(base.total + overrun);
      }),
      { numRuns: 300 },
    );
  });

  it('handles the documented cases by hand', () => {
    const Dp = 300_000;
    const D = 50_000;
    // Exactly on every deadline, with and without banked slack.
    expect(deadlineCounts([Dp, D, D, D], Dp, D)).toEqual({ missed: 0, total: 4 });
    expect(deadlineCounts([Dp - 20_000, D + 20_000, D], Dp, D)).toEqual({ missed: 0, total: 3 });
    expect(deadlineCounts([Dp + 1], Dp, D)).toEqual({ missed: 1, total: 1 });
    // Slack is banked without a cap: 10 early tokens pay for one long gap.
    // (first token on time with no slack, then 9 zero gaps bank 9·D, so the last may take 10·D)
    expect(deadlineCounts([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10 * D], 0, D)).toEqual({ missed: 0, total: 11 });
    expect(deadlineCounts([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10 * D + 1], 0, D)).toEqual({
      missed: 1,
      total: 11,
    });
    // Late first token 0.9 s past a 0.1 s deadline: 1 + floor(0.9 / 0.05) = 19 (etalon's float gives 18).
    expect(deadlineCounts([1_000_000], 100_000, D)).toEqual({ missed: 19, total: 19 });
    // After a miss the schedule restarts from the late arrival: no slack carried over.
    expect(deadlineCounts([Dp, 2 * D, D, D + 1], Dp, D)).toEqual({ missed: 3, total: 5 });
    // Decode-only ignores the first gap entirely.
    expect(deadlineCounts([10_000_000, D, D], 0, D, true)).toEqual({ missed: 0, total: 2 });
    expect(deadlineCounts([10_000_000], 0, D, true)).toEqual({ missed: 0, total: 0 });
    expect(missRate({ missed: 0, total: 0 })).toBe(0);
    expect(() => deadlineCounts([1], 0, 0)).toThrow(RangeError);
  });
});

describe('minTbtDeadlineUs', () => {
  it('returns the smallest deadline that meets the target, or null when none does', () => {
    fc.assert(
      fc.property(ittArb(), ttftDeadlineArb, targetArb, fc.boolean(), (itt, dp, target, skipFirst) => {
        const meets = (d: number) => missRate(deadlineCounts(itt, dp, d, skipFirst)) <= target;
        const D = minTbtDeadlineUs(itt, dp, target, skipFirst);
        if (D === null) {
          expect(meets(HUGE_DEADLINE_US)).toBe(false);
          return;
        }
        expect(Number.isInteger(D) && D >= 1).toBe(true);
        expect(meets(D)).toBe(true);
        if (D > 1) expect(meets(D - 1)).toBe(false);
        expect(meets(HUGE_DEADLINE_US)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the exact minimum on short streams (brute force over every deadline)', () => {
    const smallItt = fc.array(
      fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 60, max: 400 })),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(
        smallItt,
        fc.integer({ min: 0, max: 100 }),
        targetArb,
        fc.boolean(),
        (itt, dp, target, skipFirst) => {
          const meets = (d: number) => missRate(deadlineCounts(itt, dp, d, skipFirst)) <= target;
          let brute: number | null = null;
          for (let d = 1; d <= 1000; d++) {
            if (meets(d)) {
              brute = d;
              break;
            }
          }
          expect(minTbtDeadlineUs(itt, dp, target, skipFirst)).toBe(brute);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('handles the documented cases by hand', () => {
    // A late first token on a very short request cannot meet 10%: always at least one miss in 3.
    expect(minTbtDeadlineUs([1_000_000, 50_000, 50_000], 300_000, 0.1)).toBeNull();
    // …but decode-only ignores the first token: the largest decode gap is enough.
    expect(minTbtDeadlineUs([1_000_000, 50_000, 50_000], 300_000, 0.1, true)).toBe(50_000);
    // Vector 11 by hand: TTFT 0.25 s within 0.3 s, then 40 ms gaps; no miss allowed in 4 tokens.
    expect(minTbtDeadlineUs([250_000, 40_000, 40_000, 40_000], 300_000, 0.1)).toBe(23_334);
    // Fewer than two tokens decode-only: nothing to miss, the smallest deadline (1 µs).
    expect(minTbtDeadlineUs([123_456], 0, 0.1, true)).toBe(1);
    expect(minTbtDeadlineUs([], 0, 0.1, true)).toBe(1);
    expect(minTbtDeadlineUs([], 300_000, 0)).toBe(1);
  });
});

describe('floorDiv', () => {
  const MAX = Number.MAX_SAFE_INTEGER;
  const expectFloor = (a: number, b: number): void => {
    expect(floorDiv(a, b)).toBe(Number(BigInt(a) / BigInt(b)));
  };

  it('equals BigInt floor division on random safe integers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX }),
        fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: MAX })),
        (a, b) => {
          expectFloor(a, b);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('equals BigInt floor division on near-multiples q·b + r, r ∈ [−2, 2]', () => {
    const nearMultiple = fc
      .oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 2 ** 40 }))
      .chain((b) =>
        fc.tuple(
          fc.constant(b),
          fc.integer({ min: 0, max: Math.floor(MAX / b) }),
          fc.integer({ min: -2, max: 2 }),
        ),
      )
      .map(([b, q, r]) => [Math.min(MAX, Math.max(0, q * b + r)), b] as const);
    fc.assert(
      fc.property(nearMultiple, ([a, b]) => {
        expectFloor(a, b);
      }),
      { numRuns: 2000 },
    );
  });

  it('gets the float-division traps right', () => {
    expect(floorDiv(500_000, 50_000)).toBe(10); // 0.5 // 0.05 == 9.0 in Python floats
    expect(floorDiv(MAX - 1, 3)).toBe(Number(BigInt(MAX - 1) / 3n));
    expect(floorDiv(2 ** 51 * 3 - 1, 2 ** 51)).toBe(2);
    expect(floorDiv(0, 7)).toBe(0);
    expect(floorDiv(6, 7)).toBe(0);
    expect(floorDiv(7, 7)).toBe(1);
  });
});

describe('deadlineMissesPerToken', () => {
  it('charges each late token the deadlines it overran; the sum is deadlineCounts.missed', () => {
    // TTFT 100 µs deadline, TBT 10 µs: token 0 at 250 µs overruns 1 + floor(150/10) = 16;
    // token 1 after 5 µs is met; token 2 after 40 µs with 5 µs slack overruns floor(35/10) = 3.
    expect(deadlineMissesPerToken([250, 5, 40], 100, 10)).toEqual([16, 0, 3]);
  });

  it('agrees with deadlineCounts on random streams', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 500_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (itt, ttft, tbt) => {
          const perToken = deadlineMissesPerToken(itt, ttft, tbt);
          expect(perToken).toHaveLength(itt.length);
          expect(perToken.reduce((a, b) => a + b, 0)).toBe(deadlineCounts(itt, ttft, tbt).missed);
        },
      ),
    );
  });
});
