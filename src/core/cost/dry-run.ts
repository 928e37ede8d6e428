import type { RunConfig } from '../run/run-config.ts';
import { meanOutputTokens, type RunPlan } from '../run/run-plan.ts';
import { instrumentCheckLeadMs } from '../shard/instrument-check.ts';
import { estimateRunCost, type RunCost } from './run-cost.ts';

// `fluidbench run --dry-run`: what a run would send and what it would cost, without starting it.

/** The coordinator's default delay before the schedule's origin (START_DELAY_MS), seconds. */
const START_DELAY_S = 1.5;

export interface DryRun {
  requests: number;
  /** True when the count is estimated (a closed loop bounded only by its duration). */
  requests_estimated: boolean;
  shards: number;
  regions: Record<string, number>;
  duration_s: number | null;
  output_tokens: number;
  cost: RunCost;
}

export function dryRun(config: RunConfig, plan: RunPlan): DryRun {
  const meanOut = meanOutputTokens(config.workload.lengths);
  // A request's expected time at the run's deadlines (as the plan sizes concurrency with).
  const requestS = config.deadlines.ttft_s + meanOut * config.deadlines.tbt_s;
  let requests = plan.expectedRequests;
  const estimated = requests === null;
  if (requests === null) {
    const durationS = plan.expectedDurationS ?? config.workload.duration_s ?? 0;
    requests = Math.round((plan.expectedConcurrency * durationS) / Math.max(requestS, 1e-3));
  }
  const durationS = plan.expectedDurationS ?? (requests * requestS) / Math.max(1, plan.expectedConcurrency);
  const outputTokens = Math.round(requests * meanOut);
  const regions: Record<string, number> = {};
  for (const s of plan.shards) regions[s.region] = (regions[s.region] ?? 0) + 1;
  const activeS =
    durationS + START_DELAY_S + instrumentCheckLeadMs(config.instrument_check) / 1000 + requestS;
  return {
    requests,
    requests_estimated: estimated,
    shards: plan.shards.length,
    regions,
    duration_s: plan.expectedDurationS,
    output_tokens: outputTokens,
    cost: estimateRunCost({ requests, shards: plan.shards.length, activeS, chunks: outputTokens }),
  };
}

const usd = (x: number): string => (x >= 0.01 ? `$${x.toFixed(2)}` : `$${x.toFixed(6)}`);
const count = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The dry run as text (the CLI's default output). */
export function formatDryRun(d: DryRun): string {
  const where = Object.entries(d.regions)
    .map(([region, n]) => `${n} in ${region}`)
    .join(', ');
  const lines = [
    `plan: ${count(d.requests)} requests${d.requests_estimated ? ' (estimated)' : ''}, ${d.shards} shard(s) (${where}), ` +
      `${d.duration_s === null ? 'until the requests are done' : `${d.duration_s} s`}, ~${count(d.output_tokens)} output tokens`,
    `estimated Cloudflare cost (Workers Paid marginal prices as of ${d.cost.prices_as_of}; monthly included amounts not deducted):`,
    ...d.cost.lines.map(
      (l) => `  ${l.item.padEnd(24)} ${`${count(l.quantity)} ${l.unit}`.padStart(22)}  ${usd(l.usd)}`,
    ),
    `  ${'total'.padEnd(24)} ${''.padStart(22)}  ${usd(d.cost.total_usd)}` +
      (d.cost.usd_per_million_requests === null
        ? ''
        : ` (${usd(d.cost.usd_per_million_requests)} per million requests)`),
    'nothing was started (--dry-run)',
  ];
  return `${lines.join('\n')}\n`;
}
