import { z } from 'zod';
import {
  CONCURRENCY,
  GAMMA_CV,
  MAX_TRACE_TIMES,
  QPS,
  TRACE_TIME_S,
  TRACE_TIME_SCALE,
} from '../run/config-bounds.ts';
import type { Random } from './seeded-random.ts';

// Arrival processes (docs/workload.md#arrivals). Open-loop offsets are absolute, in integer
// microseconds from the run start, and never depend on how earlier requests went. Unlike etalon,
// which sends the first request at t = 0 and caps Poisson gaps at 3/qps, a poisson or gamma process
// here starts at t = 0 and its first arrival comes after one sampled gap (uncapped), so the first
// request is as random as the rest.

// Bounds: src/core/run/config-bounds.ts (why each, in docs/config-bounds.md).
const qps = z.number().min(QPS.min).max(QPS.max).describe('Mean offered load in requests per second.');

export const poissonArrivalsSchema = z
  .strictObject({ type: z.literal('poisson'), qps })
  .describe('Exponential inter-arrival times with mean 1/qps.');

export const gammaArrivalsSchema = z
  .strictObject({
    type: z.literal('gamma'),
    qps,
    cv: z
      .number()
      .min(GAMMA_CV.min)
      .max(GAMMA_CV.max)
      .describe('Coefficient of variation of the gaps: 1 is Poisson, < 1 smoother, > 1 burstier.'),
  })
  .describe('Gamma inter-arrival times with mean 1/qps and coefficient of variation cv (etalon `gamma`).');

export const constantArrivalsSchema = z
  .strictObject({ type: z.literal('constant'), qps })
  .describe('Request i is sent at i/qps seconds: the first at t = 0.');

export const traceArrivalsSchema = z
  .strictObject({
    type: z.literal('trace'),
    times_s: z
      .array(z.number().min(TRACE_TIME_S.min).max(TRACE_TIME_S.max))
      .min(1)
      .max(MAX_TRACE_TIMES)
      .describe('Arrival times in seconds from the run start, non-decreasing; the run ends with the trace.'),
    time_scale: z
      .number()
      .min(TRACE_TIME_SCALE.min)
      .max(TRACE_TIME_SCALE.max)
      .default(1)
      .describe(
        'Offset = times_s[i] · time_scale: 2 replays twice as slowly (half the rate), 0.5 twice as fast.',
      ),
  })
  .superRefine((value, ctx) => {
    for (let i = 1; i < value.times_s.length; i++) {
      const previous = value.times_s[i - 1]!;
      const current = value.times_s[i]!;
      if (current < previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['times_s', i],
          message: `times_s must not decrease: ${current} s after ${previous} s`,
        });
        return; // one is enough: a reversed trace would otherwise report every row
      }
    }
  })
  .describe('Replays recorded arrival times.');

export const concurrencyArrivalsSchema = z
  .strictObject({
    type: z.literal('concurrency'),
    n: z
      .int()
      .min(CONCURRENCY.min)
      .max(CONCURRENCY.max)
      .describe('Requests in flight: a new one is sent as soon as one finishes.'),
  })
  .describe('Closed loop with n concurrent request loops.');

export const arrivalsSchema = z
  .discriminatedUnion('type', [
    poissonArrivalsSchema,
    gammaArrivalsSchema,
    constantArrivalsSchema,
    traceArrivalsSchema,
    concurrencyArrivalsSchema,
  ])
  .describe('When requests are sent (docs/workload.md#arrivals).');

export type Arrivals = z.infer<typeof arrivalsSchema>;
export type ClosedLoopArrivals = Extract<Arrivals, { type: 'concurrency' }>;
export type OpenLoopArrivals = Exclude<Arrivals, ClosedLoopArrivals>;

export function isClosedLoop(arrivals: Arrivals): arrivals is ClosedLoopArrivals {
  return arrivals.type === 'concurrency';
}

const US_PER_S = 1_000_000;

/** Exponential with mean 1; 1 − u is in (0, 1], so the log is finite. */
function sampleExponential(random: Random): number {
  return -Math.log(1 - random.next());
}

/** Standard normal by Marsaglia's polar method (no trigonometry, so no libm differences in sin/cos). */
function sampleNormal(random: Random): number {
  for (;;) {
    const u = 2 * random.next() - 1;
    const v = 2 * random.next() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** Gamma(shape, scale 1) by Marsaglia & Tsang (2000); shape < 1 via the boost Gamma(k+1)·U^(1/k). */
export function sampleGamma(shape: number, random: Random): number {
  if (shape < 1) {
    const boosted = sampleGamma(shape + 1, random);
    return boosted * (1 - random.next()) ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random.next(); // (0, 1], so its log is finite
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Scheduled send offsets, in integer microseconds from the run start, non-decreasing. Infinite
 * except for trace arrivals. Offsets are rounded from an unrounded running sum, so rounding never
 * accumulates into drift.
 */
export function* openLoopOffsetsUs(
  arrivals: OpenLoopArrivals,
  random: Random,
): Generator<number, void, void> {
  switch (arrivals.type) {
    case 'poisson': {
      const meanGapUs = US_PER_S / arrivals.qps;
      for (let t = 0; ; ) {
        t += sampleExponential(random) * meanGapUs;
        yield Math.round(t);
      }
    }
    case 'gamma': {
      // shape k = 1/cv², scale = mean/k, so the mean gap is 1/qps and std/mean is cv.
      const shape = 1 / (arrivals.cv * arrivals.cv);
      const scaleUs = US_PER_S / arrivals.qps / shape;
      for (let t = 0; ; ) {
        t += sampleGamma(shape, random) * scaleUs;
        yield Math.round(t);
      }
    }
    case 'constant':
      for (let i = 0; ; i++) yield Math.round((i * US_PER_S) / arrivals.qps);
    case 'trace':
      for (const time of arrivals.times_s) yield Math.round(time * arrivals.time_scale * US_PER_S);
      return;
    default: {
      const unexpected: never = arrivals;
      throw new Error(`not an open-loop arrival process: ${JSON.stringify(unexpected)}`);
    }
  }
}
