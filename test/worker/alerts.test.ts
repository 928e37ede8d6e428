import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { FIRST_RETRY_MS, MAX_ATTEMPTS } from '../../src/core/alerts/alert-delivery.ts';
import { type AlertsResponse, alertsResponseSchema } from '../../src/core/api/alerts-api-schemas.ts';
import { runResultsSchema } from '../../src/core/api/run-results-schema.ts';
import { deliverAlerts } from '../../src/worker/alerts/deliver-alerts.ts';
import { evaluateAlerts } from '../../src/worker/alerts/evaluate-alerts.ts';
import { recordHistoryRows } from '../../src/worker/history/record-history.ts';
import { insertHistory } from '../../src/worker/storage/history-store.ts';
import type { HistoryRow } from '../../src/worker/storage/schema.ts';
import { call, createRun, simRunConfig, waitForEnd } from './run-kit.ts';

// Regression alerts: judged when history points are written, listed at /v1/alerts, and delivered
// to the loopback webhook receiver of global-setup.ts (fails its first two POSTs, then accepts).

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

/** A deterministic noise in ±2% from a seed. */
const noise = (i: number) => ((((i * 7919) % 101) - 50) / 50) * 0.02;

function point(model: string, i: number, value: number): HistoryRow {
  return {
    runId: `${model}-run-${i}`,
    kind: 'run',
    scheduleId: 'nightly',
    api: 'openai-chat',
    host: 'api.example.com',
    model,
    region: 'weur',
    metric: 'ttft_p50_s',
    value,
    lo: null,
    hi: null,
    atMs: T0 + i * DAY_MS,
  };
}

/** Writes each night's point through the same path finished runs use, in time order. */
async function nights(model: string, values: readonly number[]): Promise<void> {
  for (const [i, value] of values.entries())
    await recordHistoryRows(env, `night ${i}`, [point(model, i, value)]);
}

async function alerts(query: string): Promise<AlertsResponse> {
  const res = await call(`/v1/alerts${query}`);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return alertsResponseSchema.parse(body);
}

const webhookBase = new URL(env.TEST_WEBHOOK_URL).origin;
type Received = { status: number; headers: Record<string, string>; body: string };
const received = async (): Promise<Received[]> => (await fetch(`${webhookBase}/received`)).json();

describe('regression alerts', () => {
  const baseline = Array.from({ length: 8 }, (_, i) => 1 + noise(i));

  it('stays quiet on noise within the band', async () => {
    await nights('quiet-model', [...baseline, ...Array.from({ length: 8 }, (_, i) => 1 + noise(i + 8))]);
    expect((await alerts('?model=quiet-model')).alerts).toEqual([]);
  });

  it('stores one alert for a sustained 20% TTFT rise, once', async () => {
    await nights('rising-model', [...baseline, 1.2, 1.2, 1.21]);
    const { alerts: found } = await alerts('?model=rising-model');
    // Flagged on the second night outside the band, once per excursion.
    expect(found).toHaveLength(1);
    const [alert] = found;
    expect(alert).toMatchObject({
      run_id: 'rising-model-run-9',
      schedule_id: 'nightly',
      host: 'api.example.com',
      region: 'weur',
      metric: 'ttft_p50_s',
      value: 1.2,
      reason: 'outside_band_twice',
      webhook_state: 'pending',
      attempts: 0,
    });
    expect(alert!.baseline).toBeGreaterThan(0.98);
    expect(alert!.baseline).toBeLessThan(1.02);
    expect(alert!.band_hi).toBeLessThan(1.2);
    expect(alert!.band_hi - alert!.baseline).toBeCloseTo(alert!.baseline - alert!.band_lo, 12);
    // Judging the same point again (a retried finalize) stores nothing new.
    await evaluateAlerts(env.DB, [point('rising-model', 9, 1.2)], true, Date.now());
    expect((await alerts('?model=rising-model')).alerts).toHaveLength(1);
  });

  it('lists with filters, and refuses a bad filter naming it', async () => {
    expect((await alerts('?model=rising-model&metric=tbt_p99_s')).alerts).toEqual([]);
    expect((await alerts('?model=rising-model&region=wnam')).alerts).toEqual([]);
    expect((await alerts(`?model=rising-model&from_ms=${Date.now() + 60_000}`)).alerts).toEqual([]);
    const byRun = await alerts('?run_id=rising-model-run-9');
    expect(byRun.alerts).toHaveLength(1);
    expect(byRun.webhook).toBe('configured');
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['metric=latency', 'metric'],
      ['from_ms=-1', 'from_ms'],
      [`model=${'m'.repeat(201)}`, 'model'],
    ] as const) {
      const res = await call(`/v1/alerts?${query}`);
      const body = (await res.json()) as { error: { issues: { path: unknown[] }[] } };
      expect(res.status, query).toBe(400);
      expect(body.error.issues.map((i) => i.path)).toEqual([[field]]);
    }
  });

  it('delivers to the webhook once, after two failures, without any secret', async () => {
    const t0 = Date.now() + 1_000;
    expect(await deliverAlerts(env, t0)).toEqual({ sent: 0, failed: 1, gaveUp: 0 });
    // Not due again before the backoff has passed.
    expect(await deliverAlerts(env, t0 + FIRST_RETRY_MS - 1)).toEqual({ sent: 0, failed: 0, gaveUp: 0 });
    const t1 = t0 + FIRST_RETRY_MS;
    expect(await deliverAlerts(env, t1)).toEqual({ sent: 0, failed: 1, gaveUp: 0 });
    const t2 = t1 + 2 * FIRST_RETRY_MS;
    expect(await deliverAlerts(env, t2)).toEqual({ sent: 1, failed: 0, gaveUp: 0 });
    // Sent: a later tick sends nothing.
    expect(await deliverAlerts(env, t2 + DAY_MS)).toEqual({ sent: 0, failed: 0, gaveUp: 0 });

    const posts = await received();
    expect(posts.map((p) => p.status)).toEqual([503, 503, 204]);
    const [alert] = (await alerts('?model=rising-model')).alerts;
    expect(alert).toMatchObject({ webhook_state: 'sent', attempts: 3 });
    const body = JSON.parse(posts[2]!.body) as Record<string, unknown>;
    expect(posts[2]!.headers['content-type']).toBe('application/json');
    expect(body).toMatchObject({
      alert_id: alert!.id,
      run_id: 'rising-model-run-9',
      model: 'rising-model',
      host: 'api.example.com',
      region: 'weur',
      metric: 'ttft_p50_s',
      value: 1.2,
      baseline: alert!.baseline,
      band: { lo: alert!.band_lo, hi: alert!.band_hi },
      reason: 'outside_band_twice',
    });
    expect(body.text).toBe(body.content);
    expect(body.text).toContain('ttft_p50_s');
    expect(body.text).toContain('rising-model');
    for (const secret of [env.TEST_WEBHOOK_URL, webhookBase, env.CONTROL_TOKEN, env.SIM_API_KEY])
      for (const p of posts) expect(p.body).not.toContain(secret);
    const rows = JSON.stringify(await env.DB.prepare('SELECT * FROM alerts').all());
    expect(rows).not.toContain(webhookBase);
  });

  it('sends a due alert once when two ticks run at the same time', async () => {
    await fetch(`${webhookBase}/reset`, { method: 'POST' });
    await nights('racing-model', [...baseline, 1.3, 1.3]);
    const t = Date.now() + 1_000;
    const ticks = await Promise.all([deliverAlerts(env, t), deliverAlerts(env, t)]);
    expect(ticks.reduce((n, tick) => n + tick.failed + tick.sent, 0)).toBe(1);
    expect(await received()).toHaveLength(1);
  });

  it('gives up after six failed attempts when the named secret is not a URL', async () => {
    await nights('doomed-model', [...baseline, 1.3, 1.3]);
    const broken = { ...env, TEST_WEBHOOK_URL: 'not a url' } as Env;
    const before = (await received()).length;
    let t = Date.now() + 1_000;
    for (let i = 0; i < MAX_ATTEMPTS + 1; i++) {
      await deliverAlerts(broken, t);
      t += 20 * FIRST_RETRY_MS;
    }
    const [doomed] = (await alerts('?model=doomed-model')).alerts;
    expect(doomed).toMatchObject({ webhook_state: 'failed', attempts: MAX_ATTEMPTS });
    // Nothing was POSTed anywhere.
    expect((await received()).length).toBe(before);
  });

  it('stores alerts as `none` when no webhook is configured', async () => {
    await nights('unsent-model', [...baseline, 1.3]);
    // The night after, judged as when ALERT_WEBHOOK_SECRET is unset.
    const next = point('unsent-model', 9, 1.3);
    await insertHistory(env.DB, [next]);
    const [stored] = await evaluateAlerts(env.DB, [next], false, Date.now());
    expect(stored).toMatchObject({ webhookState: 'none', runId: 'unsent-model-run-9' });
    expect((await alerts('?model=unsent-model')).alerts.map((a) => a.webhook_state)).toEqual(['none']);
  });

  it('come from a real run through the coordinator, found by its id', async () => {
    // The simulator's series (no schedule, whole run) with a baseline far below its ~5 ms TTFT and
    // one night already outside: the run's own point makes the second in a row.
    const host = new URL(env.TEST_TARGET_URL).host;
    const before = Date.now() - 10 * DAY_MS;
    const past = [0.0001, 0.0001, 0.0001, 0.0001, 0.0001, 0.0001, 0.0001, 0.0001, 1].map((value, i) => ({
      ...point('fluidbench-sim', i, value),
      runId: `past-${i}`,
      scheduleId: null,
      host,
      region: 'all',
      atMs: before + i * DAY_MS,
    }));
    await insertHistory(env.DB, past);
    const id = await createRun(simRunConfig({ name: 'alerting run' }));
    expect((await waitForEnd(id)).state).toBe('done');
    const found = (await alerts(`?run_id=${id}`)).alerts;
    expect(found.map((a) => [a.region, a.metric, a.reason])).toEqual([
      ['all', 'ttft_p50_s', 'outside_band_twice'],
    ]);
    expect(found[0]).toMatchObject({
      host,
      model: 'fluidbench-sim',
      schedule_id: null,
      webhook_state: 'pending',
    });
    // Shown on the run: its results carry its alerts (and still match their schema).
    const results = runResultsSchema.parse(await (await call(`/v1/runs/${id}/results`)).json());
    expect(results.alerts).toEqual(found);
    expect(results.summary.requests).toBeGreaterThan(0);
  });
});
