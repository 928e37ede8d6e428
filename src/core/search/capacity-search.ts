import { z } from 'zod';
import { etalonBracket, etalonPropose } from './etalon-strategy.ts';
import { modelPoints, modelPropose, modelRoot, warmStartLoad } from './model-strategy.ts';
import { bracketOf, judgeOutcome, regionBrackets } from './probe-report.ts';
import { createAbortRule } from './probe-verdict.ts';
import {
  type CapacitySearch,
  type CapacitySearchOptions,
  type ProbeOutcome,
  type ProbeOutcomeInput,
  type ProbeReport,
  type ProbeSpec,
  probeOutcomeSchema,
  type SearchResult,
  type SearchSettings,
  type SearchSettingsInput,
  type SearchStep,
  type SearchStopReason,
  searchSettingsSchema,
} from './search-protocol.ts';

// Capacity search as a pure state machine: the caller asks `next()` for a probe, runs it, and hands
// the outcome to `record()`. No I/O, no clock, no randomness: time, requests and tokens arrive with
// each outcome, so the same history always gives the same next probe (replaySearch).

/** Validates search settings, filling defaults. Throws one Error listing every issue by path. */
export function parseSearchSettings(input: unknown): SearchSettings {
  const parsed = searchSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`invalid search settings:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Measured + warm-up requests, output tokens and wall time (probes and cooldowns) spent so far. */
function spent(settings: SearchSettings, reports: readonly ProbeReport[], history: readonly ProbeOutcome[]) {
  let requests = 0;
  let tokens = 0;
  let elapsed_s = 0;
  history.forEach((o, i) => {
    requests += o.counts.requests + o.warmup_requests;
    tokens += o.counts.output_tokens;
    elapsed_s += o.elapsed_s + (i > 0 ? settings.cooldown_s : 0);
  });
  return { requests, tokens, elapsed_s, probes: reports.length };
}

export function createCapacitySearch(
  input: SearchSettingsInput | SearchSettings,
  options: CapacitySearchOptions = {},
): CapacitySearch {
  const settings = parseSearchSettings(input);
  const warmLoad = warmStartLoad(settings, options.warmStartLoad);
  const reports: ProbeReport[] = [];
  const history: ProbeOutcome[] = [];
  let pending: ProbeSpec | null = null;
  let done: SearchResult | null = null;

  const finish = (stop_reason: SearchStopReason): SearchResult => {
    const use = spent(settings, reports, history);
    let bracket: SearchResult['bracket'];
    let root: SearchResult['root'] = null;
    if (settings.mode === 'etalon') {
      bracket = etalonBracket(settings, reports);
    } else {
      bracket = bracketOf(modelPoints(settings, reports));
      if (bracket.lo !== null && bracket.hi !== null)
        root = modelRoot(settings, reports, bracket.lo, bracket.hi);
    }
    done = {
      stop_reason,
      bracket,
      lower_bound_only: bracket.lo !== null && bracket.hi === null,
      root,
      probes: [...reports],
      requests_used: use.requests,
      output_tokens_used: use.tokens,
      elapsed_s: use.elapsed_s,
      regions: regionBrackets(reports),
    };
    pending = null;
    return done;
  };

  const budgetStop = (plannedRequests: number): SearchStopReason | null => {
    const use = spent(settings, reports, history);
    const b = settings.budgets;
    if (use.probes >= b.max_probes) return 'budget_probes';
    if (use.requests + plannedRequests > b.max_requests) return 'budget_requests';
    if (use.tokens >= b.max_output_tokens) return 'budget_output_tokens';
    if (use.elapsed_s + (reports.length > 0 ? settings.cooldown_s : 0) >= b.max_duration_s)
      return 'budget_duration';
    return null;
  };

  return {
    settings,
    history,
    next(): SearchStep {
      if (done) return { kind: 'done', result: done };
      if (pending) return { kind: 'probe', probe: pending };
      if (reports.at(-1)?.reason === 'cancelled') return { kind: 'done', result: finish('cancelled') };
      const proposal =
        settings.mode === 'etalon'
          ? etalonPropose(settings, reports)
          : modelPropose(settings, warmLoad, reports);
      if (proposal.kind === 'stop') return { kind: 'done', result: finish(proposal.reason) };
      const requests = settings.probe.requests;
      const stop = budgetStop(requests + settings.probe.warmup_requests);
      if (stop) return { kind: 'done', result: finish(stop) };
      const index = reports.length;
      pending = {
        index,
        load: proposal.load,
        replicate_of: proposal.replicate_of,
        seed_probe: proposal.replicate_of ?? index,
        requests,
        min_duration_s: settings.probe.min_duration_s,
        warmup_requests: settings.probe.warmup_requests,
        cooldown_s: index === 0 ? 0 : settings.cooldown_s,
        abort: createAbortRule({
          slo: settings.slo,
          plannedRequests: requests,
          offeredLoad: proposal.load,
          errorRateBound: settings.error_rate_bound,
          achievedRateTolerance: settings.achieved_rate_tolerance,
          minElapsed_s: settings.probe.min_duration_s,
          ...(options.maxOutputTokensPerRequest
            ? { maxOutputTokensPerRequest: options.maxOutputTokensPerRequest }
            : {}),
        }),
      };
      return { kind: 'probe', probe: pending };
    },
    record(input: ProbeOutcomeInput): ProbeReport {
      if (!pending) throw new Error('record() called without a pending probe: call next() first');
      const outcome = probeOutcomeSchema.parse(input);
      if (outcome.offered_load !== pending.load) {
        throw new Error(`outcome is for load ${outcome.offered_load}, the pending probe is ${pending.load}`);
      }
      if (outcome.counts.requests > pending.requests) {
        throw new Error(
          `outcome has ${outcome.counts.requests} measured requests, ${pending.requests} were planned`,
        );
      }
      const report = judgeOutcome(pending, outcome);
      reports.push(report);
      history.push(outcome);
      pending = null;
      return report;
    },
    cancel(): SearchResult {
      return done ?? finish('cancelled');
    },
  };
}

/**
 * Rebuilds a search from its recorded outcomes (in order). Deterministic: the same settings,
 * options and outcomes give the same probes and the same next step. Throws when the history does
 * not fit (more outcomes than the search asks for).
 */
export function replaySearch(
  settings: SearchSettingsInput | SearchSettings,
  options: CapacitySearchOptions,
  outcomes: readonly ProbeOutcomeInput[],
): CapacitySearch {
  const search = createCapacitySearch(settings, options);
  outcomes.forEach((outcome, i) => {
    if (search.next().kind === 'done')
      throw new Error(`history has ${outcomes.length} probes, the search ended after ${i}`);
    search.record(outcome);
  });
  return search;
}
