import { describe, expect, it } from 'vitest';
import { searchSloSchema } from '../../src/core/search/search-protocol.ts';
import { analyticCapacity } from '../../src/core/sim/sim-capacity.ts';
import { parseSimConfig } from '../../src/core/sim/sim-config.ts';
import { KNEE_SIM_CONFIG } from './knee-sim.ts';
import { createSearch, probeRunIds, simTemplate, waitForSearch } from './search-kit.ts';

// Whole searches against the tests' own simulator (knee-sim.ts): every decode step takes d while
// at most 16 sequences are active and 3·d beyond, so a TPOT objective of 2·d has an exact capacity,
// computed here the way the simulator's analytic model does (src/core/sim/sim-capacity.ts).

const TOLERANCE = 0.1;
const PROMPT_TOKENS = 16;
const OUTPUT_TOKENS = 4;

function kneeCapacity(decodeS: number, dimension: 'qps' | 'concurrency') {
  // The knobs every request of simTemplate carries, over the instance config.
  const config = parseSimConfig({
    ...KNEE_SIM_CONFIG,
    prefill_base_ms: 5,
    prefill_us_per_token: 10,
    decode_ms_per_token: decodeS * 1000,
  });
  const slo = searchSloSchema.parse({ type: 'ttft_tpot', ttft_slo_s: 1, tpot_slo_s: 2 * decodeS });
  const work = { promptTokens: PROMPT_TOKENS, outputTokens: OUTPUT_TOKENS, arrivals: 'constant' as const };
  return { slo, capacity: analyticCapacity(config, slo, dimension, work).load };
}

// Runs in the `campaign` test project (vitest.config.ts): production per-slice budget.
describe('a capacity search against the simulator finds its capacity', () => {
  it('finds the concurrency capacity within its tolerance', { timeout: 120_000 }, async () => {
    const decodeS = 0.04;
    const { slo, capacity } = kneeCapacity(decodeS, 'concurrency');
    expect(capacity).toBe(16);
    const id = await createSearch({
      name: 'knee-concurrency',
      template: simTemplate({ decode_ms_per_token: decodeS * 1000 }, OUTPUT_TOKENS),
      settings: {
        dimension: 'concurrency',
        slo,
        tolerance: TOLERANCE,
        probe: { requests: 48 },
        load: { min: 2, max: 64 },
        cooldown_s: 0,
        warm_start: 'off',
      },
    });
    const end = await waitForSearch(id, undefined, 110_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const { lo, hi } = end.result!.bracket;
    expect(end.result!.stop_reason, JSON.stringify(end.result)).toBe('converged');
    // Exact: the highest passing load is at most the capacity, the lowest failing one above it.
    expect(lo!).toBeLessThanOrEqual(capacity);
    expect(hi!).toBeGreaterThan(capacity);
    expect(hi! / lo!).toBeLessThanOrEqual(1 + TOLERANCE + 1e-9);
    // Every probe is a run of its own, with the deterministic id.
    expect(await probeRunIds(id)).toEqual(end.probes.map((p) => p.run_id).sort());
  });

  it('finds the QPS capacity within its tolerance', { timeout: 120_000 }, async () => {
    const decodeS = 0.1;
    const { slo, capacity } = kneeCapacity(decodeS, 'qps');
    const id = await createSearch({
      name: 'knee-qps',
      // Ten shards, so each sends a few QPS (this file runs in the `campaign` project, whose shards
      // keep the production per-slice budget: no pause between slices, no bursts).
      template: simTemplate({ decode_ms_per_token: decodeS * 1000 }, OUTPUT_TOKENS, 2),
      settings: {
        dimension: 'qps',
        arrivals: { type: 'constant' },
        slo,
        tolerance: TOLERANCE,
        probe: { requests: 60, warmup_requests: 40 },
        load: { min: 4, max: 400 },
        cooldown_s: 3,
        warm_start: 'off',
      },
    });
    const end = await waitForSearch(id, undefined, 110_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const { lo, hi } = end.result!.bracket;
    expect(lo, JSON.stringify(end.result)).not.toBeNull();
    expect(hi).not.toBeNull();
    // Near the analytic capacity. With the production slice budget (this project), a 3 s cooldown
    // (an overloaded probe leaves the target a queue to drain) and 40 warm-up requests, 2 of 3 local
    // runs bracketed it exactly ([48.4, 52.4] around 52.43); in the third, the first measured
    // requests of the probe at 45 were slow (every shard and the target share two cores here) and
    // the bracket ended one step lower. Room: three tolerance steps below, two above.
    expect(lo!).toBeGreaterThanOrEqual(capacity / (1 + TOLERANCE) ** 3);
    expect(hi!).toBeLessThanOrEqual(capacity * (1 + TOLERANCE) ** 2);
  });
});
