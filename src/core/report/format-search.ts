import Table from 'cli-table3';
import type { SearchStatus } from '../api/search-api-schemas.ts';

// How `fluidbench search --wait` prints a search: one progress line per change while it runs, and
// the final table of every probe with the bracket, the root and what the search spent.

const load = (v: number | null | undefined) => (v === null || v === undefined ? '?' : `${round(v)}`);

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v * 10) / 10 : Math.round(v * 1000) / 1000;
}

function bracketText(status: SearchStatus): string {
  const b = status.result?.bracket;
  return b ? `[${load(b.lo)}, ${load(b.hi)}]` : '[?, ?]';
}

/** `search-… running | probe 3 at 12 (replicate of 2): 140 measured, 3 bad, 0 errors | bracket [8, 16]`. */
export function searchProgressLine(status: SearchStatus): string {
  const parts = [`search ${status.id} ${status.state}`];
  const c = status.current;
  if (c) {
    const replicate = c.replicate_of === null ? '' : ` (replicate of ${c.replicate_of})`;
    const counts = `${c.counts.requests ?? 0} measured, ${c.counts.bad ?? 0} bad, ${c.counts.errors ?? 0} errors`;
    parts.push(`probe ${c.index} at ${load(c.load)}${replicate}: ${counts}${c.decided ? ' (decided)' : ''}`);
  } else parts.push(`${status.probes.length} probe(s) done`);
  parts.push(`bracket ${bracketText(status)}`);
  return parts.join(' | ');
}

/** The final report: every probe, then bracket, root, stop reason and spend. */
export function formatSearch(status: SearchStatus): string {
  const lines = [
    `fluidbench search ${status.id}${status.name ? ` (${status.name})` : ''}`,
    `State: ${status.state}${status.reason ? ` (${status.reason})` : ''}`,
  ];
  if (status.warm_start_load !== null) lines.push(`Warm start: ${load(status.warm_start_load)}`);
  const result = status.result;
  if (!result) return `${[...lines, 'No probe finished.'].join('\n')}\n`;
  const table = new Table({
    head: [
      '#',
      'offered',
      'achieved',
      'N',
      'bad',
      'errors',
      'bad fraction (95% CI)',
      'statistic',
      'verdict',
      'stopped',
    ],
    style: { head: [], border: [] },
  });
  for (const p of result.probes) {
    const replicate = p.replicate_of === null ? '' : ` (rep. ${p.replicate_of})`;
    table.push([
      `${p.index}${replicate}`,
      load(p.offered_load),
      load(p.achieved_load),
      `${p.requests}/${p.planned_requests}`,
      p.bad,
      p.errors,
      `${fraction(p.bad_fraction)} [${fraction(p.interval.lo)}, ${fraction(p.interval.hi)}] vs ${fraction(p.threshold_fraction)}`,
      p.statistic === null ? '—' : round(p.statistic),
      `${p.verdict}${p.resolved ? '' : ' (unresolved)'}`,
      p.reason,
    ]);
  }
  lines.push(table.toString());
  const root = result.root;
  lines.push(
    `Bracket: ${bracketText(status)}${result.lower_bound_only ? ' (lower bound only)' : ''}`,
    `Root: ${root ? `${load(root.load)} [${load(root.lo)}, ${load(root.hi)}]` : '—'}`,
    `Stopped: ${result.stop_reason ?? 'still running'}`,
    `Spent: ${result.probes.length} probes, ${result.requests_used} requests, ${result.output_tokens_used} output tokens, ${round(result.elapsed_s)} s`,
  );
  return `${lines.join('\n')}\n`;
}

function fraction(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
