import { type PredictorParams, prefillProfileFileSchema } from '../../core/profile/prefill-profile.ts';
import { fitProfile } from '../../core/profile/profile-fit.ts';
import { profiledLengths, profileRequestSchema } from '../../core/profile/profile-request.ts';
import type { RequestRecord } from '../../core/record/request-record.ts';
import type { RunConfig } from '../../core/run/run-config.ts';
import { isTerminal, type RunState } from '../../core/run/run-state.ts';
import { ApiError } from '../api/api-error.ts';
import { finishProfile, getProfile } from '../storage/profiles-store.ts';
import { readRequests } from '../storage/records-store.ts';
import { getRun } from '../storage/runs-store.ts';
import type { ProfileRow } from '../storage/schema.ts';

// Finishing a profile once its run has ended, and resolving `deadlines.profile_id` of a run config.
//
// A profile is finished lazily, by whoever next reads it (`GET /v1/profiles/{id}`, or a run naming it
// in `deadlines.profile_id`), rather than by a hook in the coordinator's finalize: everything the fit
// needs (the run's terminal state and its records) is already durable in D1, so the step can run at
// any time, any number of times, and after any restart, and the coordinator stays unaware of what its
// runs are for. Two readers at once both fit (the same records give the same profile) and the
// conditional UPDATE in finishProfile stores it once.

/** Records read per D1 query while fitting; a profile run has at most 64 × 50 = 3,200 requests. */
const FIT_PAGE = 2_000;

/** The profile row, finished first if its run has ended; unchanged while the run goes on. */
export async function settleProfile(env: Env, row: ProfileRow): Promise<ProfileRow> {
  if (row.state !== 'queued' && row.state !== 'running') return row;
  const run = await getRun(env.DB, row.runId);
  if (!run || !isTerminal(run.state as RunState)) return row;
  const finishedAtMs = run.finishedAtMs ?? Date.now();
  if (run.state === 'done') {
    const fitted = fitProfile(await allRecords(env.DB, row.runId));
    await finishProfile(
      env.DB,
      row.id,
      fitted.ok
        ? {
            state: 'done',
            profileJson: JSON.stringify(fitted.profile.file),
            reason: fitReason(
              row,
              fitted.profile.minima.map((m) => m.prompt_tokens),
            ),
            finishedAtMs,
          }
        : { state: 'failed', profileJson: null, reason: fitted.reason, finishedAtMs },
    );
  } else {
    await finishProfile(env.DB, row.id, {
      state: run.state === 'cancelled' ? 'cancelled' : 'failed',
      profileJson: null,
      reason: `the profile run ${run.state}: ${run.reason ?? 'no reason'}`,
      finishedAtMs,
    });
  }
  return (await getProfile(env.DB, row.id)) ?? row;
}

/** How many lengths the fit covers, and which profiled lengths had no successful request. */
function fitReason(row: ProfileRow, fittedLengths: number[]): string {
  const fitted = new Set(fittedLengths);
  const missing = profiledLengths(profileRequestSchema.parse(JSON.parse(row.requestJson))).filter(
    (length) => !fitted.has(length),
  );
  return missing.length === 0
    ? `fitted to ${fitted.size} prompt lengths`
    : `fitted to ${fitted.size} of ${fitted.size + missing.length} prompt lengths; no request succeeded at ${missing.join(', ')} tokens`;
}

async function allRecords(d1: D1Database, runId: string): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await readRequests(d1, runId, {
      limit: FIT_PAGE,
      ...(after !== undefined ? { after } : {}),
    });
    records.push(...page.records);
    if (page.next === null) return records;
    after = page.next;
  }
}

/**
 * The fitted predictor of a done profile, for anything that judges requests by it (a run's
 * deadlines, a capacity search's deadline SLO). An unknown profile, or one that is not done, is a
 * 400 `invalid_config` naming `path` (the field that gave the id).
 */
export async function donePredictorOf(
  env: Env,
  id: string,
  path: (string | number)[],
): Promise<PredictorParams> {
  const refuse = (message: string): never => {
    throw new ApiError('invalid_config', `${path.join('.')}: ${message}`, [{ path, message }]);
  };
  const stored = await getProfile(env.DB, id);
  if (!stored) return refuse(`no profile with id ${id}`);
  const row = await settleProfile(env, stored);
  if (row.state !== 'done' || row.profileJson === null)
    return refuse(
      `profile ${id} is ${row.state}${row.reason ? ` (${row.reason})` : ''}: only a done profile predicts deadlines`,
    );
  const { predictor } = prefillProfileFileSchema.parse(JSON.parse(row.profileJson));
  return predictor ?? refuse(`profile ${id} has no fitted predictor`);
}

/**
 * A config naming `deadlines.profile_id`, with the profile's fitted predictor embedded as
 * `deadlines.prefill_predictor` (replacing any given), so that shards, the coordinator, the results
 * and the export all judge TTFT against the same predictor, whatever happens to the profile later.
 * An unknown profile, or one that is not done, is a 400 naming `deadlines.profile_id`.
 */
export async function resolveProfileDeadlines(env: Env, config: RunConfig): Promise<RunConfig> {
  const id = config.deadlines.profile_id;
  if (id === undefined) return config;
  const predictor = await donePredictorOf(env, id, ['deadlines', 'profile_id']);
  return { ...config, deadlines: { ...config.deadlines, prefill_predictor: predictor } };
}
