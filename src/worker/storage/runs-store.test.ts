// Run rows through a real local D1 in workerd: creation is idempotent, listing pages newest first
// without gaps or repeats, and state transitions happen only from the allowed states.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { RUN_STATES, type RunState } from '../../core/run/run-state.ts';
import { InvalidCursorError } from './newest-first.ts';
import { createRun, getRun, listRuns, transitionRun, updateRun } from './runs-store.ts';
import type { RunRow } from './schema.ts';

const config = JSON.stringify({ target: { url: 'https://example.test/v1/chat/completions' }, rate: 2 });

describe('runs store', () => {
  it('creates a run once and reads it back typed', async () => {
    expect(
      await createRun(env.DB, {
        id: 'r-create',
        createdAtMs: 1_795_000_000_123,
        configJson: config,
        state: 'queued',
        name: 'nightly',
      }),
    ).toBe(true);
    // A retried create leaves the first row untouched.
    expect(
      await createRun(env.DB, { id: 'r-create', createdAtMs: 5, configJson: '{}', state: 'queued' }),
    ).toBe(false);
    const expected: RunRow = {
      id: 'r-create',
      createdAtMs: 1_795_000_000_123,
      name: 'nightly',
      state: 'queued',
      configJson: config,
      planJson: null,
      resultsJson: null,
      reason: null,
      startedAtMs: null,
      finishedAtMs: null,
    };
    expect(await getRun(env.DB, 'r-create')).toStrictEqual(expected);
    expect(await getRun(env.DB, 'r-missing')).toBeNull();
  });

  it('lists runs newest first, page by page, with no gaps or repeats', async () => {
    const db = env.DB;
    // Several runs share a creation time, so the id must break ties for the cursor to be exact.
    const created: { id: string; createdAtMs: number }[] = [];
    for (let i = 0; i < 23; i++) {
      const run = { id: `list-${(i * 11) % 23}`, createdAtMs: 1_000 + Math.floor(i / 3) * 10 };
      created.push(run);
      await createRun(db, { ...run, configJson: config, state: 'queued' });
    }
    const expected = created
      .sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : -1))
      .map((r) => r.id)
      .filter((id) => id.startsWith('list-'));
    for (const limit of [1, 4, 22, 23, 50]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await listRuns(db, { limit, ...(cursor !== undefined && { cursor }) });
        expect(page.runs.length).toBeLessThanOrEqual(limit);
        seen.push(...page.runs.map((r) => r.id).filter((id) => id.startsWith('list-')));
        if (page.next === null) break;
        cursor = page.next;
      }
      expect(seen).toEqual(expected);
    }
    await expect(listRuns(db, { limit: 5, cursor: 'not a cursor' })).rejects.toThrow(InvalidCursorError);
    await expect(listRuns(db, { limit: 5, cursor: btoa('{"a":1}') })).rejects.toThrow(InvalidCursorError);
    await expect(listRuns(db, { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('keeps ids with any characters exact in the cursor', async () => {
    const ids = ['ü-ñ/+=', 'ü-ñ/+', 'plain'];
    for (const id of ids)
      await createRun(env.DB, { id, createdAtMs: 9e12, configJson: '{}', state: 'queued' });
    const first = await listRuns(env.DB, { limit: 1 });
    const rest = await listRuns(env.DB, { limit: 2, cursor: first.next! });
    expect([...first.runs, ...rest.runs].map((r) => r.id)).toEqual([...ids].sort().reverse());
  });

  it('transitions only from the allowed states, and a retried transition changes nothing', async () => {
    const db = env.DB;
    await createRun(db, { id: 'r-flow', createdAtMs: 1, configJson: config, state: 'queued' });
    expect(await transitionRun(db, 'r-flow', ['queued'], { state: 'running', startedAtMs: 100 })).toBe(true);
    expect(await transitionRun(db, 'r-flow', ['queued'], { state: 'running', startedAtMs: 200 })).toBe(false);
    expect((await getRun(db, 'r-flow'))?.startedAtMs).toBe(100);

    const finish = { state: 'done', reason: 'completed', finishedAtMs: 300, resultsJson: '{"n":1}' } as const;
    expect(await transitionRun(db, 'r-flow', ['queued', 'finalizing'], finish)).toBe(false);
    expect(await transitionRun(db, 'r-flow', ['running'], { state: 'finalizing' })).toBe(true);
    expect(await transitionRun(db, 'r-flow', ['running', 'finalizing'], finish)).toBe(true);
    // A cancel arriving after the end must not overwrite the outcome.
    const active = RUN_STATES.filter((s): s is RunState => !['done', 'failed', 'cancelled'].includes(s));
    expect(
      await transitionRun(db, 'r-flow', active, { state: 'cancelled', reason: 'cancelled by user' }),
    ).toBe(false);
    expect(await transitionRun(db, 'r-flow', [], { state: 'failed' })).toBe(false);
    expect(await transitionRun(db, 'r-other', ['queued'], { state: 'running' })).toBe(false);

    const run = await getRun(db, 'r-flow');
    expect(run).toMatchObject({
      state: 'done',
      reason: 'completed',
      startedAtMs: 100,
      finishedAtMs: 300,
      resultsJson: '{"n":1}',
    });
  });

  it('updates fields without touching the others', async () => {
    const db = env.DB;
    await createRun(db, { id: 'r-update', createdAtMs: 2, configJson: config, state: 'queued' });
    expect(await updateRun(db, 'r-update', { planJson: '{"shards":4}' })).toBe(true);
    expect(
      await updateRun(db, 'r-update', { reason: 'limit: max_duration_s reached', planJson: undefined }),
    ).toBe(true);
    expect(await getRun(db, 'r-update')).toMatchObject({
      state: 'queued',
      planJson: '{"shards":4}',
      reason: 'limit: max_duration_s reached',
      configJson: config,
    });
    expect(await updateRun(db, 'r-absent', { reason: 'x' })).toBe(false);
    await expect(updateRun(db, 'r-update', {})).rejects.toThrow(/no field/);
  });
});
