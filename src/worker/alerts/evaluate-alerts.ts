// After a run's history points are written: the regression rule over each affected series, and an
// alert stored for each new flag (docs/history.md#alerts). Best effort, like the history write.
import { HEADLINE_METRICS } from '../../core/history/headline-metrics.ts';
import { BASELINE_POINTS, regressionFlags } from '../../core/history/regression-rule.ts';
import { insertAlerts } from '../storage/alerts-store.ts';
import { queryHistoryBatch } from '../storage/history-store.ts';
import type { AlertRow, HistoryRow } from '../storage/schema.ts';

/**
 * Points read per series: the new point, the one before it (whose own judgement makes a streak of
 * two), and the baseline window of that earlier point.
 */
const SERIES_POINTS = BASELINE_POINTS + 2;
/** Series judged per run at most (a run stores at most (regions + 1) × 10 points). */
const MAX_SERIES = 64;

/**
 * Judges the series of the points just written (same schedule, api, host, model, region, metric,
 * up to each point's time; one D1 batch) and stores an alert for each point the rule flags. `webhook`: whether
 * the global webhook is configured; `scheduleSecrets`: per schedule id, the secret name its own
 * webhook is in. An alert with a webhook starts `pending`, else it is stored as `none`.
 */
export async function evaluateAlerts(
  d1: D1Database,
  written: readonly HistoryRow[],
  webhook: boolean,
  nowMs: number,
  scheduleSecrets: ReadonlyMap<string, string> = new Map(),
): Promise<AlertRow[]> {
  const points = written.slice(0, MAX_SERIES);
  const answers = await queryHistoryBatch(
    d1,
    points.map((point) => ({
      scheduleId: point.scheduleId,
      api: point.api,
      host: point.host,
      model: point.model,
      region: point.region,
      metric: point.metric,
      toMs: point.atMs,
      limit: SERIES_POINTS,
    })),
  );
  const found: AlertRow[] = [];
  for (const [i, point] of points.entries()) {
    const series = answers[i] ?? [];
    const last = series.length - 1;
    if (series[last]?.runId !== point.runId) continue;
    const flag = regressionFlags(series, HEADLINE_METRICS[point.metric]).find((f) => f.index === last);
    if (!flag) continue;
    const webhookSecret = point.scheduleId === null ? null : (scheduleSecrets.get(point.scheduleId) ?? null);
    found.push({
      id: crypto.randomUUID(),
      createdAtMs: nowMs,
      runId: point.runId,
      scheduleId: point.scheduleId,
      api: point.api,
      host: point.host,
      model: point.model,
      region: point.region,
      metric: point.metric,
      value: flag.value,
      baseline: flag.baseline,
      bandLo: flag.baseline - flag.band,
      bandHi: flag.baseline + flag.band,
      reason: flag.reason,
      webhookState: webhook || webhookSecret !== null ? 'pending' : 'none',
      attempts: 0,
      nextAttemptMs: nowMs,
      webhookSecret,
    });
  }
  await insertAlerts(d1, found);
  return found;
}
