// Sends pending regression alerts to the configured webhook (docs/history.md#alerts). Called by
// the cron each minute: at most ALERTS_PER_TICK alerts, one POST each, claimed first so that two
// ticks never send the same alert; retried with backoff; `sent` on a 2xx, so sent once.
import {
  ALERTS_PER_TICK,
  alertMessage,
  CLAIM_LEASE_MS,
  nextAttemptMs,
  POST_TIMEOUT_MS,
} from '../../core/alerts/alert-delivery.ts';
import { alertWebhookUrl, settingsOf } from '../env.ts';
import { claimAlert, dueAlerts, settleAlert } from '../storage/alerts-store.ts';
import type { AlertRow } from '../storage/schema.ts';

export interface DeliveryTick {
  /** POSTs answered with a 2xx. */
  sent: number;
  /** Attempts that failed (each retried later, or given up). */
  failed: number;
  /** Alerts given up on in this tick. */
  gaveUp: number;
}

function factsOf(a: AlertRow) {
  return {
    id: a.id,
    run_id: a.runId,
    schedule_id: a.scheduleId,
    api: a.api,
    host: a.host,
    model: a.model,
    region: a.region,
    metric: a.metric,
    value: a.value,
    baseline: a.baseline,
    band_lo: a.bandLo,
    band_hi: a.bandHi,
    reason: a.reason,
    created_at_ms: a.createdAtMs,
  };
}

/** One POST; true on a 2xx. A network error or timeout is a failed attempt, not an exception. */
async function post(url: string, body: unknown): Promise<{ ok: boolean; status: number | null }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { ok: response.ok, status: response.status };
  } catch {
    return { ok: false, status: null };
  }
}

/** Delivers the due pending alerts once each. Logs name alerts and statuses, never the URL. */
export async function deliverAlerts(env: Env, nowMs: number): Promise<DeliveryTick> {
  const tick: DeliveryTick = { sent: 0, failed: 0, gaveUp: 0 };
  const due = await dueAlerts(env.DB, nowMs, ALERTS_PER_TICK);
  if (due.length === 0) return tick;
  const global = settingsOf(env).ALERT_WEBHOOK_SECRET;
  for (const alert of due) {
    if (!(await claimAlert(env.DB, alert.id, nowMs, CLAIM_LEASE_MS))) continue;
    // The schedule's own webhook when it named one, else the global setting.
    const webhook = alertWebhookUrl(env, alert.webhookSecret ?? global);
    const attempts = alert.attempts + 1;
    if (webhook === 'none') {
      // The setting was removed after the alert was stored: nothing to send it to.
      await settleAlert(env.DB, alert.id, {
        webhookState: 'none',
        attempts: alert.attempts,
        nextAttemptMs: nowMs,
      });
      continue;
    }
    const result =
      webhook === 'invalid'
        ? { ok: false, status: null }
        : await post(webhook.url, alertMessage(factsOf(alert)));
    if (result.ok) {
      await settleAlert(env.DB, alert.id, { webhookState: 'sent', attempts, nextAttemptMs: nowMs });
      tick.sent++;
      continue;
    }
    tick.failed++;
    const next = nextAttemptMs(attempts, nowMs);
    if (next === null) tick.gaveUp++;
    console.warn(
      `alerts: webhook delivery of alert ${alert.id} failed (attempt ${attempts}, ${
        webhook === 'invalid'
          ? `${alert.webhookSecret !== null ? `the secret ${alert.webhookSecret}` : 'the secret ALERT_WEBHOOK_SECRET names'} is missing or not an http(s) URL`
          : `status ${result.status ?? 'network error'}`
      })${next === null ? '; giving up' : ''}`,
    );
    await settleAlert(env.DB, alert.id, {
      webhookState: next === null ? 'failed' : 'pending',
      attempts,
      nextAttemptMs: next ?? nowMs,
    });
  }
  return tick;
}
