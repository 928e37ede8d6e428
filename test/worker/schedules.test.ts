import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduleDetail } from '../../src/core/api/schedule-api-schemas.ts';
import worker from '../../src/worker/index.ts';
import { call, simRunConfig, status, waitForEnd, waitForStatus } from './run-kit.ts';

// The scheduled handler inside workerd: the Worker's own `scheduled()` export, called with the tick's
// scheduledTime, against local D1 and real runs on the loopback simulator.

const MINUTE_MS = 60_000;
const created: string[] = [];

/** A tiny run: one region, two requests. */
const tinyRun = (overrides: Record<string, unknown> = {}) =>
  simRunConfig({
    regions: [{ location: 'wnam', share: 1 }],
    workload: {
      arrivals: { type: 'constant', qps: 40 },
      lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 },
      requests: 2,
      seed: 3,
    },
    ...overrides,
  });

async function createSchedule(body: Record<string, unknown>): Promise<ScheduleDetail> {
  const res = await call('/v1/schedules', {
    method: 'POST',
    body: JSON.stringify({
      name: 'nightly',
      cron: '* * * * *',
      start: { kind: 'run', config: tinyRun() },
      ...body,
    }),
  });
  const schedule = (await res.json()) as ScheduleDetail;
  expect(res.status, JSON.stringify(schedule)).toBe(201);
  created.push(schedule.id);
  return schedule;
}

/** One cron tick through the Worker's own `scheduled` export, waiting for what it started. */
async function tick(scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function show(id: string): Promise<ScheduleDetail> {
  return (await (await call(`/v1/schedules/${id}`)).json()) as ScheduleDetail;
}

afterEach(async () => {
  // Other tests' ticks see every enabled schedule: leave none behind.
  for (const id of created.splice(0)) await call(`/v1/schedules/${id}`, { method: 'DELETE' });
});

describe('the scheduled handler', () => {
  it('a due schedule fires one run under its deterministic id, which completes', async () => {
    const schedule = await createSchedule({ cron: '0 3 * * *', timezone: 'Europe/Berlin' });
    const due = schedule.next_due_ms as number;
    await tick(due - MINUTE_MS);
    expect((await show(schedule.id)).starts).toEqual([]);
    await tick(due);
    const after = await show(schedule.id);
    expect(after.starts).toHaveLength(1);
    expect(after.starts[0]).toMatchObject({ due_ms: due, outcome: 'started', coalesced: 0, trigger: 'cron' });
    expect(after.starts[0]?.run_ids).toEqual([`sched-${schedule.id}-${due}`]);
    expect(after.last_due_ms).toBe(due);
    const end = await waitForEnd(after.starts[0]?.run_ids[0] as string);
    expect(end.state).toBe('done');
  });

  it('a double tick (the same scheduled time twice, at once) starts one run', async () => {
    const schedule = await createSchedule({});
    const due = schedule.next_due_ms as number;
    await Promise.all([tick(due), tick(due)]);
    await tick(due);
    const after = await show(schedule.id);
    expect(after.starts.map((s) => [s.due_ms, s.outcome])).toEqual([[due, 'started']]);
    await waitForEnd(after.starts[0]?.run_ids[0] as string);
  });

  it('a late tick after downtime starts once and records how many due times it coalesced', async () => {
    const schedule = await createSchedule({});
    const first = schedule.next_due_ms as number;
    await tick(first + 5 * MINUTE_MS + 20_000);
    const after = await show(schedule.id);
    expect(after.starts).toHaveLength(1);
    expect(after.starts[0]).toMatchObject({
      due_ms: first + 5 * MINUTE_MS,
      outcome: 'started',
      coalesced: 5,
    });
    await waitForEnd(after.starts[0]?.run_ids[0] as string);
  });

  it('a paused schedule does not fire; resumed, it owes nothing from the paused time', async () => {
    const schedule = await createSchedule({ enabled: false });
    expect(schedule.next_due_ms).toBeNull();
    const due = Date.now() + MINUTE_MS;
    await tick(due);
    expect((await show(schedule.id)).starts).toEqual([]);
    const res = await call(`/v1/schedules/${schedule.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: true }),
    });
    expect(res.status).toBe(200);
    const resumed = (await res.json()) as ScheduleDetail;
    expect(resumed.enabled).toBe(true);
    expect(resumed.next_due_ms).toBeTypeOf('number');
  });

  it('skips (and records) a due time while the previous run of the schedule is still running', async () => {
    // 12 requests at 2 per second: about 6 s, far longer than the next tick below.
    const slow = tinyRun({
      workload: {
        arrivals: { type: 'constant', qps: 2 },
        lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 },
        requests: 12,
        seed: 3,
      },
    });
    const schedule = await createSchedule({ start: { kind: 'run', config: slow } });
    const due = schedule.next_due_ms as number;
    await tick(due);
    const runId = `sched-${schedule.id}-${due}`;
    await waitForStatus(runId, (s) => s.state === 'running');
    await tick(due + MINUTE_MS);
    const after = await show(schedule.id);
    expect(after.starts.map((s) => [s.due_ms, s.outcome, s.run_ids])).toEqual([
      [due + MINUTE_MS, 'skipped_running', []],
      [due, 'started', [runId]],
    ]);
    expect(after.starts[0]?.reason).toContain(runId);
    expect(after.last_due_ms).toBe(due + MINUTE_MS);
    await call(`/v1/runs/${runId}/cancel`, { method: 'POST' });
    expect((await waitForEnd(runId)).state).toBe('cancelled');
    // The cancel ended it early (measured: about 1 s after the cancel, 3 of its 12 requests done),
    // not after its ~6 s: a scheduled run stops like any other.
    expect((await status(runId)).regions.wnam?.done ?? 0).toBeLessThan(12);
    // Once it has ended, the next due time starts again.
    await tick(due + 2 * MINUTE_MS);
    const next = (await show(schedule.id)).starts[0];
    expect(next).toMatchObject({ due_ms: due + 2 * MINUTE_MS, outcome: 'started' });
    await waitForEnd(next?.run_ids[0] as string);
  });

  it('trigger starts now, even when paused', async () => {
    const schedule = await createSchedule({ enabled: false });
    const res = await call(`/v1/schedules/${schedule.id}/trigger`, { method: 'POST' });
    const record = (await res.json()) as { run_ids: string[]; outcome: string; trigger: string };
    expect(res.status, JSON.stringify(record)).toBe(201);
    expect(record).toMatchObject({ outcome: 'started', trigger: 'manual' });
    const [runId] = record.run_ids as [string];
    expect((await status(runId)).id).toBe(runId);
    await waitForEnd(runId);
  });

  it('a suite starts all its runs at one due time, each under its own deterministic id', async () => {
    const schedule = await createSchedule({
      start: { kind: 'suite', runs: [tinyRun({ name: 'a' }), tinyRun({ name: 'b' })] },
    });
    const due = schedule.next_due_ms as number;
    await Promise.all([tick(due), tick(due)]);
    const after = await show(schedule.id);
    expect(after.starts).toHaveLength(1);
    expect(after.starts[0]?.run_ids).toEqual([
      `sched-${schedule.id}-${due}-0`,
      `sched-${schedule.id}-${due}-1`,
    ]);
    const ends = await Promise.all((after.starts[0]?.run_ids ?? []).map((id) => waitForEnd(id)));
    expect(ends.map((e) => [e.name, e.state])).toEqual([
      ['a', 'done'],
      ['b', 'done'],
    ]);
  });
});

describe('bad schedules are refused before anything is stored', () => {
  async function refused(body: Record<string, unknown>): Promise<string[]> {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM schedules').first<{ n: number }>();
    const res = await call('/v1/schedules', {
      method: 'POST',
      body: JSON.stringify({
        name: 'bad',
        cron: '0 3 * * *',
        start: { kind: 'run', config: tinyRun() },
        ...body,
      }),
    });
    expect(res.status).toBe(400);
    const after = await env.DB.prepare('SELECT COUNT(*) AS n FROM schedules').first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
    const error = ((await res.json()) as { error: { issues: { path: (string | number)[] }[] } }).error;
    return [...new Set(error.issues.map((i) => i.path.join('.')))];
  }

  it('names `cron`, `timezone`, or the run config field', async () => {
    expect(await refused({ cron: '61 * * * *' })).toEqual(['cron']);
    expect(await refused({ cron: '0 3 * *' })).toEqual(['cron']);
    expect(await refused({ timezone: 'Mars/Olympus_Mons' })).toEqual(['timezone']);
    const noSecret = tinyRun();
    (noSecret.target as Record<string, unknown>).api_key_secret = 'NO_SUCH_SECRET';
    expect(await refused({ start: { kind: 'run', config: noSecret } })).toEqual([
      'start.config.target.api_key_secret',
    ]);
    expect(await refused({ start: { kind: 'suite', runs: [tinyRun(), noSecret] } })).toEqual([
      'start.runs.1.target.api_key_secret',
    ]);
    const tooMany = Array.from({ length: 11 }, () => tinyRun());
    expect(await refused({ start: { kind: 'suite', runs: tooMany } })).toEqual(['start.runs']);
  });

  it('a bad update names the field and changes nothing', async () => {
    const schedule = await createSchedule({});
    const res = await call(`/v1/schedules/${schedule.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ timezone: 'Nowhere/Land' }),
    });
    expect(res.status).toBe(400);
    expect((await show(schedule.id)).timezone).toBe('UTC');
  });
});
