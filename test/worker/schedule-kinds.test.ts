import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProfileDetail } from '../../src/core/api/profile-api-schemas.ts';
import type { ScheduleDetail } from '../../src/core/api/schedule-api-schemas.ts';
import { evaluateAlerts } from '../../src/worker/alerts/evaluate-alerts.ts';
import worker from '../../src/worker/index.ts';
import { insertHistory } from '../../src/worker/storage/history-store.ts';
import { call, simRunConfig, waitForEnd } from './run-kit.ts';
import { searchStatus, simTemplate, waitForSearch } from './search-kit.ts';

// Schedules that start prefill profiles and capacity searches (alone or mixed in a suite with runs),
// through the Worker's own `scheduled()` export against local D1 and the loopback simulator.

const MINUTE_MS = 60_000;
const created: string[] = [];

const simTarget = simRunConfig().target;
/** A tiny profile: 2 lengths × 3 samples of 4 tokens. */
const profile = { target: simTarget, prompt_lengths: [64, 128], samples_per_length: 3, output_tokens: 4 };
/** A search whose probes are slow (50 ms a token, 400 requests): it is still running a tick later. */
const slowSearch = {
  name: 'scheduled-search',
  template: simTemplate({ decode_ms_per_token: 50 }),
  settings: {
    dimension: 'concurrency',
    slo: { type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: 1 },
    probe: { requests: 400 },
    load: { min: 2, max: 8 },
    cooldown_s: 0,
    warm_start: 'off',
  },
};

async function post(body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const res = await call('/v1/schedules', {
    method: 'POST',
    body: JSON.stringify({ name: 'kinds', cron: '* * * * *', ...body }),
  });
  const answer = (await res.json()) as ScheduleDetail;
  if (res.status === 201) created.push(answer.id);
  return { status: res.status, body: answer };
}

async function tick(scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function show(id: string): Promise<ScheduleDetail> {
  return (await (await call(`/v1/schedules/${id}`)).json()) as ScheduleDetail;
}

afterEach(async () => {
  for (const id of created.splice(0)) await call(`/v1/schedules/${id}`, { method: 'DELETE' });
});

describe('schedules of profiles and searches', () => {
  it('a profile schedule fires a profile under its deterministic id, fitted once its run ends', async () => {
    const { status, body } = await post({ start: { kind: 'profile', request: profile } });
    expect(status, JSON.stringify(body)).toBe(201);
    const schedule = body as ScheduleDetail;
    const due = schedule.next_due_ms as number;
    await Promise.all([tick(due), tick(due)]);
    const after = await show(schedule.id);
    const profileId = `prof-sched-${schedule.id}-${due}`;
    expect(after.starts.map((s) => [s.outcome, s.run_ids])).toEqual([['started', [profileId]]]);
    expect((await waitForEnd(`${profileId}-run`)).state).toBe('done');
    const fitted = await vi.waitFor(async () => {
      const p = (await (await call(`/v1/profiles/${profileId}`)).json()) as ProfileDetail;
      if (p.state !== 'done') throw new Error(`profile ${p.state}`);
      return p;
    });
    expect(fitted.profile?.samples).toHaveLength(6);
    // Its history is kept as a profile of this schedule.
    const history = (await (await call(`/v1/history?schedule=${schedule.id}&metric=ttft_p50_s`)).json()) as {
      series: { points: { run_id: string; kind: string }[] }[];
    };
    expect(history.series.flatMap((s) => s.points).map((p) => [p.run_id, p.kind])).toContainEqual([
      `${profileId}-run`,
      'profile',
    ]);
  });

  it('a suite mixing a run and a search starts both; the next due time is skipped while the search runs', {
    timeout: 60_000,
  }, async () => {
    const run = simRunConfig({ regions: [{ location: 'wnam', share: 1 }] });
    const { status, body } = await post({
      start: {
        kind: 'suite',
        starts: [
          { kind: 'run', config: run },
          { kind: 'search', request: slowSearch },
        ],
      },
    });
    expect(status, JSON.stringify(body)).toBe(201);
    const schedule = body as ScheduleDetail;
    const due = schedule.next_due_ms as number;
    await tick(due);
    const runId = `sched-${schedule.id}-${due}-0`;
    const searchId = `search-sched-${schedule.id}-${due}-1`;
    expect((await show(schedule.id)).starts[0]?.run_ids).toEqual([runId, searchId]);
    expect((await waitForEnd(runId)).state).toBe('done');
    await waitForSearch(searchId, (s) => s.state === 'running');
    await tick(due + MINUTE_MS);
    const skipped = (await show(schedule.id)).starts[0];
    expect(skipped).toMatchObject({ due_ms: due + MINUTE_MS, outcome: 'skipped_running', run_ids: [] });
    expect(skipped?.reason).toContain(searchId);
    expect((await call(`/v1/searches/${searchId}/cancel`, { method: 'POST' })).status).toBe(202);
    expect((await searchStatus(searchId)).state).toBe('cancelled');
    await tick(due + 2 * MINUTE_MS);
    const next = (await show(schedule.id)).starts[0];
    expect(next).toMatchObject({ due_ms: due + 2 * MINUTE_MS, outcome: 'started' });
    await call(`/v1/searches/${next?.run_ids[1]}/cancel`, { method: 'POST' });
    await waitForEnd(next?.run_ids[0] as string);
  });

  it('refuses a bad profile or search naming the field under start, storing nothing', async () => {
    const noSecret = { ...profile, target: { ...simTarget, api_key_secret: 'NO_SUCH_SECRET' } };
    const paths = (b: unknown) =>
      (b as { error: { issues: { path: (string | number)[] }[] } }).error.issues.map((i) => i.path.join('.'));
    const a = await post({ start: { kind: 'profile', request: noSecret } });
    expect(a.status).toBe(400);
    expect(paths(a.body)).toEqual(['start.request.target.api_key_secret']);
    const deadline = {
      ...slowSearch,
      settings: { ...slowSearch.settings, slo: { type: 'deadline', profile_id: 'prof-nope' } },
    };
    const b = await post({ start: { kind: 'suite', starts: [{ kind: 'search', request: deadline }] } });
    expect(b.status).toBe(400);
    expect(paths(b.body)).toEqual(['start.starts.0.request.settings.slo.profile_id']);
    const c = await post({
      start: { kind: 'suite', runs: [simRunConfig()], starts: [{ kind: 'profile', request: profile }] },
    });
    expect(c.status).toBe(400);
    expect(created).toEqual([]);
  });
});

describe('a schedule’s own alert webhook (alert_webhook_secret)', () => {
  const body = { start: { kind: 'run', config: simRunConfig() } };
  const issue = (b: unknown) =>
    (b as { error: { code: string; issues: { path: string[]; message: string }[] } }).error;

  it('an unknown secret name or one not holding a URL is a 400 naming the field; the URL is never echoed', async () => {
    const missing = await post({ ...body, alert_webhook_secret: 'NO_SUCH_WEBHOOK' });
    expect(missing.status).toBe(400);
    expect(issue(missing.body).code).toBe('unknown_secret');
    expect(issue(missing.body).issues.map((i) => i.path.join('.'))).toEqual(['alert_webhook_secret']);
    expect(issue(missing.body).issues[0]?.message).toContain('NO_SUCH_WEBHOOK');
    const notUrl = await post({ ...body, alert_webhook_secret: 'SIM_API_KEY' });
    expect(notUrl.status).toBe(400);
    expect(JSON.stringify(notUrl.body)).not.toContain(env.SIM_API_KEY as string);
    expect(created).toEqual([]);

    const ok = await post({ ...body, alert_webhook_secret: 'TEST_WEBHOOK_URL' });
    expect(ok.status).toBe(201);
    const schedule = ok.body as ScheduleDetail;
    expect(schedule.alert_webhook_secret).toBe('TEST_WEBHOOK_URL');
    expect(JSON.stringify(ok.body)).not.toContain(env.TEST_WEBHOOK_URL as string);

    const patch = (update: unknown) =>
      call(`/v1/schedules/${schedule.id}`, { method: 'PATCH', body: JSON.stringify(update) });
    const bad = await patch({ alert_webhook_secret: 'NO_SUCH_WEBHOOK' });
    expect(bad.status).toBe(400);
    expect(issue(await bad.json()).issues.map((i) => i.path.join('.'))).toEqual(['alert_webhook_secret']);
    expect((await show(schedule.id)).alert_webhook_secret).toBe('TEST_WEBHOOK_URL');
    const cleared = await patch({ alert_webhook_secret: null });
    expect(cleared.status).toBe(200);
    expect((await show(schedule.id)).alert_webhook_secret).toBeNull();
  });

  it('alerts of the schedule’s runs carry its secret name and are pending even without the global setting', async () => {
    const point = (i: number, value: number) => ({
      runId: `own-hook-${i}`,
      kind: 'run' as const,
      scheduleId: 'sch-own-hook',
      api: 'openai-chat',
      host: 'api.example.com',
      model: 'own-hook-model',
      region: 'weur',
      metric: 'ttft_p50_s' as const,
      value,
      lo: null,
      hi: null,
      atMs: Date.UTC(2026, 0, 1 + i),
    });
    const rows = [1, 1.01, 0.99, 1, 1.02, 0.98, 1, 1.5, 1.5].map((v, i) => point(i, v));
    await insertHistory(env.DB, rows);
    const secrets = new Map([['sch-own-hook', 'TEST_WEBHOOK_URL']]);
    const [alert] = await evaluateAlerts(env.DB, rows.slice(-1), false, Date.now(), secrets);
    expect(alert).toMatchObject({ webhookState: 'pending', webhookSecret: 'TEST_WEBHOOK_URL' });
    const listed = (await (await call('/v1/alerts?model=own-hook-model')).json()) as {
      alerts: { run_id: string; webhook_secret: string | null }[];
    };
    expect(listed.alerts.find((a) => a.run_id === 'own-hook-8')?.webhook_secret).toBe('TEST_WEBHOOK_URL');
    // The same series under a schedule without its own webhook: flagged, stored as `none`.
    const others = rows.map((r) => ({ ...r, runId: `${r.runId}-other`, scheduleId: 'sch-no-hook' }));
    await insertHistory(env.DB, others);
    const [none] = await evaluateAlerts(env.DB, others.slice(-1), false, Date.now(), secrets);
    expect(none).toMatchObject({ webhookState: 'none', webhookSecret: null });
  });
});
