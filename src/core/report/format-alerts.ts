import Table from 'cli-table3';
import type { Alert, AlertsResponse } from '../api/alerts-api-schemas.ts';
import { formatValue } from './format-history.ts';

// How the CLI prints regression alerts: `fluidbench alerts`, and under a run's results and status.

const REASONS: Record<Alert['reason'], string> = {
  outside_band_twice: '2 in a row outside band',
  interval_excludes_baseline: 'interval excludes baseline',
};

/** One row per alert: when, run, target, region, metric, value against baseline and band, delivery. */
export function alertsTable(alerts: readonly Alert[]): string {
  const table = new Table({
    head: ['created', 'run', 'target', 'region', 'metric', 'value', 'baseline [band]', 'why', 'webhook'],
    style: { head: [], border: [], compact: true },
  });
  for (const a of alerts)
    table.push([
      new Date(a.created_at_ms).toISOString().slice(0, 16).replace('T', ' '),
      a.run_id,
      `${a.api} ${a.host} ${a.model}`,
      a.region,
      a.metric,
      formatValue(a.value),
      `${formatValue(a.baseline)} [${formatValue(a.band_lo)}, ${formatValue(a.band_hi)}]`,
      REASONS[a.reason],
      a.webhook_state === 'pending' || a.webhook_state === 'failed'
        ? `${a.webhook_state} (${a.attempts} attempt${a.attempts === 1 ? '' : 's'})`
        : a.webhook_state,
    ]);
  return table.toString();
}

/** `fluidbench alerts`: the table, whether a webhook is set up, and a note when cut off. */
export function formatAlerts(response: AlertsResponse): string {
  const webhook =
    response.webhook === 'configured'
      ? 'webhook: configured'
      : response.webhook === 'misconfigured'
        ? 'webhook: MISCONFIGURED (the secret ALERT_WEBHOOK_SECRET names is missing or not an http(s) URL)'
        : 'webhook: none (alerts are stored, not sent; set ALERT_WEBHOOK_SECRET)';
  if (response.alerts.length === 0) return `no alerts match\n${webhook}\n`;
  const note = response.truncated ? '(only the newest; narrow the filters or raise --limit)\n' : '';
  return `${alertsTable(response.alerts)}\n${note}${webhook}\n`;
}

/** The lines a run's results or status end with when the run raised alerts (else nothing). */
export function runAlertsSection(alerts: readonly Alert[] | undefined): string {
  if (!alerts || alerts.length === 0) return '';
  return `\n⚠ ${alerts.length} regression alert${alerts.length === 1 ? '' : 's'} (docs/history.md#alerts):\n${alertsTable(alerts)}\n`;
}
