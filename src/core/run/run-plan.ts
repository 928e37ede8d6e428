import type { Arrivals } from '../workload/arrivals.ts';
import type { Lengths } from '../workload/lengths.ts';
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

/** Largest run configuration, as JSON characters (storage values are capped at 2 MB). */
export const MAX_CONFIG_CHARS = 1_000_000;

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
    case 'zipf': {
      // Exact mean of P(rank r) ∝ r^-theta over the ranks (zipf favours short totals).
      let weights = 0;
      let weighted = 0;
      for (let r = 1; r <= lengths.max_tokens - lengths.min_tokens + 1; r++) {
        const w = r ** -lengths.theta;
        weights += w;
        weighted += w * (lengths.min_tokens + r - 1);
      }
      return (weighted / weights) * (1 / (1 + lengths.prefill_to_decode_ratio));
    }
    case 'trace': {
      let sum = 0;
      for (const row of lengths.rows) sum += row[1];
      return (sum / lengths.rows.length) * lengths.decode_scale;
    }
  }
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

  const totalShare = config.regions.reduce((sum, r) => sum + r.share, 0);
  const shards: ShardSpec[] = [];
  for (const region of config.regions) {
    const share = region.share / totalShare;
    const count =
      region.shards ?? Math.max(1, Math.ceil((expectedConcurrency * share) / config.streams_per_shard));
    for (let i = 0; i < count; i++)
      shards.push({ index: shards.length, region: region.location, weight: share / count });
  }
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
  // Stored in D1 and Durable Object storage, whose values are capped at 2 MB.
  const size = JSON.stringify(config).length;
  if (size > MAX_CONFIG_CHARS)
    issues.push({
      path: [],
      message: `the run configuration is ${size} characters of JSON, above ${MAX_CONFIG_CHARS}: shorten the inline trace (rows or times_s)`,
    });
  if (plan.shards.length > 256)
    issues.push({ path: ['regions'], message: `${plan.shards.length} shards: at most 256 per run` });
  return issues;
}
