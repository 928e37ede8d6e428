import type { Proposal } from './model-strategy.ts';
import type { ProbeReport, SearchSettings } from './search-protocol.ts';

// etalon's CapacitySearch.search(), step for step (including float arithmetic and Python's
// half-even round(x, 2)): the checks run in the same order, so probe sequences match exactly.
// The state is rebuilt from the probe history on every call, so replay is trivially exact.

/** etalon's upper-bound growth factor and the fraction of the bound that triggers it. */
const QPS_INCREASE_SCALE = 2;
const VICINITY_THRESHOLD = 0.8;
/** etalon's initial "lowest failing QPS": effectively unbounded. */
const NO_FAILURE_QPS = 2 ** 32;
/** etalon's default start_qps. */
const DEFAULT_START_QPS = 1;

interface EtalonState {
  left: number;
  right: number;
  lastQps: number;
  minFailingQps: number;
  lastPassingQps: number | null;
}

function etalonState(settings: SearchSettings, reports: readonly ProbeReport[]): EtalonState {
  const s: EtalonState = {
    left: 0,
    right: (settings.load.start ?? DEFAULT_START_QPS) * 2,
    lastQps: 0,
    minFailingQps: NO_FAILURE_QPS,
    lastPassingQps: null,
  };
  for (const r of reports) {
    const qps = r.offered_load;
    s.lastQps = qps;
    if (r.verdict === 'pass') {
      if (qps > VICINITY_THRESHOLD * s.right)
        s.right = Math.min(s.right * QPS_INCREASE_SCALE, s.minFailingQps);
      s.left = qps;
      s.lastPassingQps = qps;
    } else {
      s.right = qps;
      s.minFailingQps = Math.min(s.minFailingQps, qps);
    }
  }
  return s;
}

export function etalonPropose(settings: SearchSettings, reports: readonly ProbeReport[]): Proposal {
  const s = etalonState(settings, reports);
  if (Math.abs(s.left - s.right) < (settings.etalon_granularity_pct * s.lastQps) / 100) {
    return { kind: 'stop', reason: 'converged' };
  }
  const qps = roundHalfEven2((s.left + s.right) / 2);
  if (qps === s.lastQps) return { kind: 'stop', reason: 'repeated_probe' };
  return { kind: 'probe', load: qps, replicate_of: null };
}

/** etalon's answer as a bracket: lo = the last passing QPS, hi = the lowest failing QPS. */
export function etalonBracket(settings: SearchSettings, reports: readonly ProbeReport[]) {
  const s = etalonState(settings, reports);
  return { lo: s.lastPassingQps, hi: s.minFailingQps === NO_FAILURE_QPS ? null : s.minFailingQps };
}

/**
 * Python's `round(x, 2)` for x ≥ 0: correctly rounded from the double's exact value, ties to even.
 * `toFixed` also works from the exact value but breaks ties upwards; an exact tie at the hundredths
 * needs x·200 to be an odd integer, i.e. x is an odd multiple of 1/8, and is handled apart.
 */
export function roundHalfEven2(x: number): number {
  if (Number.isInteger(x * 8) && !Number.isInteger(x * 4)) {
    const below = Math.floor(x * 100);
    return (below % 2 === 0 ? below : below + 1) / 100;
  }
  return Number(x.toFixed(2));
}
