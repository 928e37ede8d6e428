import { DurableObject } from 'cloudflare:workers';
import type { RunResults } from '../../core/api/run-results-schema.ts';
import type { SearchState } from '../../core/api/search-api-schemas.ts';
import { probeOutcomeOf } from '../../core/campaign/probe-outcome.ts';
import type { ProbeTemplate } from '../../core/campaign/probe-template.ts';
import { predictPrefillUs } from '../../core/profile/prefill-predictor.ts';
import type { PredictorParams } from '../../core/profile/prefill-profile.ts';
import { isTerminal, type RunState } from '../../core/run/run-state.ts';
import { replaySearch } from '../../core/search/capacity-search.ts';
import type {
  CapacitySearch,
  CapacitySearchOptions,
  ProbeOutcome,
  ProbeReport,
  SearchResult,
  SearchSettings,
} from '../../core/search/search-protocol.ts';
import { ApiError } from '../api/api-error.ts';
import { settingsOf } from '../env.ts';
import { recordSearchHistory } from '../history/record-history.ts';
import { startProbeRun } from '../searches/probe-run.ts';
import { probeSloOf } from '../searches/probe-slo.ts';
import { getRun } from '../storage/runs-store.ts';
import { finishProbe, insertProbe, transitionSearch } from '../storage/searches-store.ts';
import { coordinatorStub } from './run-protocol.ts';

/** What the API hands a campaign to start a search. */
export interface StartSearchInput {
  searchId: string;
  name: string | null;
  template: ProbeTemplate;
  settings: SearchSettings;
  /** The resolved warm start (from `warm_start`: given, or found by the API), null for a cold start. */
  warmStartLoad: number | null;
  /** A `deadline` SLO's prefill predictor, from its profile when the search was created. */
  prefillPredictor: PredictorParams | null;
}

interface SearchRecord extends StartSearchInput {
  state: SearchState;
  cancelReason: string | null;
}

/** The probe whose run is running. */
interface CurrentProbe {
  index: number;
  load: number;
  replicate_of: number | null;
  runId: string;
  startedAtMs: number;
}

/**
 * The search's options, derived only from what is stored (so every replay gets the same): the warm
 * start, and with fixed lengths the output tokens per request (which bounds pooled TBT values, so
 * a `tbt_ttft` probe can end early too).
 */
function searchOptions(search: StartSearchInput): CapacitySearchOptions {
  const lengths = search.template.workload.lengths;
  const predictor = search.prefillPredictor;
  return {
    ...(predictor ? { predictPrefillUs: (tokens: number) => predictPrefillUs(predictor, tokens) } : {}),
    ...(search.warmStartLoad !== null ? { warmStartLoad: search.warmStartLoad } : {}),
    ...(lengths.type === 'fixed' ? { maxOutputTokensPerRequest: lengths.output_tokens } : {}),
  };
}

/** What the search learned so far, as the API shows it while running (no stop reason yet). */
function liveResult(
  machine: CapacitySearch,
): SearchResult | (Omit<SearchResult, 'stop_reason'> & { stop_reason: null }) {
  return { ...machine.cancel(), stop_reason: null };
}

/** Poll period for the probe run while it goes (ms) when no heartbeat setting applies. */
const RETRY_MS = 5_000;

/**
 * One per capacity search: asks the pure search for the next probe, runs it as a real run with a
 * deterministic id, feeds its outcome back, until the search is done or cancelled. Every step is
 * idempotent and the search is rebuilt from the stored outcomes, so a restart at any point neither
 * repeats nor loses a probe (docs/campaigns.md).
 */
export class Campaign extends DurableObject<Env> {
  private async search(): Promise<SearchRecord | undefined> {
    return this.ctx.storage.get<SearchRecord>('search');
  }

  private async outcomes(): Promise<ProbeOutcome[]> {
    return (await this.ctx.storage.get<ProbeOutcome[]>('outcomes')) ?? [];
  }

  private machine(search: SearchRecord, outcomes: ProbeOutcome[]): CapacitySearch {
    return replaySearch(search.settings, searchOptions(search), outcomes);
  }

  async start(input: StartSearchInput): Promise<void> {
    if (await this.search()) return; // a retried start
    await this.ctx.storage.put('search', {
      ...input,
      state: 'running',
      cancelReason: null,
    } satisfies SearchRecord);
    await transitionSearch(this.env.DB, input.searchId, ['queued'], { state: 'running' });
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Cancels the running probe's run and ends the search `cancelled` with what it learned. */
  async cancel(reason: string): Promise<{ accepted: boolean; state: SearchState }> {
    const search = await this.search();
    if (!search) return { accepted: false, state: 'failed' };
    if (search.state !== 'running' && search.state !== 'queued')
      return { accepted: false, state: search.state };
    search.state = 'cancelled';
    search.cancelReason = reason;
    await this.ctx.storage.put('search', search);
    await transitionSearch(this.env.DB, search.searchId, ['queued', 'running'], {
      state: 'cancelled',
      reason,
      finishedAtMs: Date.now(),
    });
    const current = await this.ctx.storage.get<CurrentProbe>('current');
    if (current)
      await coordinatorStub(this.env, current.runId)
        .cancel(`the search was cancelled: ${reason}`)
        .catch(() => undefined);
    await this.ctx.storage.setAlarm(Date.now());
    return { accepted: true, state: 'cancelled' };
  }

  override async alarm(): Promise<void> {
    try {
      await this.step();
    } catch (error) {
      console.error(
        `campaign ${(await this.search())?.searchId ?? '?'}: step failed, retrying: ${String(error)}`,
      );
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
    }
  }

  /** One idempotent step: settle the current probe, then start the next one or end the search. */
  private async step(): Promise<void> {
    const search = await this.search();
    if (!search || search.state === 'done' || search.state === 'failed') return;
    const pollMs = settingsOf(this.env).HEARTBEAT_MS;
    const current = await this.ctx.storage.get<CurrentProbe>('current');
    if (current) {
      const settled = await this.settle(search, await this.outcomes(), current);
      if (!settled) {
        await this.ctx.storage.setAlarm(Date.now() + pollMs);
        return;
      }
    }
    // Read after settling: the outcome just recorded is part of the history now.
    const outcomes = await this.outcomes();
    if (search.state === 'cancelled') {
      await this.end(search, this.machine(search, outcomes).cancel(), 'cancelled', search.cancelReason);
      return;
    }
    const machine = this.machine(search, outcomes);
    const next = machine.next();
    if (next.kind === 'done') {
      await this.end(search, next.result, 'done', next.result.stop_reason);
      return;
    }
    const nextAtMs =
      ((await this.ctx.storage.get<number>('last_end_ms')) ?? 0) + next.probe.cooldown_s * 1000;
    if (Date.now() < nextAtMs) {
      await this.ctx.storage.setAlarm(nextAtMs);
      return;
    }
    const probe = next.probe;
    const runId = `${search.searchId}-p${probe.index}`;
    const started: CurrentProbe = {
      index: probe.index,
      load: probe.load,
      replicate_of: probe.replicate_of,
      runId,
      startedAtMs: Date.now(),
    };
    // Stored before the run exists: a restart from here finds it and starts nothing new.
    await this.ctx.storage.put('current', started);
    await insertProbe(this.env.DB, {
      searchId: search.searchId,
      index: probe.index,
      runId,
      load: probe.load,
      replicateOf: probe.replicate_of,
    });
    if (!(await this.startProbe(search, started))) return;
    await transitionSearch(this.env.DB, search.searchId, ['running'], {
      resultJson: JSON.stringify(liveResult(machine)),
    });
    // A cancel that came in while the run was starting has nothing to cancel yet: do it now.
    const after = await this.search();
    if (after?.state === 'cancelled')
      await coordinatorStub(this.env, runId)
        .cancel(`the search was cancelled: ${after.cancelReason ?? ''}`)
        .catch(() => undefined);
    await this.ctx.storage.setAlarm(Date.now() + pollMs);
  }

  /**
   * Starts the current probe's run (idempotent per run id). A probe its template cannot carry
   * (a limit at this load) ends the search `failed` with the reason; returns false then.
   */
  private async startProbe(search: SearchRecord, current: CurrentProbe): Promise<boolean> {
    const probe = this.machine(search, await this.outcomes()).next();
    if (probe.kind !== 'probe' || probe.probe.index !== current.index)
      throw new Error('invariant: the current probe is not the pending one');
    try {
      await startProbeRun(this.env, search, probe.probe, current.runId);
      return true;
    } catch (error) {
      if (
        !(error instanceof ApiError) ||
        (error.code !== 'invalid_config' && error.code !== 'unknown_secret')
      )
        throw error;
      const result = this.machine(search, await this.outcomes()).cancel();
      await this.ctx.storage.delete('current');
      await this.end(
        search,
        result,
        'failed',
        `probe ${current.index} at load ${current.load} cannot run: ${error.message}`,
      );
      return false;
    }
  }

  /**
   * If the current probe's run has ended, records its outcome (outcomes and `current` in one
   * write, then D1) and returns true; false while it goes on.
   */
  private async settle(
    search: SearchRecord,
    outcomes: ProbeOutcome[],
    current: CurrentProbe,
  ): Promise<boolean> {
    const row = await getRun(this.env.DB, current.runId);
    if (!row) {
      // The step that made it current died before its run was stored: start it (idempotent).
      if (search.state !== 'cancelled') await this.startProbe(search, current);
      else await this.ctx.storage.delete('current');
      return search.state === 'cancelled';
    }
    if (!isTerminal(row.state as RunState)) return false;
    const live = await coordinatorStub(this.env, current.runId).probeStatus();
    const results = row.resultsJson ? (JSON.parse(row.resultsJson) as RunResults) : null;
    const searchCancelled = search.state === 'cancelled';
    const cancelled = searchCancelled || row.state === 'cancelled';
    const stop = live?.stop ?? null;
    // A probe that ran to its end (or was decided a pass with all its requests in) is judged
    // exactly from its records as well; one ended early as a fail needs no statistic.
    const slo =
      !cancelled && row.state === 'done' && (stop === null || stop.verdict === 'pass')
        ? await probeSloOf(this.env.DB, current.runId, search.settings.slo, search.prefillPredictor)
        : null;
    const outcome = probeOutcomeOf(search.settings, {
      load: current.load,
      counts: live?.counts ?? {},
      regions: live?.regions ?? {},
      slo,
      stop,
      results,
      warmupRequests: search.settings.probe.warmup_requests,
      cancelled,
      elapsed_s: (Date.now() - current.startedAtMs) / 1000,
    });
    // A probe cut short by a cancel is reported, not fed to the search: it would judge a partial probe.
    const learned = searchCancelled ? outcomes : [...outcomes, outcome];
    let report: ProbeReport | null = null;
    if (!searchCancelled) {
      const machine = this.machine(search, outcomes);
      machine.next();
      report = machine.record(outcome);
    }
    // One write: the outcome is learned and the probe is no longer current, together.
    await this.ctx.storage.transaction(async (txn) => {
      await txn.put('outcomes', learned);
      await txn.put('last_end_ms', Date.now());
      await txn.delete('current');
    });
    await finishProbe(this.env.DB, search.searchId, current.index, {
      state: row.state as RunState,
      outcomeJson: JSON.stringify({ outcome, report, run_reason: row.reason }),
    });
    if (!searchCancelled)
      await transitionSearch(this.env.DB, search.searchId, ['running'], {
        resultJson: JSON.stringify(liveResult(this.machine(search, learned))),
      });
    return true;
  }

  private async end(search: SearchRecord, result: SearchResult, state: SearchState, reason: string | null) {
    // A cancelled search's row already says so (the cancel wrote it); the result follows here.
    const from: SearchState[] =
      state === 'cancelled' ? ['queued', 'running', 'cancelled'] : ['queued', 'running'];
    const finishedAtMs = Date.now();
    await transitionSearch(this.env.DB, search.searchId, from, {
      state,
      resultJson: JSON.stringify(result),
      reason,
      finishedAtMs,
    });
    if (state === 'done') await recordSearchHistory(this.env, search, result, finishedAtMs);
    search.state = state;
    await this.ctx.storage.put('search', search);
  }
}
