import type { Arrivals } from '../workload/arrivals.ts';
import { type Lengths, scaleTraceRow, splitTotal } from '../workload/lengths.ts';
import {
  CONCURRENCY,
  MAX_CONFIG_CHARS,
  MAX_PROMPT_TOKENS_IN_FLIGHT_PER_SHARD,
  MAX_SHARDS_PER_RUN,
} from './config-bounds.ts';
import type { LocationHint, RunConfig } from './run-config.ts';

/** One shard Durable Object of a run. */
export interface ShardSpec {
  index: number;
  /** The location hint it is created with, which also names its region in the records. */
  region: LocationHint;
  /** Its share of the run's requests (weights sum to 1). */
  weight: number;
}

export interface RunPlan {
  shards: ShardSpec[];
  /** Requests the workload will send (null when only a duration bounds it in closed loop). */
  expectedRequests: number | null;
  /** Streams expected in flight at once over the whole run (exact in closed loop). */
  expectedConcurrency: number;
  /** Expected wall time of the schedule in seconds (null when only `requests` bounds a closed loop). */
  expectedDurationS: number | null;
}

export interface PlanIssue {
  path: (string | number)[];
  message: string;
}

/** Mean output length a length generator produces (for sizing, not for metrics). */
export function meanOutputTokens(lengths: Lengths): number {
  switch (lengths.type) {
    case 'fixed':
      return lengths.output_tokens;
    case 'uniform':
      return ((lengths.min_tokens + lengths.max_tokens) / 2) * (1 / (1 + lengths.prefill_to_decode_ratio));
    case 'zipf':
      return (
        (lengths.min_tokens - 1 + zipfMeanRank(lengths.max_tokens - lengths.min_tokens + 1, lengths.theta)) *
        (1 / (1 + lengths.prefill_to_decode_ratio))
      );
    case 'trace': {
      let sum = 0;
      for (const row of lengths.rows) sum += row[1];
      return (sum / lengths.rows.length) * lengths.decode_scale;
    }
  }
}

/** Ranks summed term by term; the rest of the sums comes from the Euler–Maclaurin formula. */
const ZIPF_EXACT_RANKS = 1_000;

/** ∫_a^b x^p dx for 1 ≤ a ≤ b, accurate also as p → −1 (where it tends to log(b/a)). */
function powerIntegral(a: number, b: number, p: number): number {
  const logRatio = Math.log(b / a);
  const x = (p + 1) * logRatio;
  const expm1OverX = Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x / 2;
  return a ** (p + 1) * logRatio * expm1OverX;
}

/**
 * Σ_{r=a}^{b} r^p by Euler–Maclaurin to the first derivative term: the error is of order
 * |p(p−1)(p−2)| a^(p−3), below 1e-9 relative for a ≥ 1,000 and the schema's exponents.
 */
function powerSumTail(a: number, b: number, p: number): number {
  const f = (x: number) => x ** p;
  const df = (x: number) => p * x ** (p - 1);
  return powerIntegral(a, b, p) + (f(a) + f(b)) / 2 + (df(b) - df(a)) / 12;
}

/**
 * Mean rank of P(r) ∝ r^-theta over 1..n, in O(1) time whatever n: the first ranks summed exactly,
 * the tail by Euler–Maclaurin (a sizing estimate, not a metric; an exact loop over n ranks would
 * make a config with max_tokens 2^53 hang plan building).
 */
export function zipfMeanRank(n: number, theta: number): number {
  const exact = Math.min(n, ZIPF_EXACT_RANKS);
  let weights = 0;
  let weighted = 0;
  for (let r = 1; r <= exact; r++) {
    const w = r ** -theta;
    weights += w;
    weighted += w * r;
  }
  if (n > exact) {
    weights += powerSumTail(exact + 1, n, -theta);
    weighted += powerSumTail(exact + 1, n, 1 - theta);
  }
  return weighted / weights;
}

/** Longest prompt a length generator produces. */
export function maxPromptTokens(lengths: Lengths): number {
  switch (lengths.type) {
    case 'fixed':
      return lengths.prompt_tokens;
    case 'uniform':
    case 'zipf':
      // The split grows with the total, so the largest total has the longest prompt.
      return splitTotal(lengths.max_tokens, lengths.prefill_to_decode_ratio).promptTokens;
    case 'trace': {
      let max = 0;
      for (const row of lengths.rows) max = Math.max(max, scaleTraceRow(row, lengths).promptTokens);
      return max;
    }
  }
}

/** Streams the busiest shard is planned to carry: its region's share of the concurrency over its shards. */
function streamsPerShard(config: RunConfig, plan: RunPlan): number {
  const totalShare = config.regions.reduce((sum, r) => sum + r.share, 0);
  let busiest = 0;
  for (const region of config.regions) {
    const count = plan.shards.filter((s) => s.region === region.location).length || 1;
    busiest = Math.max(busiest, Math.ceil((plan.expectedConcurrency * (region.share / totalShare)) / count));
  }
  return busiest;
}

/** Offered requests per second of an open-loop arrival process (null in closed loop). */
export function offeredQps(arrivals: Arrivals): number | null {
  switch (arrivals.type) {
    case 'poisson':
    case 'gamma':
    case 'constant':
      return arrivals.qps;
    case 'trace': {
      const last = arrivals.times_s[arrivals.times_s.length - 1] ?? 0;
      const span = last * arrivals.time_scale;
      return span > 0 ? arrivals.times_s.length / span : arrivals.times_s.length;
    }
    case 'concurrency':
      return null;
  }
}

/**
 * Shards per region: as configured, or as many as the region's share of the concurrency needs.
 * The concurrency is capped at its largest allowed limit first (more is refused by limitIssues), so
 * the plan holds at most that many shards however large the estimate is (qps × a long request).
 */
function regionShardCounts(config: RunConfig, expectedConcurrency: number): number[] {
  const concurrency = Math.min(expectedConcurrency, CONCURRENCY.max);
  const totalShare = config.regions.reduce((sum, r) => sum + r.share, 0);
  return config.regions.map(
    (region) =>
      region.shards ??
      Math.max(1, Math.ceil((concurrency * (region.share / totalShare)) / config.streams_per_shard)),
  );
}

/**
 * Splits a run into shards: each region gets `shards` objects, or as many as its expected
 * concurrency needs at `streams_per_shard` each. Open-loop concurrency is estimated by Little's
 * law with a request lasting as long as its deadlines allow (TTFT + output × TBT).
 */
export function planRun(config: RunConfig): RunPlan {
  const { workload } = config;
  const qps = offeredQps(workload.arrivals);
  const requestS = config.deadlines.ttft_s + meanOutputTokens(workload.lengths) * config.deadlines.tbt_s;
  const expectedConcurrency =
    workload.arrivals.type === 'concurrency'
      ? workload.arrivals.n
      : Math.max(1, Math.ceil((qps ?? 0) * requestS));

  let expectedRequests: number | null = workload.requests ?? null;
  let expectedDurationS: number | null = workload.duration_s ?? null;
  if (workload.arrivals.type === 'trace') {
    // The trace's arrivals, cut by `duration_s` and `requests` as the shards cut them.
    const { times_s: times, time_scale: scale } = workload.arrivals;
    const limitS = workload.duration_s ?? Number.POSITIVE_INFINITY;
    let count = 0;
    while (
      count < times.length &&
      count < (workload.requests ?? times.length) &&
      (times[count] ?? 0) * scale < limitS
    )
      count++;
    expectedRequests = count;
    expectedDurationS = count === 0 ? 0 : (times[count - 1] ?? 0) * scale;
  } else if (qps !== null) {
    const byDuration = workload.duration_s === undefined ? null : Math.floor(qps * workload.duration_s);
    expectedRequests = Math.min(
      expectedRequests ?? Number.POSITIVE_INFINITY,
      byDuration ?? Number.POSITIVE_INFINITY,
    );
    if (expectedDurationS === null && workload.requests !== undefined)
      expectedDurationS = workload.requests / qps;
  }

  const counts = regionShardCounts(config, expectedConcurrency);
  const totalShare = config.regions.reduce((sum, r) => sum + r.share, 0);
  const shards: ShardSpec[] = [];
  config.regions.forEach((region, r) => {
    const share = region.share / totalShare;
    const count = counts[r]!;
    for (let i = 0; i < count; i++)
      shards.push({ index: shards.length, region: region.location, weight: share / count });
  });
  return { shards, expectedRequests, expectedConcurrency, expectedDurationS };
}

/** Every way the configuration exceeds its own `limits` (checked before anything runs). */
export function limitIssues(config: RunConfig, plan: RunPlan): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const { limits, workload } = config;
  if (workload.arrivals.type === 'concurrency' && workload.arrivals.n > limits.max_concurrency)
    issues.push({
      path: ['workload', 'arrivals', 'n'],
      message: `concurrency ${workload.arrivals.n} exceeds limits.max_concurrency ${limits.max_concurrency}`,
    });
  if (workload.arrivals.type !== 'concurrency' && plan.expectedConcurrency > limits.max_concurrency)
    issues.push({
      path: ['workload', 'arrivals'],
      message: `about ${plan.expectedConcurrency} streams would be in flight at once, above limits.max_concurrency ${limits.max_concurrency}`,
    });
  // Caps are split exactly over shards (largest remainder): in open loop a shard with a cap of 0
  // could not send at all, so every shard needs at least one request in flight.
  const sending = plan.shards.filter((s) => s.weight > 0).length;
  if (workload.arrivals.type !== 'concurrency' && limits.max_concurrency < sending)
    issues.push({
      path: ['limits', 'max_concurrency'],
      message: `limits.max_concurrency ${limits.max_concurrency} is below the run's ${sending} shards: each needs at least 1`,
    });
  if (plan.expectedRequests !== null && plan.expectedRequests > limits.max_requests)
    issues.push({
      path: [
        'workload',
        ...(workload.requests !== undefined
          ? ['requests']
          : workload.arrivals.type === 'trace' && workload.duration_s === undefined
            ? ['arrivals', 'times_s']
            : ['duration_s']),
      ],
      message: `${plan.expectedRequests} requests exceed limits.max_requests ${limits.max_requests}`,
    });
  if (plan.expectedDurationS !== null && plan.expectedDurationS > limits.max_duration_s)
    issues.push({
      path: ['workload', workload.duration_s !== undefined ? 'duration_s' : 'requests'],
      message: `the schedule lasts ${Math.round(plan.expectedDurationS)} s, above limits.max_duration_s ${limits.max_duration_s}`,
    });
  if (
    config.timeouts.run_s !== undefined &&
    config.timeouts.run_s > limits.max_duration_s + config.timeouts.request_s + 300
  )
    issues.push({
      path: ['timeouts', 'run_s'],
      message: `timeouts.run_s ${config.timeouts.run_s} exceeds limits.max_duration_s + timeouts.request_s + 300 s`,
    });
  // A shard holds each prompt until its stream ends: keep them inside a Worker's memory.
  const promptTokens = maxPromptTokens(workload.lengths);
  const streams = streamsPerShard(config, plan);
  if (promptTokens * streams > MAX_PROMPT_TOKENS_IN_FLIGHT_PER_SHARD)
    issues.push({
      path: ['workload', 'lengths'],
      message:
        `prompts of up to ${promptTokens} tokens × about ${streams} streams per shard exceed ` +
        `${MAX_PROMPT_TOKENS_IN_FLIGHT_PER_SHARD} prompt tokens in flight per shard: ` +
        'lower streams_per_shard or set regions[].shards',
    });
  // Stored in D1 and Durable Object storage, whose values are capped at 2 MB.
  const size = JSON.stringify(config).length;
  if (size > MAX_CONFIG_CHARS)
    issues.push({
      path: [],
      message: `the run configuration is ${size} characters of JSON, above ${MAX_CONFIG_CHARS}: shorten the inline trace (rows or times_s)`,
    });
  if (plan.shards.length > MAX_SHARDS_PER_RUN)
    issues.push({
      path: ['regions'],
      message: `${plan.shards.length} shards: at most ${MAX_SHARDS_PER_RUN} per run`,
    });
  return issues;
}
