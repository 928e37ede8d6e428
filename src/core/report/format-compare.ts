import Table from 'cli-table3';
import type { ComparedFigure, Comparison } from './compare-runs.ts';
import { formatValue } from './format-history.ts';

// How `fluidbench compare` prints a comparison: one column per run, one row per metric; each cell
// the figure, its 95% interval, and (after the first run) the change and whether it is real.

function bound(v: number): string {
  return Number.isFinite(v) ? formatValue(v) : v > 0 ? '∞' : '−∞';
}

const MARK: Record<ComparedFigure['verdict'], string> = {
  baseline: '',
  better: ' better',
  worse: ' WORSE',
  within_uncertainty: ' ~',
  unknown: ' ?',
};

function cell(f: ComparedFigure): string {
  if (f.value === null) return '—';
  const lines = [formatValue(f.value)];
  if (f.interval) lines.push(`[${bound(f.interval.lo)}, ${bound(f.interval.hi)}]`);
  if (f.delta !== null) {
    const pct =
      f.delta_ratio === null ? '' : ` (${f.delta_ratio >= 0 ? '+' : ''}${(f.delta_ratio * 100).toFixed(1)}%)`;
    lines.push(`Δ ${f.delta >= 0 ? '+' : ''}${formatValue(f.delta)}${pct}${MARK[f.verdict]}`);
  }
  return lines.join('\n');
}

/** The table plus a legend; runs named by id with their target below. */
export function formatComparison(c: Comparison): string {
  const table = new Table({
    head: [
      'metric',
      ...c.runs.map(
        (r) => `${r.id}\nregion ${r.region}\n${r.target.api} ${r.target.model}\n${hostOf(r.target.base_url)}`,
      ),
    ],
    style: { head: [], border: [], compact: false },
  });
  table.push(['requests', ...c.runs.map((r) => `${r.requests}${r.records === null ? ' (no records)' : ''}`)]);
  for (const m of c.metrics)
    table.push([`${m.metric}\n(worse when ${m.worse_when})`, ...m.figures.map(cell)]);
  const legend =
    'value, [95% interval], Δ against the first run: better/WORSE = the intervals do not overlap, ' +
    "~ = within the runs' own uncertainty, ? = no interval (records not available)\n";
  return `${table.toString()}\n${legend}`;
}

function hostOf(baseUrl: string): string {
  return URL.canParse(baseUrl) ? new URL(baseUrl).host : baseUrl;
}
