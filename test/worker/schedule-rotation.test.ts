import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { ScheduleDetail } from '../../src/core/api/schedule-api-schemas.ts';
import {
  DUE_STARTS_PER_TICK,
  MAX_SCHEDULES,
  runDueSchedules,
} from '../../src/worker/schedules/run-due-schedules.ts';
import { call, simRunConfig } from './run-kit.ts';

// More due schedules than one tick starts: the rest start at the next tick, oldest first; and the
// cap on stored schedules, with every one of them looked at per tick.

const MINUTE_MS = 60_000;
const TOTAL = DUE_STARTS_PER_TICK + 10;

async function show(id: string): Promise<ScheduleDetail> {
  return (await (await call(`/v1/schedules/${id}`)).json()) as ScheduleDetail;
}

describe('more due schedules than one tick starts', () => {
  it(`starts ${DUE_STARTS_PER_TICK} per tick, oldest first, and the rest at the next tick`, {
    timeout: 60_000,
  }, async () => {
    const config = simRunConfig();
    (config.target as Record<string, unknown>).api_key_secret = 'SIM_API_KEY';
    const ids: string[] = [];
    let due = 0;
    for (let i = 0; i < TOTAL; i++) {
      const res = await call('/v1/schedules', {
        method: 'POST',
        body: JSON.stringify({ name: `s${i}`, cron: '0 3 * * *', start: { kind: 'run', config } }),
      });
      const schedule = (await res.json()) as ScheduleDetail;
      expect(res.status, JSON.stringify(schedule)).toBe(201);
      ids.push(schedule.id);
      due = schedule.next_due_ms as number;
    }
    // The key's secret gone at start time: each start is refused at once and recorded as failed, so
    // this exercises the cron's bookkeeping without running 60 benchmarks.
    const withoutKey = { ...env, SIM_API_KEY: undefined } as unknown as Env;
    const first = await runDueSchedules(withoutKey, due);
    expect(first).toEqual({
      examined: TOTAL,
      started: 0,
      skipped: 0,
      failed: DUE_STARTS_PER_TICK,
      deferred: 10,
    });
    const handled = async () =>
      (await Promise.all(ids.map(async (id) => (await show(id)).starts.length > 0)))
        .map((h, i) => (h ? i : -1))
        .filter((i) => i >= 0);
    // The oldest 50 schedules first.
    expect(await handled()).toEqual(Array.from({ length: DUE_STARTS_PER_TICK }, (_, i) => i));
    const second = await runDueSchedules(withoutKey, due + MINUTE_MS);
    expect(second).toMatchObject({ failed: 10, deferred: 0 });
    expect(await handled()).toHaveLength(TOTAL);
    // The late ones kept their due time (not coalesced: no newer one has come).
    const late = await show(ids.at(-1)!);
    expect(late.starts[0]).toMatchObject({ due_ms: due, coalesced: 0, outcome: 'failed' });
    expect(late.starts[0]?.reason).toContain('SIM_API_KEY');
    expect(await runDueSchedules(withoutKey, due + 2 * MINUTE_MS)).toMatchObject({ failed: 0, deferred: 0 });
    for (const id of ids) await call(`/v1/schedules/${id}`, { method: 'DELETE' });
  });

  it(`refuses schedule ${MAX_SCHEDULES + 1}; a tick looks at all ${MAX_SCHEDULES}`, {
    timeout: 60_000,
  }, async () => {
    // Stored directly (one statement), enabled, their last due time handled just now: each tick has
    // to ask the cron parser for each one's latest due time to see that none is due.
    // Mid-minute, with the last due time handled a second before: no cron time falls in between.
    const now = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + 30_000;
    await env.DB.prepare(
      `INSERT INTO schedules (id, created_at_ms, name, cron, timezone, enabled, start_json, since_ms, last_due_ms)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       SELECT 'sch-bulk-' || i, i, 'bulk', (i % 60) || ' 3 * * *', 'Europe/Berlin', 1, '{}', 0, ? FROM n`,
    )
      .bind(MAX_SCHEDULES, now - 1_000)
      .run();
    const res = await call('/v1/schedules', {
      method: 'POST',
      body: JSON.stringify({
        name: 'one too many',
        cron: '0 3 * * *',
        start: { kind: 'run', config: simRunConfig() },
      }),
    });
    expect(res.status).toBe(409);
    const t0 = performance.now();
    const tick = await runDueSchedules(env, now);
    const elapsedMs = performance.now() - t0;
    expect(tick).toEqual({ examined: MAX_SCHEDULES, started: 0, skipped: 0, failed: 0, deferred: 0 });
    console.log(`a tick over ${MAX_SCHEDULES} enabled schedules: ${elapsedMs.toFixed(0)} ms`);
    await env.DB.prepare(`DELETE FROM schedules WHERE id LIKE 'sch-bulk-%'`).run();
  });
});
