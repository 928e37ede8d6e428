// Profile rows in D1: creation, lookup, newest-first listing, and the one-way move to a final state.
import { and, eq, inArray } from 'drizzle-orm';
import type { ProfileState } from '../../core/api/profile-api-schemas.ts';
import { openDatabase } from './database.ts';
import { newestFirstPage } from './newest-first.ts';
import { type ProfileRow, profiles } from './schema.ts';

/** States a profile leaves only once, when its run has ended. */
export const OPEN_PROFILE_STATES = ['queued', 'running'] as const satisfies readonly ProfileState[];

export type NewProfile = {
  id: string;
  createdAtMs: number;
  name: string | null;
  requestJson: string;
  runId: string;
  state: 'queued' | 'running';
};

/** Inserts a profile in one statement; false (no change) when the id exists already. */
export async function createProfile(d1: D1Database, profile: NewProfile): Promise<boolean> {
  const result = await openDatabase(d1).insert(profiles).values(profile).onConflictDoNothing();
  return result.meta.changes > 0;
}

export async function getProfile(d1: D1Database, id: string): Promise<ProfileRow | null> {
  return (await openDatabase(d1).select().from(profiles).where(eq(profiles.id, id)).get()) ?? null;
}

/** Profiles newest first (ties broken by id), a page at a time; `next` is null on the last page. */
export async function listProfiles(
  d1: D1Database,
  options: { limit: number; cursor?: string },
): Promise<{ profiles: ProfileRow[]; next: string | null }> {
  const page = await newestFirstPage(profiles, options, (where, orderBy, limit) =>
    openDatabase(d1)
      .select()
      .from(profiles)
      .where(where)
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { profiles: page.rows, next: page.next };
}

/**
 * Moves an open profile to its final state in a single `UPDATE … WHERE state IN ('queued',
 * 'running')`: two readers finishing the same profile at once write it once; the second changes
 * nothing. True when this call moved it.
 */
export async function finishProfile(
  d1: D1Database,
  id: string,
  end: {
    state: 'done' | 'failed' | 'cancelled';
    profileJson: string | null;
    reason: string;
    finishedAtMs: number;
  },
): Promise<boolean> {
  const result = await openDatabase(d1)
    .update(profiles)
    .set(end)
    .where(and(eq(profiles.id, id), inArray(profiles.state, [...OPEN_PROFILE_STATES])));
  return result.meta.changes > 0;
}
