import { z } from 'zod';
import { deadlineCounts, missRate } from '../metrics/fluidity.ts';
import { percentile } from '../metrics/percentile.ts';
import { sToUs, usToS } from '../metrics/units.ts';

// The SLOs a capacity-search probe is judged by. Names and defaults follow etalon's
// capacity search (`--slo-type`, `--tbt-slo 0.03`, `--ttft-slo 0.1`, `--tpot-slo 0.1`,
// `--ttft-slack-slo 0.3`, `--deadline-miss-rate-slo 0.1`, percentiles 0.99 / 0.9 / 0.9 / 0.99).
// Config keys are snake_case like the interchange format; durations are seconds (`_s`).

const quantile = z.number().min(0).max(1);
// Every duration is compared in integer µs, so anything under 1 µs would round to 0.
const positiveDuration_s = z.number().finite().min(0.000001).max(600);

export const deadlineSloSchema = z.strictObject({
  type: z.literal('deadline'),
  /** Percentile over requests of the per-request deadline miss rate. */
  miss_rate_percentile: quantile.default(0.99),
  miss_rate_slo: z.number().min(0).max(1).default(0.1),
  /** TTFT deadline = predicted prefill(prompt tokens) + this slack. */
  ttft_slack_s: z.number().finite().min(0).max(600).default(0.3),
  /** TBT deadline D of the fluidity schedule (docs/metrics.md#fluidity-index). */
  tbt_slo_s: positiveDuration_s.default(0.03),
});

export const tbtTtftSloSchema = z.strictObject({
  type: z.literal('tbt_ttft'),
  /** Percentile over every TBT value of every request (service level, zeros included). */
  tbt_percentile: quantile.default(0.99),
  tbt_slo_s: positiveDuration_s.default(0.03),
  ttft_percentile: quantile.default(0.9),
  ttft_slo_s: positiveDuration_s.default(0.1),
});

export const ttftTpotSloSchema = z.strictObject({
  type: z.literal('ttft_tpot'),
  ttft_percentile: quantile.default(0.9),
  ttft_slo_s: positiveDuration_s.default(0.1),
  /** Percentile over requests of per-request TPOT; requests with < 2 tokens have no TPOT. */
  tpot_percentile: quantile.default(0.9),
  tpot_slo_s: positiveDuration_s.default(0.1),
});

/**
 * Goodput-style SLO (not in etalon): the fraction of requests that meet every per-request objective
 * (TTFT and, for requests with ≥ 2 tokens, TPOT) must be at least `target`.
 */
export const attainmentSloSchema = z.strictObject({
  type: z.literal('attainment'),
  /** Minimum fraction of requests meeting every objective, in [0.5, 1]. */
  target: z.number().min(0.5).max(1).default(0.9),
  ttft_slo_s: positiveDuration_s.default(0.1),
  tpot_slo_s: positiveDuration_s.default(0.1),
});

export const sloSchema = z.discriminatedUnion('type', [
  deadlineSloSchema,
  tbtTtftSloSchema,
  ttftTpotSloSchema,
  attainmentSloSchema,
]);
export type Slo = z.infer<typeof sloSchema>;
/** Validates an SLO config, filling etalon's defaults. Throws one Error listing every issue. */
export function parseSlo(input: unknown): Slo {
  const parsed = sloSchema.safeParse(input);
  if (!parsed.success)
    throw new Error(`invalid SLO config:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

/** One successful request: inter-token times in integer µs (docs/metrics.md#token-times) and its prompt length. */
export interface SloRequest {
  ittUs: ArrayLike<number>;
  promptTokens: number;
}

/** Predicted prefill time (µs) for a prompt length, from the prefill profile. */
export type PrefillPredictorUs = (promptTokens: number) => number;

export type SloPartName = 'deadline_miss_rate' | 'tbt' | 'ttft' | 'tpot' | 'attainment_miss';

/** One condition of an SLO: `statistic <= threshold`. Durations in seconds, miss rates as ratios. */
export interface SloPart {
  name: SloPartName;
  unit: 's' | 'ratio';
  percentile: number;
  /** null when there was nothing to measure (then the part fails). */
  statistic: number | null;
  threshold: number;
  passed: boolean;
  /** How many values the percentile was taken over. */
  samples: number;
}

export interface SloEvaluation {
  passed: boolean;
  /**
   * The binding part's statistic and threshold: the part with no data, else the one with the largest
   * statistic / threshold, so a single number says how close the probe was to failing.
   */
  statistic: number | null;
  threshold: number;
  detail: string;
  parts: SloPart[];
}

/**
 * Judges the successful requests of one probe against an SLO. A part passes when its statistic is
 * at or below its threshold (durations compared exactly in µs). Requests without any output token
 * carry no TTFT, TBT or deadline and are left out; with no data at all the SLO does not pass.
 * `predictPrefillUs` is required for `deadline`; it is rounded to whole µs and clamped at 0.
 */
export function evaluateSlo(
  slo: Slo,
  requests: readonly SloRequest[],
  predictPrefillUs?: PrefillPredictorUs,
): SloEvaluation {
  const streams = requests.filter((r) => r.ittUs.length > 0);
  let parts: SloPart[];
  switch (slo.type) {
    case 'deadline': {
      if (!predictPrefillUs) {
        throw new Error('the deadline SLO needs a prefill predictor (run a prefill profile first)');
      }
      const slackUs = sToUs(slo.ttft_slack_s);
      const tbtDeadlineUs = sToUs(slo.tbt_slo_s);
      const rates = new Float64Array(streams.length);
      streams.forEach((r, i) => {
        const prefillUs = predictPrefillUs(r.promptTokens);
        if (!Number.isFinite(prefillUs)) {
          throw new RangeError(`prefill predictor returned ${prefillUs} for ${r.promptTokens} prompt tokens`);
        }
        const ttftDeadlineUs = Math.max(0, Math.round(prefillUs)) + slackUs;
        rates[i] = missRate(deadlineCounts(r.ittUs, ttftDeadlineUs, tbtDeadlineUs));
      });
      parts = [ratioPart('deadline_miss_rate', rates, slo.miss_rate_percentile, slo.miss_rate_slo)];
      break;
    }
    case 'tbt_ttft':
      parts = [
        timePart('tbt', allTbtUs(streams), slo.tbt_percentile, slo.tbt_slo_s),
        timePart('ttft', ttftsUs(streams), slo.ttft_percentile, slo.ttft_slo_s),
      ];
      break;
    case 'ttft_tpot':
      parts = [
        timePart('ttft', ttftsUs(streams), slo.ttft_percentile, slo.ttft_slo_s),
        timePart('tpot', tpotsUs(streams), slo.tpot_percentile, slo.tpot_slo_s),
      ];
      break;
    case 'attainment': {
      const ttftUs = sToUs(slo.ttft_slo_s);
      const tpotUs = sToUs(slo.tpot_slo_s);
      let missed = 0;
      for (const r of streams) if (missesObjectives(r.ittUs, ttftUs, tpotUs)) missed++;
      const statistic = streams.length === 0 ? null : missed / streams.length;
      parts = [
        {
          name: 'attainment_miss',
          unit: 'ratio',
          percentile: slo.target,
          statistic,
          threshold: 1 - slo.target,
          passed: statistic !== null && attainmentMet(missed, streams.length, slo.target),
          samples: streams.length,
        },
      ];
      break;
    }
  }
  const binding = bindingPart(parts);
  const passed = streams.length > 0 && parts.every((p) => p.passed);
  const detail =
    requests.length === 0
      ? 'no successful requests'
      : streams.length === 0
        ? `none of the ${requests.length} successful requests produced an output token`
        : parts.map(describe).join('; ');
  return { passed, statistic: binding.statistic, threshold: binding.threshold, detail, parts };
}

/**
 * The attainment rule in one place: `n − missed` of `n` requests met every objective, and the
 * fraction that did must be at least `target`. False for n = 0.
 */
export function attainmentMet(missed: number, n: number, target: number): boolean {
  return n > 0 && (n - missed) / n >= target;
}

/**
 * Whether one streamed request misses an attainment objective: TTFT above `ttftUs`, or (with at
 * least 2 tokens) its TPOT, the mean of itt[1:], above `tpotUs`. A request without tokens misses.
 */
export function missesObjectives(ittUs: ArrayLike<number>, ttftUs: number, tpotUs: number): boolean {
  const n = ittUs.length;
  if (n === 0 || (ittUs[0] as number) > ttftUs) return true;
  return n >= 2 && meanTpotUs(ittUs) > tpotUs;
}

/** Per-request TPOT in µs: the mean of itt[1:] (needs at least 2 tokens). */
export function meanTpotUs(ittUs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 1; i < ittUs.length; i++) sum += ittUs[i] as number;
  return sum / (ittUs.length - 1);
}

function ratioPart(name: SloPartName, values: Float64Array, q: number, threshold: number): SloPart {
  const statistic = percentile(values, q);
  return {
    name,
    unit: 'ratio',
    percentile: q,
    statistic,
    threshold,
    passed: statistic !== null && statistic <= threshold,
    samples: values.length,
  };
}

/** A duration part: the percentile is taken and compared in µs, then reported in seconds. */
function timePart(name: SloPartName, valuesUs: Float64Array, q: number, threshold_s: number): SloPart {
  const statisticUs = percentile(valuesUs, q);
  return {
    name,
    unit: 's',
    percentile: q,
    statistic: statisticUs === null ? null : usToS(statisticUs),
    threshold: threshold_s,
    passed: statisticUs !== null && statisticUs <= sToUs(threshold_s),
    samples: valuesUs.length,
  };
}

function ttftsUs(streams: readonly SloRequest[]): Float64Array {
  return Float64Array.from(streams, (r) => r.ittUs[0] as number);
}

/** Every TBT value of every request, pooled (etalon's service-level TBT). */
function allTbtUs(streams: readonly SloRequest[]): Float64Array {
  let n = 0;
  for (const r of streams) n += r.ittUs.length - 1;
  const out = new Float64Array(n);
  let at = 0;
  for (const r of streams) {
    for (let i = 1; i < r.ittUs.length; i++) out[at++] = r.ittUs[i]!;
  }
  return out;
}

/** Per-request mean of itt[1:]; requests with < 2 tokens have no TPOT (docs/metrics.md#per-request-metrics; etalon says 0). */
function tpotsUs(streams: readonly SloRequest[]): Float64Array {
  const out: number[] = [];
  for (const r of streams) {
    const n = r.ittUs.length;
    if (n >= 2) out.push(meanTpotUs(r.ittUs));
  }
  return Float64Array.from(out);
}

function bindingPart(parts: readonly SloPart[]): SloPart {
  let worst = parts[0] as SloPart;
  for (const p of parts) {
    if (worst.statistic === null) break;
    if (p.statistic === null || ratio(p) > ratio(worst)) worst = p;
  }
  return worst;
}

function ratio(p: SloPart): number {
  const s = p.statistic ?? Number.POSITIVE_INFINITY;
  if (p.threshold === 0) return s === 0 ? 1 : Number.POSITIVE_INFINITY;
  return s / p.threshold;
}

function describe(p: SloPart): string {
  const label = `P${+(p.percentile * 100).toFixed(6)} ${p.name}`;
  if (p.statistic === null) return `${label}: no values (fail)`;
  const fmt = (v: number) => (p.unit === 's' ? `${+v.toFixed(6)} s` : `${+v.toFixed(6)}`);
  return `${label} ${fmt(p.statistic)} ${p.passed ? '<=' : '>'} ${fmt(p.threshold)} over ${p.samples} values (${p.passed ? 'pass' : 'fail'})`;
}
