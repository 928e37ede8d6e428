import type { RunConfig } from '../../core/run/run-config.ts';
import { limitIssues, planRun, type RunPlan } from '../../core/run/run-plan.ts';
import type { ProbeRunRule } from '../../core/shard/probe-counts.ts';
import { ApiError, describeIssues, type ErrorIssue } from '../api/api-error.ts';
import { coordinatorStub } from '../durable/run-protocol.ts';
import { secretValue } from '../env.ts';
import { resolveProfileDeadlines } from '../profiles/settle-profile.ts';
import { createRun, getRun, transitionRun } from '../storage/runs-store.ts';
import { aiBindingOf } from '../workers-ai-binding.ts';

// Starting a run, for the API (a fresh id) and for campaigns (a deterministic id, so a retried
// campaign step finds the run it already started instead of starting a second one).

export interface StartedRun {
  id: string;
  plan: RunPlan;
  /** False when a run with this id already existed (a retried start): nothing new was started. */
  created: boolean;
}

/**
 * Everything that refuses a config before a run exists: plan limits and a missing API-key secret.
 * Throws ApiError('invalid_config' | 'unknown_secret') naming every field; stores nothing.
 */
export function checkRunConfig(env: Env, config: RunConfig): RunPlan {
  const plan = planRun(config);
  const issues: ErrorIssue[] = [...limitIssues(config, plan)];
  const secret = config.target.api_key_secret;
  if (secret !== undefined && secretValue(env, secret) === undefined) {
    const message = `no secret named ${secret}: set it with \`wrangler secret put ${secret}\` (locally, in .dev.vars)`;
    if (issues.length === 0)
      throw new ApiError('unknown_secret', message, [{ path: ['target', 'api_key_secret'], message }]);
    issues.unshift({ path: ['target', 'api_key_secret'], message });
  }
  const aws = config.target.aws;
  if (aws) {
    const named = [
      ['access_key_id_secret', aws.access_key_id_secret],
      ['secret_access_key_secret', aws.secret_access_key_secret],
      ['session_token_secret', aws.session_token_secret],
    ] as const;
    const missing: ErrorIssue[] = [];
    for (const [field, name] of named)
      if (name !== undefined && secretValue(env, name) === undefined)
        missing.push({
          path: ['target', 'aws', field],
          message: `no secret named ${name}: set it with \`wrangler secret put ${name}\` (locally, in .dev.vars)`,
        });
    if (missing.length > 0 && issues.length === 0)
      throw new ApiError('unknown_secret', describeIssues(missing), missing);
    issues.push(...missing);
  }
  const binding = config.target.ai_binding;
  if (binding !== undefined && !aiBindingOf(env, binding))
    issues.push({
      path: ['target', 'ai_binding'],
      message: `no Workers AI binding named ${binding}: add [ai] binding = "${binding}" to wrangler.toml (docs/streaming.md#workers-ai)`,
    });
  if (issues.length > 0) throw new ApiError('invalid_config', describeIssues(issues), issues);
  return plan;
}

/**
 * Checks, stores (one statement) and starts a run. A capacity-search probe passes its abort rule
 * (`probe`): the run then ends early once the probe's verdict is decided. With `id` given and a run of that id already
 * stored, returns it without starting anything: starting is idempotent per id.
 */
export async function startRun(
  env: Env,
  given: RunConfig,
  id: string = newRunId(),
  probe?: ProbeRunRule,
): Promise<StartedRun> {
  // A named prefill profile becomes its predictor inside the stored config (400 when unknown or unfinished).
  const config = await resolveProfileDeadlines(env, given);
  const plan = checkRunConfig(env, config);
  const createdAtMs = Date.now();
  const created = await createRun(env.DB, {
    id,
    createdAtMs,
    ...(config.name !== undefined ? { name: config.name } : {}),
    configJson: JSON.stringify(config),
    planJson: JSON.stringify(plan),
    state: 'queued',
  });
  if (!created) {
    const existing = await getRun(env.DB, id);
    if (existing)
      return {
        id,
        plan: existing.planJson ? (JSON.parse(existing.planJson) as RunPlan) : plan,
        created: false,
      };
  }
  try {
    await coordinatorStub(env, id).start({
      runId: id,
      name: config.name ?? null,
      config,
      plan,
      createdAtMs,
      ...(probe !== undefined ? { probe } : {}),
    });
  } catch (error) {
    // Only a run still queued or running: the coordinator may have failed it itself already.
    await transitionRun(env.DB, id, ['queued', 'running'], {
      state: 'failed',
      reason: `could not start the run: ${String(error)}`,
      finishedAtMs: Date.now(),
    });
    await coordinatorStub(env, id)
      .cancel('the run could not start')
      .catch(() => undefined);
    throw new ApiError('unavailable', `run ${id} could not start: ${String(error)}`);
  }
  return { id, plan, created: true };
}

function newRunId(): string {
  const random = crypto.getRandomValues(new Uint8Array(5));
  return `run-${Date.now().toString(36)}-${[...random].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}
