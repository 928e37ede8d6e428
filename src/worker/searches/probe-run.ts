import { probeRunConfig } from '../../core/campaign/probe-template.ts';
import { loadArrivals } from '../../core/campaign/search-request.ts';
import { type RunConfig, runConfigSchema } from '../../core/run/run-config.ts';
import type { ProbeSpec } from '../../core/search/search-protocol.ts';
import type { StartSearchInput } from '../durable/campaign.ts';
import { startRun } from '../runs/start-run.ts';

// A probe as a run: its config from the template, and its start (idempotent per run id).

/** The validated run config of a probe; throws the zod error when the template cannot carry it. */
export function probeConfig(
  search: Pick<StartSearchInput, 'name' | 'template' | 'settings'>,
  probe: ProbeSpec,
): RunConfig {
  const name = `${search.name ?? 'search'} · probe ${probe.index}`.slice(0, 200);
  return runConfigSchema.parse(probeRunConfig(search.template, loadArrivals(search.settings), probe, name));
}

/** Starts the probe's run with its abort rule; a run of this id already started is left as it is. */
export async function startProbeRun(env: Env, search: StartSearchInput, probe: ProbeSpec, runId: string) {
  return startRun(env, probeConfig(search, probe), runId, {
    slo: search.settings.slo,
    abort: probe.abort,
    ...(search.prefillPredictor ? { prefill: search.prefillPredictor } : {}),
  });
}
