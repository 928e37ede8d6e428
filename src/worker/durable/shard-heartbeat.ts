import { abortableSleep } from '../../core/run/abortable-sleep.ts';
import { msToNextTick } from '../../core/run/periodic-tick.ts';
import type { ShardProgress } from '../../core/run/run-status.ts';
import { InvocationBudget } from '../../core/shard/invocation-budget.ts';
import { type Settings, settingsOf } from '../env.ts';
import { coordinatorStub, type ShardAssignment } from './run-protocol.ts';
import type { ShardStorage } from './shard-storage.ts';

// A running shard's side channels: its heartbeat to the coordinator (which may tell it to stop),
// the colo it runs in, and what one alarm invocation may spend.

/** What one alarm slice may spend (subrequests, D1 queries). */
export function sliceBudget(settings: Settings): InvocationBudget {
  return new InvocationBudget({
    maxSubrequests: settings.SLICE_MAX_SUBREQUESTS,
    maxD1Queries: settings.SLICE_MAX_D1_QUERIES,
  });
}

/**
 * Sends the progress every HEARTBEAT_MS until `stopped`; aborts the slice when told to stop. On a
 * fixed cadence from `originMs`, so the D1 flush, phased half a beat later, never runs in the same
 * moment (periodic-tick.ts). The progress is not saved here: it is saved only with the records it
 * counts (ShardStorage), so a restart never counts a request whose record it lost — and then
 * counts it again as lost.
 */
export async function heartbeatLoop(
  env: Env,
  store: ShardStorage,
  s: {
    a: ShardAssignment;
    progress: ShardProgress;
    colo: string | null;
    abort: AbortController;
    budget: InvocationBudget;
    stopped: () => boolean;
    /** The cadence's origin (epoch ms): a beat at once, then at origin + k·HEARTBEAT_MS. */
    originMs: number;
    /** Probe runs: set when the shard's counts decide the probe; the next heartbeat goes at once. */
    wake?: { now: boolean };
  },
): Promise<void> {
  const settings = settingsOf(env);
  const coordinator = coordinatorStub(env, s.a.runId);
  while (!s.stopped()) {
    if (s.wake) s.wake.now = false;
    try {
      s.budget.subrequests++;
      const { stop } = await coordinator.progress(s.a.index, s.progress, s.colo);
      if (stop) {
        store.set('cancelled', true);
        s.abort.abort();
      }
    } catch (error) {
      console.warn(`shard ${s.a.runId}/${s.a.index}: heartbeat failed: ${String(error)}`);
    }
    await abortableSleep(
      msToNextTick(Date.now(), s.originMs, settings.HEARTBEAT_MS),
      undefined,
      () => s.stopped() || s.wake?.now === true,
    );
  }
}

/** The Cloudflare colo this object runs in, from a trace endpoint; null when not configured. */
export async function lookupColo(store: ShardStorage, traceUrl: string | undefined): Promise<string | null> {
  const known = store.get('colo');
  if (known !== undefined) return known;
  let colo: string | null = null;
  if (traceUrl) {
    try {
      const text = await (await fetch(traceUrl, { signal: AbortSignal.timeout(5_000) })).text();
      colo = /^colo=(\w+)$/m.exec(text)?.[1] ?? null;
    } catch {
      colo = null;
    }
  }
  store.set('colo', colo);
  return colo;
}
