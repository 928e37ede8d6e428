import { probeRunConfig } from '../../core/campaign/probe-template.ts';
import {
  loadArrivals,
  type SearchRequest,
  WARM_START_MAX_AGE_DAYS,
  warmStartKey,
} from '../../core/campaign/search-request.ts';
import type { PredictorParams } from '../../core/profile/prefill-profile.ts';
import { runConfigSchema } from '../../core/run/run-config.ts';
import type { SearchResult } from '../../core/search/search-protocol.ts';
import { ApiError, describeIssues, type ErrorIssue, toIssues } from '../api/api-error.ts';
import { campaignStub } from '../durable/run-protocol.ts';
import { donePredictorOf } from '../profiles/settle-profile.ts';
import { checkRunConfig } from '../runs/start-run.ts';
import { createSearch, lastDoneSearch, transitionSearch } from '../storage/searches-store.ts';

const DAY_MS = 86_400_000;

/**
 * Checks a search request (the SLO's profile, the probe at the top of the load range), resolves its
 * warm start, stores it and starts its campaign. Throws ApiError naming the field; stores nothing
 * before every check has passed.
 */
export async function startSearch(
  env: Env,
  request: SearchRequest,
  id: string = newSearchId(),
): Promise<{ id: string; warmStartLoad: number | null }> {
  const prefillPredictor = await checkSearchRequest(env, request);
  const warmKey = warmStartKey(request.template, request.settings);
  const warmStartLoad = await resolveWarmStart(env, request, warmKey);
  await createSearch(env.DB, {
    id,
    createdAtMs: Date.now(),
    name: request.name ?? null,
    requestJson: JSON.stringify({
      ...request,
      warm_start_load: warmStartLoad,
      prefill_predictor: prefillPredictor,
    }),
    warmKey,
  });
  try {
    await campaignStub(env, id).start({
      searchId: id,
      name: request.name ?? null,
      template: request.template,
      settings: request.settings,
      warmStartLoad,
      prefillPredictor,
    });
  } catch (error) {
    await transitionSearch(env.DB, id, ['queued'], {
      state: 'failed',
      reason: `could not start the search: ${String(error)}`,
      finishedAtMs: Date.now(),
    });
    throw new ApiError('unavailable', `search ${id} could not start: ${String(error)}`);
  }
  return { id, warmStartLoad };
}

/**
 * Every check `startSearch` makes before storing anything (the SLO's profile, the top probe);
 * returns the SLO profile's predictor. Throws ApiError naming the field. Schedules call it when
 * they are created, so a stored schedule only holds searches the API accepts.
 */
export async function checkSearchRequest(env: Env, request: SearchRequest): Promise<PredictorParams | null> {
  const prefillPredictor = await profilePredictor(env, request);
  checkTopProbe(env, request);
  return prefillPredictor;
}

/**
 * A `deadline` SLO judges each request's TTFT against its predicted prefill: the profile it names
 * must be stored and done (400 naming `settings.slo.profile_id` otherwise). Its fitted predictor is
 * kept with the search, so every probe judges by the same one whatever happens to the profile.
 */
async function profilePredictor(env: Env, request: SearchRequest): Promise<PredictorParams | null> {
  const slo = request.settings.slo;
  if (slo.type !== 'deadline') return null;
  return donePredictorOf(env, slo.profile_id, ['settings', 'slo', 'profile_id']);
}

/**
 * The largest probe (at `load.max`, full size) must be a run the template's limits allow: refused
 * here, before anything runs, rather than by the probe that would reach it.
 */
function checkTopProbe(env: Env, request: SearchRequest): void {
  const { settings, template } = request;
  const top = probeRunConfig(
    template,
    loadArrivals(settings),
    {
      index: 0,
      load: settings.load.max,
      replicate_of: null,
      requests: settings.probe.requests,
      warmup_requests: settings.probe.warmup_requests,
    },
    request.name ?? 'search',
  );
  const at = `the probe at the top of the load range (settings.load.max = ${settings.load.max})`;
  const parsed = runConfigSchema.safeParse(top);
  let issues: ErrorIssue[] = [];
  if (!parsed.success) issues = toIssues(parsed.error.issues);
  else {
    try {
      checkRunConfig(env, parsed.data);
    } catch (error) {
      if (!(error instanceof ApiError) || error.issues === undefined) throw error;
      if (error.code === 'unknown_secret') throw prefixed(error.code, error.issues, '');
      issues = error.issues;
    }
  }
  if (issues.length > 0) throw prefixed('invalid_config', issues, `${at}: `);
}

/** Issues of a probe's run config, named as fields of the search request. */
function prefixed(code: 'invalid_config' | 'unknown_secret', issues: ErrorIssue[], lead: string): ApiError {
  const named = issues.map((issue) => ({
    path: templatePath(issue.path),
    message: `${lead}${issue.message}`,
  }));
  return new ApiError(code, describeIssues(named), named);
}

/** A path in a probe's run config → the field of the search request that sets it. */
function templatePath(path: (string | number)[]): (string | number)[] {
  const [head, second] = path;
  if (head === 'workload' && (second === 'arrivals' || second === 'requests' || second === 'duration_s'))
    return ['settings', 'load', 'max'];
  if (head === 'workload' && second === 'warmup') return ['settings', 'probe', 'warmup_requests'];
  return ['template', ...path];
}

/** The warm start: given, or the answer of the last `done` search of the same question within 14 days. */
async function resolveWarmStart(env: Env, request: SearchRequest, warmKey: string): Promise<number | null> {
  const warm = request.settings.warm_start;
  if (warm === 'off') return null;
  if (typeof warm === 'object') return warm.load;
  const last = await lastDoneSearch(env.DB, warmKey, Date.now() - WARM_START_MAX_AGE_DAYS * DAY_MS);
  if (!last?.resultJson) return null;
  const result = JSON.parse(last.resultJson) as SearchResult;
  return result.root?.load ?? result.bracket.lo ?? null;
}

function newSearchId(): string {
  const random = crypto.getRandomValues(new Uint8Array(5));
  return `search-${Date.now().toString(36)}-${[...random].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}
