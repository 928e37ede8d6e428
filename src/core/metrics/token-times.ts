import { msToUs } from './units.ts';

/** One network read that carried output: [ms since the request was sent, tokens in that read]. */
export type Chunk = readonly [offsetMs: number, tokens: number];

/**
 * Inter-token times in µs (docs/metrics.md#token-times). All tokens of one read arrive at that read's time: the first
 * carries the gap since the previous token-carrying read (or the send), the rest are 0. Reads that
 * carried no token are not token arrivals and are skipped (etalon counts them: vector 11).
 */
export function interTokenTimesUs(chunks: readonly Chunk[]): number[] {
  // Indexed loops: destructuring each pair through the iterator protocol costs more than the work.
  const n = chunks.length;
  let count = 0;
  for (let c = 0; c < n; c++) count += chunks[c]![1];
  // A plain array of small integers: far cheaper to allocate and collect than a typed array.
  const itt: number[] = new Array<number>(count).fill(0);
  let prevUs = 0;
  let i = 0;
  for (let c = 0; c < n; c++) {
    const chunk = chunks[c]!;
    const tokens = chunk[1];
    if (tokens === 0) continue;
    const atUs = msToUs(chunk[0]);
    itt[i] = atUs - prevUs;
    i += tokens; // the remaining tokens of this read stay 0
    prevUs = atUs;
  }
  return itt;
}

/** Calls `visit` with each gap between consecutive token-carrying reads, in µs (no zeros from multi-token reads). */
export function forEachInterChunkGapUs(chunks: readonly Chunk[], visit: (gapUs: number) => void): void {
  let prevUs = -1;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    if (chunk[1] === 0) continue;
    const atUs = msToUs(chunk[0]);
    if (prevUs >= 0) visit(atUs - prevUs);
    prevUs = atUs;
  }
}
