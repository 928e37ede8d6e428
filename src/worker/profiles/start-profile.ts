import type { ProfileRequest } from '../../core/profile/profile-request.ts';
import { profileRunConfig } from '../../core/profile/profile-request.ts';
import { startRun } from '../runs/start-run.ts';
import { createProfile } from '../storage/profiles-store.ts';
import type { ProfileRow } from '../storage/schema.ts';

/** The profile's run id: derived, so the profile and its run are found from each other. */
export function profileRunId(profileId: string): string {
  return `${profileId}-run`;
}

/**
 * Starts a prefill profile: its run first (the run's checks refuse a bad target with a 400 before
 * anything is stored), then the row in one statement, so a stored profile always names a run that
 * exists. A crash between the two leaves only an ordinary run, visible in /v1/runs.
 */
export async function startProfile(env: Env, request: ProfileRequest, id: string): Promise<ProfileRow> {
  await startRun(env, profileRunConfig(request), profileRunId(id));
  const created = {
    id,
    createdAtMs: Date.now(),
    name: request.name ?? null,
    state: 'running' as const,
    requestJson: JSON.stringify(request),
    runId: profileRunId(id),
  };
  await createProfile(env.DB, created);
  return { ...created, profileJson: null, reason: null, finishedAtMs: null };
}
