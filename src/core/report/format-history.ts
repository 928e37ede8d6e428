import Table from 'cli-table3';
import type { HistoryResponse, HistorySeries } from '../api/history-api-schemas.ts';

// How `fluidbench history` prints history: one line per (target, region, metric) with a sparkline
// of its newest values, the last few values and the newest regression flag, if any.

const BARS = '▁▂▃▄▅▆▇█';

/** One bar per value, scaled from the smallest (▁) to the largest (█); a flat series is all ▄. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (!(max > min)) return BARS[3]!.repeat(values.length);
  const top = BARS.length - 1;
  return values.map((v) => BARS[Math.round(((v - min) / (max - min)) * top)]).join('');
}

/** Three significant digits, plain notation for everyday magnitudes. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  return abs >= 1e-3 && abs < 1e6 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

function flagText(series: HistorySeries): string {
  const flag = series.flags.at(-1);
  if (!flag) return '';
  const why =
    flag.reason === 'interval_excludes_baseline' ? 'interval excludes baseline' : '2 in a row outside band';
  const day = new Date(flag.at_ms).toISOString().slice(0, 10);
  return `⚠ ${day} ${formatValue(flag.value)} vs ${formatValue(flag.baseline)} ± ${formatValue(flag.band)} (${why})`;
}

/** The table, `last` values per series in the sparkline and 3 written out; a note when cut off. */
export function formatHistory(history: HistoryResponse, last: number): string {
  if (history.series.length === 0) return 'no history matches\n';
  const table = new Table({
    head: ['target', 'schedule', 'region', 'metric', 'trend (old → new)', 'last', 'regression'],
    style: { head: [], border: [], compact: true },
  });
  const key = (s: HistorySeries) =>
    [s.api, s.host, s.model, s.schedule_id ?? '', s.region, s.metric].join('\u0000');
  for (const s of [...history.series].sort((a, b) => key(a).localeCompare(key(b)))) {
    const values = s.points.map((p) => p.value).slice(-last);
    table.push([
      `${s.api} ${s.host} ${s.model}`,
      s.schedule_id ?? '—',
      s.region,
      s.metric,
      sparkline(values),
      values.slice(-3).map(formatValue).join(' '),
      flagText(s),
    ]);
  }
  const note = history.truncated
    ? `(only the newest ${history.points} points; narrow the filters or raise --limit)\n`
    : '';
  return `${table.toString()}\n${note}`;
}
