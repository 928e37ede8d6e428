// Writing a finished run's or search's headline points to the history table (docs/history.md).
// Then the regression rule over the affected series, storing alerts (src/worker/alerts/).
// Best effort: a failure is logged and never changes how the run or search ended.
import type { RunResults } from '../../core/api/run-results-schema.ts';
import type { HeadlinePoint, HistoryKind } from '../../core/history/headline-metrics.ts';
import { capacityPoints, headlinePoints } from '../../core/history/headline-points.ts';
import { scheduleIdOfRun } from '../../core/schedule/schedule.ts';
import type { SearchResult } from '../../core/search/search-protocol.ts';
import type { SearchSettings } from '../../core/search/search-settings.ts';
import { evaluateAlerts } from '../alerts/evaluate-alerts.ts';
import { settingsOf } from '../env.ts';
import { insertHistory } from '../storage/history-store.ts';
import { scheduleWebhookSecrets } from '../storage/schedules-store.ts';
import type { HistoryRow } from '../storage/schema.ts';

interface Origin {
  id: string;
  kind: HistoryKind;
  target: { api: string; base_url: string; model: string };
  atMs: number;
}

/** The host of a base URL: the series key, without path, query or any credentials. */
function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl.slice(0, 200);
  }
}

function rowsOf(origin: Origin, points: readonly HeadlinePoint[]): HistoryRow[] {
  const common = {
    runId: origin.id,
    kind: origin.kind,
    scheduleId: scheduleIdOfRun(origin.id),
    api: origin.target.api,
    host: hostOf(origin.target.base_url),
    model: origin.target.model,
    atMs: origin.atMs,
  };
  return points.flatMap((p) =>
    p.value === null
      ? []
      : [
          {
            ...common,
            region: p.region,
            metric: p.metric,
            value: p.value,
            lo: p.lo ?? null,
            hi: p.hi ?? null,
          },
        ],
  );
}

/** Stores history points, then judges their series and stores any alerts; never throws. */
export async function recordHistoryRows(env: Env, what: string, rows: HistoryRow[]): Promise<void> {
  try {
    await insertHistory(env.DB, rows);
  } catch (error) {
    console.error(`history: could not store the points of ${what}`, error);
    return;
  }
  try {
    const webhook = settingsOf(env).ALERT_WEBHOOK_SECRET !== undefined;
    const scheduleIds = [...new Set(rows.flatMap((r) => (r.scheduleId === null ? [] : [r.scheduleId])))];
    const secrets = await scheduleWebhookSecrets(env.DB, scheduleIds);
    await evaluateAlerts(env.DB, rows, webhook, Date.now(), secrets);
  } catch (error) {
    console.error(`alerts: could not judge the points of ${what}`, error);
  }
}

/** Stores a `done` run's headline points (a prefill profile's run as kind `profile`). */
export async function recordRunHistory(env: Env, results: RunResults): Promise<void> {
  if (results.state !== 'done') return;
  const origin: Origin = {
    id: results.id,
    kind: results.id.startsWith('prof-') ? 'profile' : 'run',
    target: results.target,
    atMs: results.finished_at_ms ?? Date.now(),
  };
  await recordHistoryRows(env, results.id, rowsOf(origin, headlinePoints(results)));
}

/** Stores a `done` search's capacity points. */
export async function recordSearchHistory(
  env: Env,
  search: { searchId: string; template: { target: Origin['target'] }; settings: SearchSettings },
  result: SearchResult,
  atMs: number,
): Promise<void> {
  const origin: Origin = { id: search.searchId, kind: 'search', target: search.template.target, atMs };
  await recordHistoryRows(
    env,
    search.searchId,
    rowsOf(origin, capacityPoints(result, search.settings.dimension)),
  );
}
