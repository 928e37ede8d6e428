import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** A seeded, mutable stream of random numbers. Same `(seed, keys)` → same stream on every platform. */
export interface Random {
  /** Uniform in [0, 1), 53 random bits. */
  next(): number;
  /** Uniform integer in [minInclusive, maxInclusive]. */
  int(minInclusive: number, maxInclusive: number): number;
}

/** murmur3's 32-bit finalizer: a bijection on uint32 with full avalanche. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Distinct starting constants, so the four state words are four independent hashes of the inputs. */
const LANES: readonly number[] = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];

/** Safe integers split into two uint32 words (negative values included, two's complement style). */
function words(values: readonly number[]): number[] {
  const out: number[] = [];
  for (const value of values) {
    if (!Number.isSafeInteger(value)) {
      throw new Error(`random seed and keys must be safe integers, got ${String(value)}`);
    }
    out.push(value >>> 0, Math.floor(value / 0x1_0000_0000) >>> 0);
  }
  return out;
}

/**
 * An independent stream for `(seed, ...keys)`, e.g. `createRandom(seed, STREAM_ARRIVALS)` or
 * `createRandom(seed, STREAM_PROMPTS, seq)`. The inputs (and their count, so `(1)` and `(1, 0)`
 * differ) are hashed into xoroshiro128+'s 128-bit state, which pure-rand's own integer seeding would
 * fill from 32 bits only.
 */
export function createRandom(seed: number, ...keys: number[]): Random {
  const input = words([seed, keys.length, ...keys]);
  const state = LANES.map((lane): number => {
    let h = lane;
    for (const word of input) h = fmix32(Math.imul(h ^ word, 0x9e3779b1) + 0x7f4a7c15);
    return h | 0;
  });
  // xoroshiro's all-zero state is a fixed point; astronomically unlikely, but cheap to rule out.
  if (!state.some((word) => word !== 0)) state[0] = 1;
  return wrap(xoroshiro128plusFromState(state));
}

function wrap(rng: RandomGenerator): Random {
  return {
    next(): number {
      // The high bits of each 32-bit output: xoroshiro128+'s lowest bits are its weakest.
      const high = rng.next() >>> 5; // 27 bits
      const low = rng.next() >>> 6; // 26 bits
      return (high * 0x400_0000 + low) / 2 ** 53;
    },
    int(minInclusive: number, maxInclusive: number): number {
      if (!Number.isSafeInteger(minInclusive) || !Number.isSafeInteger(maxInclusive)) {
        throw new Error(`random int bounds must be safe integers, got [${minInclusive}, ${maxInclusive}]`);
      }
      if (minInclusive > maxInclusive) {
        throw new Error(`random int bounds are reversed: [${minInclusive}, ${maxInclusive}]`);
      }
      return uniformInt(rng, minInclusive, maxInclusive);
    },
  };
}
