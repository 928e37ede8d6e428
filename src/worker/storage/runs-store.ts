// Run rows in D1: creation, lookup, newest-first listing, and state changes that stay idempotent when
// a step is retried.
import { and, eq, inArray } from 'drizzle-orm';
import type { RunState } from '../../core/run/run-state.ts';
import { openDatabase } from './database.ts';
import { newestFirstPage } from './newest-first.ts';
import { type RunRow, runs } from './schema.ts';

export type NewRun = {
  id: string;
  createdAtMs: number;
  name?: string;
  /** The validated run configuration (never contains secrets). */
  configJson: string;
  /** The run's plan, written with the row so a run never exists without one. */
  planJson?: string;
  state: 'queued';
};

export type RunPatch = Partial<{
  state: RunState;
  planJson: string | null;
  resultsJson: string | null;
  reason: string | null;
  startedAtMs: number | null;
  finishedAtMs: number | null;
}>;

/**
 * Inserts a run in one statement (config and plan together, never a half-made row); false (and no
 * change) when the id already exists, so a retried create is harmless.
 */
export async function createRun(d1: D1Database, run: NewRun): Promise<boolean> {
  const result = await openDatabase(d1)
    .insert(runs)
    .values({
      id: run.id,
      createdAtMs: run.createdAtMs,
      name: run.name ?? null,
      state: run.state,
      configJson: run.configJson,
      planJson: run.planJson ?? null,
    })
    .onConflictDoNothing();
  return result.meta.changes > 0;
}

export async function getRun(d1: D1Database, id: string): Promise<RunRow | null> {
  const row = await openDatabase(d1).select().from(runs).where(eq(runs.id, id)).get();
  return row ?? null;
}

/** Runs newest first (ties broken by id), one page at a time; `next` is null on the last page. */
export async function listRuns(
  d1: D1Database,
  options: { limit: number; cursor?: string },
): Promise<{ runs: RunRow[]; next: string | null }> {
  const page = await newestFirstPage(runs, options, (where, orderBy, limit) =>
    openDatabase(d1)
      .select()
      .from(runs)
      .where(where)
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { runs: page.rows, next: page.next };
}

/** Applies `patch`; false when no run has this id. */
export async function updateRun(d1: D1Database, id: string, patch: RunPatch): Promise<boolean> {
  const result = await openDatabase(d1).update(runs).set(checkedPatch(patch)).where(eq(runs.id, id));
  return result.meta.changes > 0;
}

/**
 * Applies `patch` only while the run's state is one of `from`, in a single
 * `UPDATE … WHERE state IN (…)`, and says whether it did. A retried transition finds the state
 * already moved on and changes nothing.
 */
export async function transitionRun(
  d1: D1Database,
  id: string,
  from: readonly RunState[],
  patch: RunPatch,
): Promise<boolean> {
  const set = checkedPatch(patch);
  if (from.length === 0) return false;
  const result = await openDatabase(d1)
    .update(runs)
    .set(set)
    .where(and(eq(runs.id, id), inArray(runs.state, [...from])));
  return result.meta.changes > 0;
}

/** drizzle drops undefined fields and throws on an empty SET; say so in our own words. */
function checkedPatch(patch: RunPatch): RunPatch {
  if (!Object.values(patch).some((v) => v !== undefined)) throw new Error('run patch sets no field');
  return patch;
}
