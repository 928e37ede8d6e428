import Table from 'cli-table3';
import type { RunResults } from '../api/run-results-schema.ts';
import type { SummaryReport } from '../metrics/run-summary.ts';
import { runAlertsSection } from './format-alerts.ts';
import { formatAnalysis } from './format-analysis.ts';

// How `results` (and `run --wait`) print a finished run: the same metric summary as `analyze`
// (shared code), plus what only a run knows (load, regions, colos, shard health), and as CSV.

/** The overall row's name in region tables and CSV. */
export const ALL = 'all';

/** The human-readable results. */
export function formatResults(results: RunResults): string {
  const lines: string[] = [];
  lines.push(`fluidbench results ${results.id}${results.name ? ` (${results.name})` : ''}`);
  lines.push(`State: ${results.state}${results.reason ? ` (${results.reason})` : ''}${ranFor(results)}`);
  if (results.target)
    lines.push(`Target: ${results.target.api} ${results.target.base_url}, model ${results.target.model}`);
  lines.push(loadLine(results));
  // analyze's summary without its first line and its region table (ours adds colos and more).
  const overall = formatAnalysis('', {
    requests: [],
    summary: { ...results.summary, regions: {} },
    throughput: results.throughput,
    service_level: results.service_level,
  });
  lines.push(...overall.trimEnd().split('\n').slice(1));
  const regions = regionRows(results);
  if (regions.length > 0) {
    lines.push('');
    lines.push(countsTable(regions));
    lines.push(latencyTable(regions));
  }
  lines.push(...healthWarnings(results));
  return `${lines.join('\n')}\n${runAlertsSection(results.alerts)}`;
}

interface RegionRow {
  name: string;
  colos: string[];
  shards: number;
  summary: SummaryReport;
}

/** One row per region (records' regions and shards' regions), then `all`. */
export function regionRows(results: RunResults): RegionRow[] {
  const names = [
    ...new Set([...Object.keys(results.summary.regions), ...Object.keys(results.regions)]),
  ].sort();
  const rows: RegionRow[] = [];
  for (const name of names) {
    const summary = results.summary.regions[name];
    if (!summary) continue; // a region whose shards recorded nothing: shown by status, not here
    const region = results.regions[name];
    rows.push({ name, colos: region?.colos ?? [], shards: region?.shards ?? 0, summary });
  }
  const colos = [...new Set(Object.values(results.regions).flatMap((r) => r.colos))].sort();
  rows.push({ name: ALL, colos, shards: results.shards.length, summary: results.summary });
  return rows;
}

function countsTable(rows: RegionRow[]): string {
  const table = new Table({
    head: ['region', 'colos', 'shards', 'requests', 'ok', 'failed', 'error rate', 'sched lag p99 ms'],
    style: { head: [], border: [], compact: true },
  });
  for (const r of rows) {
    const s = r.summary;
    table.push([
      r.name,
      r.colos.length > 0 ? r.colos.join(' ') : '—',
      String(r.shards),
      String(s.requests),
      String(s.ok),
      failures(s),
      percent(s.error_rate),
      fixed(s.schedule_lag_ms.p99, 1),
    ]);
  }
  return table.toString();
}

function latencyTable(rows: RegionRow[]): string {
  const table = new Table({
    head: [
      'region',
      'TTFT p50 s',
      'TTFT p99 s',
      'TBT p99 s',
      'TPOT mean s',
      'E2E p50 s',
      'fluidity p50',
      'fluidity p99',
      'miss rate',
      'fluid tok/s',
    ],
    style: { head: [], border: [], compact: true },
  });
  for (const r of rows) {
    const s = r.summary;
    table.push([
      r.name,
      fixed(s.ttft_s.p50, 4),
      fixed(s.ttft_s.p99, 4),
      fixed(s.tbt_s.p99, 4),
      fixed(s.tpot_s.mean, 4),
      fixed(s.e2e_s.p50, 4),
      fixed(s.fluidity_index.p50, 4),
      fixed(s.fluidity_index.p99, 4),
      percent(s.service_level.miss_rate),
      fixed(s.throughput.fluid_token_generation_rate, 2),
    ]);
  }
  return table.toString();
}

/** Columns of `results --csv`: name and value of one region row. */
const CSV_COLUMNS: [name: string, value: (r: RegionRow) => number | string | null][] = [
  ['region', (r) => r.name],
  ['colos', (r) => r.colos.join(' ')],
  ['shards', (r) => r.shards],
  ['requests', (r) => r.summary.requests],
  ['ok', (r) => r.summary.ok],
  ['failed', (r) => r.summary.failed],
  ['error_rate', (r) => r.summary.error_rate],
  ['ttft_p50_s', (r) => r.summary.ttft_s.p50],
  ['ttft_p99_s', (r) => r.summary.ttft_s.p99],
  ['tbt_p50_s', (r) => r.summary.tbt_s.p50],
  ['tbt_p99_s', (r) => r.summary.tbt_s.p99],
  ['tpot_mean_s', (r) => r.summary.tpot_s.mean],
  ['e2e_p50_s', (r) => r.summary.e2e_s.p50],
  ['e2e_p99_s', (r) => r.summary.e2e_s.p99],
  ['fluidity_index_mean', (r) => r.summary.fluidity_index.mean],
  ['fluidity_index_p50', (r) => r.summary.fluidity_index.p50],
  ['fluidity_index_p99', (r) => r.summary.fluidity_index.p99],
  ['miss_rate', (r) => r.summary.service_level.miss_rate],
  ['fluid_token_generation_rate', (r) => r.summary.throughput.fluid_token_generation_rate],
  ['tpot_based_throughput', (r) => r.summary.throughput.tpot_based_throughput],
  ['schedule_lag_p99_ms', (r) => r.summary.schedule_lag_ms.p99],
];

/** `results --csv`: a header, one row per region, then `all`; empty cells for unknown values. */
export function resultsCsv(results: RunResults): string {
  const rows = regionRows(results);
  const lines = [CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const row of rows) lines.push(CSV_COLUMNS.map(([, value]) => csvCell(value(row))).join(','));
  return `${lines.join('\n')}\n`;
}

function csvCell(value: number | string | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function loadLine(results: RunResults): string {
  const { load } = results;
  const parts: string[] = [];
  if (load.arrivals) parts.push(`${load.arrivals} arrivals`);
  if (load.concurrency !== undefined && load.concurrency !== null)
    parts.push(`concurrency ${load.concurrency}`);
  if (load.offered_qps !== null) parts.push(`offered ${load.offered_qps.toFixed(2)} qps`);
  parts.push(`achieved ${load.achieved_qps === null ? '—' : `${load.achieved_qps.toFixed(2)} qps`}`);
  if (load.requests_sent !== undefined) parts.push(`${load.requests_sent} requests sent`);
  return `Load: ${parts.join(', ')}`;
}

function ranFor(results: RunResults): string {
  const { started_at_ms: start, finished_at_ms: end } = results;
  return start !== null && end !== null && end >= start ? `, ran ${((end - start) / 1000).toFixed(1)} s` : '';
}

/** Lines about shards that did not run cleanly (their numbers may be incomplete or skewed). */
function healthWarnings(results: RunResults): string[] {
  const out: string[] = [];
  const dead = results.shards.filter((s) => s.state === 'dead');
  if (dead.length > 0)
    out.push(
      `Warning: ${dead.length} shard(s) stopped reporting: ${dead.map((s) => `#${s.index} ${s.region}`).join(', ')}`,
    );
  const lostWrites = results.shards.reduce((n, s) => n + s.progress.d1_write_failures, 0);
  if (lostWrites > 0)
    out.push(`Warning: ${lostWrites} record write(s) to D1 failed; exports miss those records.`);
  const saturated = results.shards.reduce((n, s) => n + s.progress.dispatched_while_saturated, 0);
  if (saturated > 0)
    out.push(
      `Note: ${saturated} request(s) were sent while 6 others awaited headers; their TTFT includes client queueing.`,
    );
  return out.length > 0 ? ['', ...out] : out;
}

function failures(s: SummaryReport): string {
  const parts = Object.entries(s.outcomes)
    .filter(([outcome, n]) => outcome !== 'ok' && n > 0)
    .map(([outcome, n]) => `${n} ${outcome}`);
  return parts.length > 0 ? parts.join(', ') : '0';
}

function percent(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(2)}%`;
}

function fixed(v: number | null, digits: number): string {
  return v === null ? '—' : v.toFixed(digits);
}
