import { isClosedLoop, openLoopOffsetsUs } from '../workload/arrivals.ts';
import { createLengthSampler } from '../workload/lengths.ts';
import { createRandom } from '../workload/seeded-random.ts';
import type { Workload } from '../workload/workload-config.ts';

// Each shard derives its own requests (k6-style segments; no central schedule;
// docs/workload.md#how-each-shard-derives-its-share): every shard walks the same global sequence,
// which depends on the seed only, and keeps the requests that a deterministic weighted interleave
// assigns to it. The union over shards is the one-shard run.

/** Keys of the independent random streams derived from a workload's seed. */
export const STREAM_ARRIVALS = 1;
export const STREAM_LENGTHS = 2;
/**
 * For prompts: `createRandom(seed, STREAM_PROMPTS, seq, run nonce)` (`promptRandom` in
 * shard-record.ts), so any shard can build any request's prompt.
 */
export const STREAM_PROMPTS = 3;

export interface PlannedRequest {
  /** Global request index over all shards, 0-based. */
  seq: number;
  /** Scheduled send offset from the run start in µs; null in closed loop (sent when a loop is free). */
  offsetUs: number | null;
  promptTokens: number;
  outputTokens: number;
  /** seq < warmup.requests: sent, but left out of the results. */
  warmup: boolean;
}

function checkShards(weights: readonly number[], shardIndex: number): void {
  const problems: string[] = [];
  if (weights.length === 0) problems.push('shard weights are empty');
  weights.forEach((weight, i) => {
    if (!Number.isFinite(weight) || weight < 0)
      problems.push(`shard weight ${i} must be finite and ≥ 0, got ${weight}`);
  });
  if (problems.length === 0 && weights.reduce((sum, weight) => sum + weight, 0) <= 0) {
    problems.push('shard weights must not all be 0');
  }
  if (!Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= weights.length) {
    problems.push(`shard index ${shardIndex} is not in [0, ${weights.length})`);
  }
  if (problems.length > 0) throw new Error(`invalid shard plan:\n${problems.join('\n')}`);
}

/**
 * Splits n by largest remainder (ties to the lower index): the result sums to n exactly, and each
 * part is the floor or the ceiling of its quota; a weight of 0 gets 0.
 */
export function largestRemainder(n: number, weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const quotas = weights.map((weight) => (n * weight) / total);
  const counts = quotas.map(Math.floor);
  let left = n - counts.reduce((sum, count) => sum + count, 0);
  const byRemainder = quotas
    .map((quota, i) => ({ i, fraction: quota - Math.floor(quota) }))
    .filter(({ i }) => weights[i]! > 0)
    .sort((a, b) => b.fraction - a.fraction || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % byRemainder.length, left--) counts[byRemainder[k]!.i]!++;
  return counts;
}

/** Request loops run by this shard out of the closed loop's n, split by the weights. */
export function closedLoopConcurrency(
  n: number,
  shardWeights: readonly number[],
  shardIndex: number,
): number {
  checkShards(shardWeights, shardIndex);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`concurrency must be an integer ≥ 0, got ${n}`);
  return largestRemainder(n, shardWeights)[shardIndex]!;
}

/** One period of the interleave is tabulated when it is this short; otherwise it is stepped live. */
const MAX_PATTERN = 1 << 16;

/**
 * Smooth weighted round-robin (nginx's): each step every shard earns its weight, the richest shard
 * (lowest index on ties) takes the request and pays the total. Every prefix of the sequence is split
 * within one request of the weights; integer weights repeat with period sum(weights).
 */
class WeightedInterleave {
  readonly #weights: readonly number[];
  readonly #total: number;
  readonly #credit: Float64Array;
  readonly #pattern: Uint32Array | null = null;
  #position = 0;

  constructor(weights: readonly number[]) {
    this.#weights = weights;
    this.#total = weights.reduce((sum, weight) => sum + weight, 0);
    this.#credit = new Float64Array(weights.length);
    if (weights.every(Number.isInteger) && this.#total <= MAX_PATTERN) {
      this.#pattern = Uint32Array.from({ length: this.#total }, () => this.#step());
    }
  }

  #step(): number {
    let best = -1;
    let bestCredit = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.#weights.length; i++) {
      const weight = this.#weights[i]!;
      if (weight === 0) continue;
      const credit = this.#credit[i]! + weight;
      this.#credit[i] = credit;
      if (credit > bestCredit) {
        best = i;
        bestCredit = credit;
      }
    }
    this.#credit[best]! -= this.#total;
    return best;
  }

  /** The shard of the next request. */
  next(): number {
    const pattern = this.#pattern;
    if (pattern === null) return this.#step();
    const shard = pattern[this.#position]!;
    this.#position = (this.#position + 1) % pattern.length;
    return shard;
  }

  /** Requests among the first `count` that go to `shard`, from a fresh interleave. */
  static countAmongFirst(weights: readonly number[], count: number, shard: number): number {
    const interleave = new WeightedInterleave(weights);
    const pattern = interleave.#pattern;
    let found = 0;
    if (pattern !== null) {
      const periods = Math.floor(count / pattern.length);
      for (let i = 0; i < count - periods * pattern.length; i++) if (pattern[i] === shard) found++;
      return periods * weights[shard]! + found;
    }
    for (let i = 0; i < count; i++) if (interleave.next() === shard) found++;
    return found;
  }
}

/** The weights that split requests: the shard weights, or in closed loop each shard's loop count. */
function interleaveWeights(
  workload: Workload,
  shardWeights: readonly number[],
  shardIndex: number,
): number[] {
  checkShards(shardWeights, shardIndex);
  return isClosedLoop(workload.arrivals)
    ? largestRemainder(workload.arrivals.n, shardWeights)
    : [...shardWeights];
}

/** The global schedule: one entry per request (its offset, null in closed loop), in seq order. */
function* globalOffsets(workload: Workload): Generator<number | null, void, void> {
  const limit = workload.requests ?? Number.POSITIVE_INFINITY;
  const arrivals = workload.arrivals;
  if (isClosedLoop(arrivals)) {
    for (let seq = 0; seq < limit; seq++) yield null;
    return;
  }
  const endUs = workload.duration_s === undefined ? Number.POSITIVE_INFINITY : workload.duration_s * 1e6;
  const offsets = openLoopOffsetsUs(arrivals, createRandom(workload.seed, STREAM_ARRIVALS));
  for (let seq = 0; seq < limit; seq++) {
    const offset = offsets.next();
    if (offset.done === true || offset.value >= endUs) return;
    yield offset.value;
  }
}

/**
 * This shard's requests in seq order. Bounded by `requests`, by `duration_s` (open loop: offsets at
 * or after it are not scheduled) and by the end of a trace; unbounded in a closed loop without
 * `requests`, where the shard stops on time. Shard weights must be the same on every shard.
 */
export function planShardRequests(
  workload: Workload,
  shardWeights: readonly number[],
  shardIndex: number,
): IterableIterator<PlannedRequest> {
  const weights = interleaveWeights(workload, shardWeights, shardIndex);
  if (weights[shardIndex] === 0) return [][Symbol.iterator]();
  return shardRequests(workload, weights, shardIndex);
}

function* shardRequests(
  workload: Workload,
  weights: readonly number[],
  shardIndex: number,
): Generator<PlannedRequest, void, void> {
  // Lengths have their own stream, so changing the arrival process leaves every request's lengths be.
  const sampleLengths = createLengthSampler(workload.lengths, createRandom(workload.seed, STREAM_LENGTHS));
  const interleave = new WeightedInterleave(weights);
  let seq = 0;
  for (const offsetUs of globalOffsets(workload)) {
    const lengths = sampleLengths(seq); // every seq, even other shards': the stream is sequential
    if (interleave.next() === shardIndex) {
      yield { seq, offsetUs, ...lengths, warmup: seq < workload.warmup.requests };
    }
    seq++;
  }
}

/** How many requests this shard will send, or null when unbounded (closed loop without requests). O(N). */
export function countShardRequests(
  workload: Workload,
  shardWeights: readonly number[],
  shardIndex: number,
): number | null {
  const weights = interleaveWeights(workload, shardWeights, shardIndex);
  if (weights[shardIndex] === 0) return 0;
  const arrivals = workload.arrivals;
  const onlyCountBound =
    isClosedLoop(arrivals) || (arrivals.type !== 'trace' && workload.duration_s === undefined);
  if (onlyCountBound) {
    if (workload.requests === undefined) return null;
    return WeightedInterleave.countAmongFirst(weights, workload.requests, shardIndex);
  }
  const interleave = new WeightedInterleave(weights);
  let count = 0;
  for (const _ of globalOffsets(workload)) if (interleave.next() === shardIndex) count++;
  return count;
}
