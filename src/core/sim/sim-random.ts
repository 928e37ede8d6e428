import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

// Each request gets its own generator seeded from (seed, request index), so a request's faults do
// not depend on how many random draws earlier or concurrent requests made.

/** A 32-bit integer hash (the murmur3 finaliser) to spread nearby (seed, index) pairs apart. */
function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Uniform floats in [0, 1) for request number `index` (0-based) under `seed`. */
export function requestRandom(seed: number, index: number): () => number {
  const rng = xoroshiro128plus(mix32(mix32(seed) ^ Math.imul(index + 1, 0x9e3779b9)));
  return () => uniformFloat64(rng);
}
