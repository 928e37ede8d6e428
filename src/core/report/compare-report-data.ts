import type { RunResults } from '../api/run-results-schema.ts';
import { percentile } from '../metrics/percentile.ts';
import { COMPARE_MAX_RUNS, type CompareReportData } from './report-data.ts';

type Row = CompareReportData['rows'][number];

/** The scatter's points: every run × region with both figures, or the whole runs when no region has them. */
function scatterRows(rows: readonly Row[]): number[] {
  const drawable = (r: Row) => r.ttft_p50_s !== null && r.output_tps_p50 !== null;
  const regional = rows.flatMap((r, i) => (r.region !== 'all' && drawable(r) ? [i] : []));
  return regional.length > 0 ? regional : rows.flatMap((r, i) => (drawable(r) ? [i] : []));
}

/**
 * Runs side by side (docs/reports.md#searches-profiles-history-comparisons): per run and region,
 * TTFT against output speed, the attractive quadrant (TTFT at most and output speed at least the
 * medians of the scatter's points), and a region × run table.
 */
export function buildCompareReportData(runs: readonly RunResults[], nowMs: number): CompareReportData {
  const compared = runs.slice(0, COMPARE_MAX_RUNS);
  const labels = compared.map((run) => `${run.name ?? run.id} (${run.target.model})`);
  const rows: Row[] = [];
  compared.forEach((run, index) => {
    const label = labels[index]!;
    const entries: [string, RunResults['summary']['regions'][string]][] = [
      ['all', run.summary],
      ...Object.entries(run.summary.regions),
    ];
    for (const [region, s] of entries)
      rows.push({
        run_id: run.id,
        run: index,
        label,
        region,
        requests: s.requests,
        ttft_p50_s: s.ttft_s.p50,
        output_tps_p50: s.output_throughput.p50,
        tbt_p99_s: s.tbt_s.p99,
        miss_rate: s.service_level.miss_rate,
        error_rate: s.error_rate,
        attractive: false,
      });
  });

  const drawn = scatterRows(rows);
  const enough = drawn.length >= 2;
  const ttftSplit = enough
    ? percentile(
        drawn.map((i) => rows[i]!.ttft_p50_s!),
        0.5,
      )
    : null;
  const tpsSplit = enough
    ? percentile(
        drawn.map((i) => rows[i]!.output_tps_p50!),
        0.5,
      )
    : null;
  if (ttftSplit !== null && tpsSplit !== null)
    for (const i of drawn) {
      const r = rows[i]!;
      r.attractive = r.ttft_p50_s! <= ttftSplit && r.output_tps_p50! >= tpsSplit;
    }

  const regions = [...new Set(rows.map((r) => r.region))];
  const cells = regions.map((region) =>
    compared.map((_, run) => {
      const i = rows.findIndex((r) => r.run === run && r.region === region);
      return i < 0 ? null : i;
    }),
  );

  const notes: string[] = [];
  if (runs.length > COMPARE_MAX_RUNS) notes.push(`Only the first ${COMPARE_MAX_RUNS} runs are compared.`);
  if (!enough) notes.push('Fewer than 2 points with TTFT and output speed: no quadrant is drawn.');
  return {
    kind: 'compare',
    title: `Comparison of ${compared.length} runs`,
    generated_at_ms: nowMs,
    runs: compared.map((run, i) => ({ run_id: run.id, label: labels[i]! })),
    rows,
    scatter: { rows: drawn, ttft_split_s: ttftSplit, output_tps_split: tpsSplit },
    matrix: { regions, cells },
    notes,
  };
}
