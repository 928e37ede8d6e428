import { DDSketch } from '@datadog/sketches-js';
import { z } from 'zod';
import { ExactCounts } from './exact-counts.ts';

/**
 * Relative accuracy of the sketch once a summary stops being exact (0.1%; see
 * docs/metrics.md#percentiles).
 */
export const SKETCH_RELATIVE_ACCURACY = 0.001;

/**
 * Distinct values kept exactly before a summary falls back to the sketch, unless a caller asks for
 * more: the Worker's shard summaries, whose state is stored in Durable Object storage and sent to
 * the coordinator, stay small with this.
 */
export const DEFAULT_EXACT_LIMIT = 4096;

/**
 * The exact limit of `fluidbench analyze`, which holds one process's summaries in memory: 2^20
 * distinct values per distribution. Memory stays bounded: a distribution holds at most this many
 * [value, count] entries (tens of MB in the worst case), and the per-read inter-chunk gaps below
 * 0.5 s are counted in a dense array (≤ 4 MB) whatever their number.
 */
export const ANALYZE_EXACT_LIMIT = 1 << 20;

/** Quantiles every summary reports (docs/metrics.md#percentiles). */
export const REPORTED_QUANTILES = {
  p1: 0.01,
  p50: 0.5,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
  p99_9: 0.999,
} as const;

export const quantileSummaryStateSchema = z.object({
  count: z.number().int().nonnegative(),
  sum: z.number(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  exact_limit: z.number().int().positive(),
  /** [value, count] pairs while exact; null once sketched. */
  exact: z.array(z.tuple([z.number(), z.number().int().positive()])).nullable(),
  /** [bin key, count] pairs of the positive and negative stores, and the zero count, once sketched. */
  sketch: z
    .object({
      positive: z.array(z.tuple([z.number().int(), z.number()])),
      negative: z.array(z.tuple([z.number().int(), z.number()])),
      zero_count: z.number(),
    })
    .nullable(),
});
export type QuantileSummaryState = z.infer<typeof quantileSummaryStateSchema>;

export interface QuantileStats {
  count: number;
  mean: number | null;
  min: number | null;
  p1: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p99_9: number | null;
  max: number | null;
  /** true: type-7 percentiles of the exact values; false: from the relative-error sketch. */
  exact: boolean;
}

/**
 * A mergeable distribution summary. It counts every distinct value exactly (type-7 percentiles)
 * until it has seen more than `exactLimit` distinct values, then moves to a DDSketch with 0.1%
 * relative error. Count, sum, min and max stay exact throughout. Shards summarise their own
 * requests; a coordinator merges summaries without ever holding the raw values. A merge keeps the
 * larger of the two exact limits, so it is exact whenever the merged values fit within it.
 */
export class QuantileSummary {
  count = 0;
  sum = 0;
  min: number | null = null;
  max: number | null = null;
  exactLimit: number;
  private exact: ExactCounts | null;
  private sketch: DDSketch | null = null;
  /** Sorted distinct values and their cumulative counts; rebuilt after any change. */
  private ranks: { values: Float64Array; cumulative: Float64Array } | null = null;

  /** `denseLimit`: integers in [0, denseLimit) are counted in an array (see ExactCounts). */
  constructor(exactLimit = DEFAULT_EXACT_LIMIT, denseLimit = 0) {
    this.exactLimit = exactLimit;
    this.exact = new ExactCounts(denseLimit);
  }

  get isExact(): boolean {
    return this.exact !== null;
  }

  add(value: number, weight = 1): void {
    this.count += weight;
    this.sum += value * weight;
    if (this.min === null || value < this.min) this.min = value;
    if (this.max === null || value > this.max) this.max = value;
    this.ranks = null;
    if (this.exact) {
      this.exact.add(value, weight);
      if (this.exact.size > this.exactLimit) this.toSketch();
    } else {
      this.sketch!.accept(value, weight);
    }
  }

  merge(other: QuantileSummary): void {
    this.exactLimit = Math.max(this.exactLimit, other.exactLimit);
    this.count += other.count;
    this.sum += other.sum;
    if (other.min !== null && (this.min === null || other.min < this.min)) this.min = other.min;
    if (other.max !== null && (this.max === null || other.max > this.max)) this.max = other.max;
    this.ranks = null;
    if (this.exact && other.exact) {
      other.exact.forEachCount((value, n) => {
        this.exact!.add(value, n);
      });
      if (this.exact.size > this.exactLimit) this.toSketch();
      return;
    }
    if (this.exact) this.toSketch();
    if (other.exact) {
      other.exact.forEachCount((value, n) => {
        this.sketch!.accept(value, n);
      });
    } else mergeSketch(this.sketch!, other.sketch!);
  }

  /** Type-7 quantile when exact; the sketch's estimate otherwise. Null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    if (!this.exact) return Math.min(this.max!, Math.max(this.min!, this.sketch!.getValueAtQuantile(q)));
    const h = (this.count - 1) * q;
    const lowRank = Math.floor(h);
    const low = this.valueAtRank(lowRank);
    if (h === lowRank) return low;
    const high = this.valueAtRank(lowRank + 1);
    return low + (h - lowRank) * (high - low);
  }

  /** Several quantiles at once. */
  quantiles(qs: readonly number[]): (number | null)[] {
    return qs.map((q) => this.quantile(q));
  }

  stats(): QuantileStats {
    const [p1, p50, p90, p95, p99, p99_9] = this.quantiles(Object.values(REPORTED_QUANTILES));
    return {
      count: this.count,
      mean: this.count === 0 ? null : this.sum / this.count,
      min: this.min,
      p1: p1 ?? null,
      p50: p50 ?? null,
      p90: p90 ?? null,
      p95: p95 ?? null,
      p99: p99 ?? null,
      p99_9: p99_9 ?? null,
      max: this.max,
      exact: this.isExact,
    };
  }

  /** A copy, optionally with another exact limit (applies from the next value added). */
  clone(exactLimit = this.exactLimit): QuantileSummary {
    if (!this.exact) return QuantileSummary.fromJSON(this.toJSON());
    const copy = new QuantileSummary(exactLimit);
    copy.count = this.count;
    copy.sum = this.sum;
    copy.min = this.min;
    copy.max = this.max;
    copy.exact = this.exact.clone();
    return copy;
  }

  toJSON(): QuantileSummaryState {
    const bins = (store: DDSketch['store']): [number, number][] => {
      const out: [number, number][] = [];
      store.bins.forEach((n, i) => {
        if (n > 0) out.push([i + store.offset, n]);
      });
      return out;
    };
    return {
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      exact_limit: this.exactLimit,
      exact: this.exact ? [...this.exact.entries()] : null,
      sketch: this.sketch
        ? {
            positive: bins(this.sketch.store),
            negative: bins(this.sketch.negativeStore),
            zero_count: this.sketch.zeroCount,
          }
        : null,
    };
  }

  static fromJSON(state: QuantileSummaryState, denseLimit = 0): QuantileSummary {
    const summary = new QuantileSummary(state.exact_limit, denseLimit);
    summary.count = state.count;
    summary.sum = state.sum;
    summary.min = state.min;
    summary.max = state.max;
    if (state.exact) {
      for (const [value, n] of state.exact) summary.exact!.add(value, n);
    } else {
      const sketch = newSketch();
      for (const [key, n] of state.sketch?.positive ?? []) sketch.store.add(key, n);
      for (const [key, n] of state.sketch?.negative ?? []) sketch.negativeStore.add(key, n);
      sketch.zeroCount = state.sketch?.zero_count ?? 0;
      sketch.count = state.count;
      sketch.sum = state.sum;
      sketch.min = state.min ?? Number.POSITIVE_INFINITY;
      sketch.max = state.max ?? Number.NEGATIVE_INFINITY;
      summary.exact = null;
      summary.sketch = sketch;
    }
    return summary;
  }

  /** The value of the order statistic `rank` (0-based) while exact: binary search on counts. */
  private valueAtRank(rank: number): number {
    this.ranks ??= this.exact!.sorted();
    const { values, cumulative } = this.ranks;
    let lo = 0;
    let hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rank < cumulative[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return values[lo]!;
  }

  private toSketch(): void {
    const sketch = newSketch();
    this.exact!.forEachCount((value, n) => {
      sketch.accept(value, n);
    });
    this.sketch = sketch;
    this.exact = null;
  }
}

/**
 * `into += from`, bin by bin. Not `DDSketch.merge`: in @datadog/sketches-js 2.1.1 it drops the
 * other sketch's negative store (while adding its count), and `DenseStore.merge` ignores a
 * maximum key of 0 (`secondKey || key`), i.e. values near 1 such as a fluidity-index of 1.
 */
function mergeSketch(into: DDSketch, from: DDSketch): void {
  const addBins = (target: DDSketch['store'], source: DDSketch['store']) => {
    source.bins.forEach((n, i) => {
      if (n > 0) target.add(i + source.offset, n);
    });
  };
  addBins(into.store, from.store);
  addBins(into.negativeStore, from.negativeStore);
  into.zeroCount += from.zeroCount;
  into.count += from.count;
  into.sum += from.sum;
  into.min = Math.min(into.min, from.min);
  into.max = Math.max(into.max, from.max);
}

function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
}
