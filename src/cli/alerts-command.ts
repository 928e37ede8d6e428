import type { HeadlineMetric } from '../core/history/headline-metrics.ts';
import { formatAlerts } from '../core/report/format-alerts.ts';
import { ApiClient } from './api-client.ts';
import { CliError } from './cli-error.ts';
import { type Output, writeStdout } from './run-command.ts';

export interface AlertsFlags {
  url?: string;
  run?: string;
  model?: string;
  region?: string;
  metric?: HeadlineMetric;
  /** Alerts created at or after this time: an ISO date/time or epoch milliseconds. */
  since?: string;
  limit: number;
  json?: boolean;
}

/** `--since`: epoch ms, or a date/time `Date` reads (`2026-12-01`, `2026-12-01T03:00Z`); else exit 2. */
export function sinceMs(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms) || ms < 0)
    throw new CliError(
      `--since: expected an ISO date/time or epoch milliseconds, got ${JSON.stringify(text)}`,
    );
  return ms;
}

/** `fluidbench alerts`: regression alerts newest first (GET /v1/alerts), as a table or JSON. */
export async function alertsCommand(flags: AlertsFlags, out: Output = writeStdout): Promise<void> {
  const from = flags.since !== undefined ? sinceMs(flags.since) : undefined;
  const client = await ApiClient.fromEnvironment(flags.url);
  const response = await client.getAlerts({
    run_id: flags.run,
    model: flags.model,
    region: flags.region,
    metric: flags.metric,
    from_ms: from,
    limit: flags.limit,
  });
  out(flags.json ? `${JSON.stringify(response, null, 2)}\n` : formatAlerts(response));
}
