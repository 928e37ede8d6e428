/**
 * The non-decreasing sequence closest to `ys` in least squares, with equal weights (the
 * pool-adjacent-violators algorithm): runs that go down are replaced by their mean.
 */
export function isotonicRegression(ys: readonly number[]): number[] {
  const blocks: { sum: number; count: number }[] = [];
  for (const y of ys) {
    blocks.push({ sum: y, count: 1 });
    // Merge backwards while the last block's mean is below the one before it.
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const prev = blocks[blocks.length - 2]!;
      if (prev.sum / prev.count <= last.sum / last.count) break;
      prev.sum += last.sum;
      prev.count += last.count;
      blocks.pop();
    }
  }
  const out: number[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const { sum, count } of blocks) {
    // Division can round a later block's mean a hair below an earlier one; keep it monotone.
    const mean = Math.max(sum / count, previous);
    for (let i = 0; i < count; i++) out.push(mean);
    previous = mean;
  }
  return out;
}
