/**
 * An exact value → count table. Non-negative integers below `denseLimit` (µs gaps between reads,
 * the per-token bulk of a run) are counted in an array indexed by value, an order of magnitude
 * cheaper per add than a Map; every other value goes to a Map. The array grows on demand in powers
 * of two, so its memory follows the largest value seen (8 bytes per µs of range at most).
 */
export class ExactCounts {
  readonly denseLimit: number;
  private readonly map = new Map<number, number>();
  private dense: Float64Array | null = null;
  private denseDistinct = 0;

  constructor(denseLimit = 0) {
    this.denseLimit = denseLimit;
  }

  /** Number of distinct values. */
  get size(): number {
    return this.map.size + this.denseDistinct;
  }

  add(value: number, weight: number): void {
    if (value >= 0 && value < this.denseLimit && (value | 0) === value) {
      let dense = this.dense;
      if (dense === null || value >= dense.length) dense = this.grow(value);
      const count = dense[value]!;
      if (count === 0) this.denseDistinct += 1;
      dense[value] = count + weight;
      return;
    }
    this.map.set(value, (this.map.get(value) ?? 0) + weight);
  }

  /** Calls `visit` with every value and its count, in no particular order. */
  forEachCount(visit: (value: number, count: number) => void): void {
    const dense = this.dense;
    if (dense) {
      for (let value = 0; value < dense.length; value++) if (dense[value]! > 0) visit(value, dense[value]!);
    }
    for (const [value, count] of this.map) visit(value, count);
  }

  /** Every [value, count] pair, in no particular order. */
  entries(): [number, number][] {
    const pairs: [number, number][] = [];
    this.forEachCount((value, count) => {
      pairs.push([value, count]);
    });
    return pairs;
  }

  clone(): ExactCounts {
    const copy = new ExactCounts(this.denseLimit);
    for (const [value, count] of this.map) copy.map.set(value, count);
    copy.dense = this.dense ? this.dense.slice() : null;
    copy.denseDistinct = this.denseDistinct;
    return copy;
  }

  /** Distinct values in ascending order with their cumulative counts. */
  sorted(): { values: Float64Array; cumulative: Float64Array } {
    const values = new Float64Array(this.size);
    const counts = new Float64Array(this.size);
    const others = Float64Array.from(this.map.keys()).sort();
    const dense = this.dense ?? new Float64Array(0);
    // Merge the dense values (ascending by index) with the sorted Map keys.
    let d = 0;
    let o = 0;
    for (let i = 0; i < values.length; i++) {
      while (d < dense.length && dense[d] === 0) d += 1;
      if (d < dense.length && (o >= others.length || d <= others[o]!)) {
        values[i] = d;
        counts[i] = dense[d]!;
        d += 1;
      } else {
        values[i] = others[o]!;
        counts[i] = this.map.get(others[o]!)!;
        o += 1;
      }
    }
    let seen = 0;
    const cumulative = counts.map((n) => {
      seen += n;
      return seen;
    });
    return { values, cumulative };
  }

  private grow(value: number): Float64Array {
    let length = Math.max(1024, this.dense?.length ?? 0);
    while (length <= value) length *= 2;
    const grown = new Float64Array(Math.min(length, this.denseLimit));
    if (this.dense) grown.set(this.dense);
    this.dense = grown;
    return grown;
  }
}
