import { deliverAlerts } from '../alerts/deliver-alerts.ts';
import { settingsOf } from '../env.ts';
import { runDueSchedules } from '../schedules/run-due-schedules.ts';
import { pruneRecords } from '../storage/prune-records.ts';

const DAY_MS = 86_400_000;

/**
 * The one cron trigger's work (every minute, wrangler.toml): start the schedules due at this tick,
 * send pending regression alerts to the webhook (bounded, with backoff), and prune raw records past
 * retention in bounded batches. Each part is best effort: one failing
 * must not keep the other from running, and the next tick retries.
 */
export async function cronTick(env: Env, scheduledTimeMs: number): Promise<void> {
  const results = await Promise.allSettled([
    runDueSchedules(env, scheduledTimeMs),
    deliverAlerts(env, scheduledTimeMs),
    pruneRecords(env.DB, scheduledTimeMs - settingsOf(env).RETENTION_DAYS * DAY_MS),
  ]);
  for (const r of results)
    if (r.status === 'rejected') console.error(`cron tick ${scheduledTimeMs}: ${String(r.reason)}`);
}
