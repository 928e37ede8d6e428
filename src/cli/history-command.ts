import type { HeadlineMetric } from '../core/history/headline-metrics.ts';
import { formatHistory } from '../core/report/format-history.ts';
import { ApiClient } from './api-client.ts';
import { type Output, writeStdout } from './run-command.ts';

export interface HistoryFlags {
  url?: string;
  model?: string;
  region?: string;
  metric?: HeadlineMetric;
  schedule?: string;
  /** Newest points fetched over every series (bounded by the option parser as the API is). */
  limit: number;
  /** Values per sparkline. */
  last: number;
  json?: boolean;
}

/** `fluidbench history`: per target, region and metric the newest values, a sparkline and any flag. */
export async function historyCommand(flags: HistoryFlags, out: Output = writeStdout): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  const history = await client.getHistory({
    model: flags.model,
    region: flags.region,
    metric: flags.metric,
    schedule: flags.schedule,
    limit: flags.limit,
  });
  out(flags.json ? `${JSON.stringify(history, null, 2)}\n` : formatHistory(history, flags.last));
}
