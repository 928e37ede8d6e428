import { evaluateProbeSlo } from '../search/probe-statistic.ts';
import { addCounts, classifyRequest, emptyCounts, probeDecision } from '../search/probe-verdict.ts';
import type {
  CapacitySearch,
  ClassifiedRequest,
  ProbeOutcomeInput,
  ProbeSpec,
  SearchResult,
  SearchSettings,
} from '../search/search-protocol.ts';
import type { SimConfig } from '../sim/sim-config.ts';
import { runSimProbe, type SimProbeLoad } from './sim-probe.ts';

// A capacity-search probe (a ProbeSpec from createCapacitySearch) run against the simulator on
// virtual time, judged the way the product's shards and coordinator judge it: each measured
// request is classified as it ends (classifyRequest), the counts are summed, and with `abort` the
// probe ends as soon as probeDecision says its verdict can no longer change. etalon never aborts.

export interface SimSearchProbeInput {
  settings: SearchSettings;
  spec: ProbeSpec;
  config: SimConfig;
  promptTokens: number;
  outputTokens: number;
  /** Base of the workload seed; the probe uses it with spec.seed_probe (replicates reuse theirs). */
  seed: number;
  /** End the probe early once decided (the product's exact early abort). */
  abort: boolean;
  predictPrefillUs?: (promptTokens: number) => number;
}

export interface SimSearchProbeResult {
  outcome: ProbeOutcomeInput;
  /** Requests actually sent, warm-up and cancelled in-flight ones included. */
  sent: number;
  /** Output tokens actually generated, cancelled requests included. */
  outputTokens: number;
  /** Virtual time of the probe, seconds. */
  elapsed_s: number;
}

export async function runSimSearchProbe(input: SimSearchProbeInput): Promise<SimSearchProbeResult> {
  const { settings, spec } = input;
  const slo = settings.slo;
  const load: SimProbeLoad =
    settings.dimension === 'concurrency'
      ? { dimension: 'concurrency', n: spec.load }
      : {
          dimension: 'qps',
          arrivals:
            settings.arrivals.type === 'gamma'
              ? { type: 'gamma', qps: spec.load, cv: settings.arrivals.cv }
              : { type: settings.arrivals.type, qps: spec.load },
        };
  let counts = emptyCounts();
  const requests: ClassifiedRequest[] = [];
  let aborted: ProbeOutcomeInput['aborted'] = null;
  const probe = await runSimProbe({
    config: input.config,
    load,
    requests: spec.requests,
    warmupRequests: spec.warmup_requests,
    promptTokens: input.promptTokens,
    outputTokens: input.outputTokens,
    seed: input.seed * 1009 + spec.seed_probe,
    onMeasured: (r) => {
      const request: ClassifiedRequest = {
        ok: r.ok,
        promptTokens: r.promptTokens,
        ttftUs: r.ittUs[0] ?? null,
        ittUs: r.ittUs,
      };
      requests.push(request);
      counts = addCounts(counts, classifyRequest(slo, request, input.predictPrefillUs));
      if (!input.abort || counts.requests >= spec.requests) return false;
      const decision = probeDecision(spec.abort, counts);
      if (decision) aborted = decision.reason;
      return decision !== null;
    },
  });
  const evaluation = aborted ? null : evaluateProbeSlo(slo, requests, input.predictPrefillUs);
  const elapsed_s = probe.elapsedMs / 1000;
  return {
    outcome: {
      offered_load: spec.load,
      achieved_load: probe.achievedLoad,
      counts,
      warmup_requests: spec.warmup_requests,
      elapsed_s,
      statistic: evaluation?.statistic ?? null,
      slo_passed: evaluation?.passed ?? null,
      aborted,
    },
    sent: probe.sent,
    outputTokens: probe.outputTokens,
    elapsed_s,
  };
}

export interface SimSearchRun {
  result: SearchResult;
  /** Requests, output tokens and virtual seconds actually spent (cancelled in-flight work included). */
  sent: number;
  outputTokens: number;
  elapsed_s: number;
}

/** Drives a whole search against the simulator: next() → run the probe → record(), until done. */
export async function runSimSearch(
  search: CapacitySearch,
  probe: Omit<SimSearchProbeInput, 'settings' | 'spec'>,
): Promise<SimSearchRun> {
  let sent = 0;
  let outputTokens = 0;
  let elapsed_s = 0;
  for (;;) {
    const step = search.next();
    if (step.kind === 'done') return { result: step.result, sent, outputTokens, elapsed_s };
    const run = await runSimSearchProbe({ ...probe, settings: search.settings, spec: step.probe });
    sent += run.sent;
    outputTokens += run.outputTokens;
    elapsed_s += run.elapsed_s + step.probe.cooldown_s;
    search.record(run.outcome);
  }
}
