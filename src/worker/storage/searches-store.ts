// Capacity searches and their probes in D1: creation, lookup, newest-first listing, state changes
// that stay idempotent when a campaign step is retried, and the warm-start lookup.
import { and, asc, desc, eq, gte, inArray } from 'drizzle-orm';
import type { SearchState } from '../../core/api/search-api-schemas.ts';
import type { RunState } from '../../core/run/run-state.ts';
import { openDatabase } from './database.ts';
import { newestFirstPage } from './newest-first.ts';
import { type ProbeRow, probes, type SearchRow, searches } from './schema.ts';

export type NewSearch = {
  id: string;
  createdAtMs: number;
  name: string | null;
  requestJson: string;
  warmKey: string;
};

export type SearchPatch = Partial<{
  state: SearchState;
  resultJson: string | null;
  reason: string | null;
  finishedAtMs: number | null;
}>;

/** Inserts a queued search; false (and no change) when the id already exists. */
export async function createSearch(d1: D1Database, search: NewSearch): Promise<boolean> {
  const result = await openDatabase(d1)
    .insert(searches)
    .values({ ...search, state: 'queued' })
    .onConflictDoNothing();
  return result.meta.changes > 0;
}

export async function getSearch(d1: D1Database, id: string): Promise<SearchRow | null> {
  return (await openDatabase(d1).select().from(searches).where(eq(searches.id, id)).get()) ?? null;
}

/** Applies `patch` only while the search is in one of `from`; says whether it did. */
export async function transitionSearch(
  d1: D1Database,
  id: string,
  from: readonly SearchState[],
  patch: SearchPatch,
): Promise<boolean> {
  if (from.length === 0 || !Object.values(patch).some((v) => v !== undefined)) return false;
  const result = await openDatabase(d1)
    .update(searches)
    .set(patch)
    .where(and(eq(searches.id, id), inArray(searches.state, [...from])));
  return result.meta.changes > 0;
}

/** Searches newest first, one page at a time; `next` is null on the last page. */
export async function listSearches(
  d1: D1Database,
  options: { limit: number; cursor?: string },
): Promise<{ searches: SearchRow[]; next: string | null }> {
  const page = await newestFirstPage(searches, options, (where, orderBy, limit) =>
    openDatabase(d1)
      .select()
      .from(searches)
      .where(where)
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { searches: page.rows, next: page.next };
}

/**
 * The most recent search that ended `done` with this warm-start key, finished at or after
 * `sinceMs` (the API passes now − 14 days); null when there is none.
 */
export async function lastDoneSearch(
  d1: D1Database,
  warmKey: string,
  sinceMs: number,
): Promise<SearchRow | null> {
  const row = await openDatabase(d1)
    .select()
    .from(searches)
    .where(
      and(eq(searches.warmKey, warmKey), eq(searches.state, 'done'), gte(searches.finishedAtMs, sinceMs)),
    )
    .orderBy(desc(searches.finishedAtMs))
    .limit(1)
    .get();
  return row ?? null;
}

/** Records a probe once it starts; a retried step (same search and index) changes nothing. */
export async function insertProbe(
  d1: D1Database,
  probe: { searchId: string; index: number; runId: string; load: number; replicateOf: number | null },
): Promise<void> {
  await openDatabase(d1)
    .insert(probes)
    .values({ ...probe, state: 'running', startedAtMs: Date.now() })
    .onConflictDoNothing();
}

/** A probe's end: its run's terminal state and its outcome. */
export async function finishProbe(
  d1: D1Database,
  searchId: string,
  index: number,
  patch: { state: RunState; outcomeJson: string },
): Promise<void> {
  await openDatabase(d1)
    .update(probes)
    .set({ ...patch, finishedAtMs: Date.now() })
    .where(and(eq(probes.searchId, searchId), eq(probes.index, index)));
}

export async function listProbes(d1: D1Database, searchId: string): Promise<ProbeRow[]> {
  return openDatabase(d1)
    .select()
    .from(probes)
    .where(eq(probes.searchId, searchId))
    .orderBy(asc(probes.index))
    .all();
}
