import { describe, expect, it } from 'vitest';
import { createCapacitySearch } from '../search/capacity-search.ts';
import type { SearchSettingsInput } from '../search/search-protocol.ts';
import { parseSlo } from '../search/slo.ts';
import { analyticCapacity } from '../sim/sim-capacity.ts';
import { parseSimConfig } from '../sim/sim-config.ts';
import { runSimSearch } from './sim-search-probe.ts';

// Whole capacity searches against the simulator's known knee, on virtual time (no wall time).

const config = parseSimConfig({
  decode_ms_per_token: 20,
  jitter: 0.1,
  capacity: { batch_slowdown: 0, knee: { sequences: 16, slowdown: 3 } },
});
const work = { promptTokens: 256, outputTokens: 16 };

async function search(settings: SearchSettingsInput) {
  const s = createCapacitySearch(settings, { maxOutputTokensPerRequest: work.outputTokens });
  return runSimSearch(s, { config, ...work, seed: 3, abort: settings.mode !== 'etalon' });
}

describe('capacity search against the simulator', () => {
  it('model mode finds the QPS capacity within its tolerance (constant arrivals)', async () => {
    const cap = analyticCapacity(config, parseSlo({ type: 'tbt_ttft' }), 'qps', work);
    const truth = cap.load;
    const blur = 2 * cap.serviceJitter;
    expect(blur).toBeLessThan(0.05);
    const run = await search({
      dimension: 'qps',
      arrivals: { type: 'constant' },
      slo: { type: 'tbt_ttft' },
      probe: { requests: 300 },
      cooldown_s: 0,
    });
    const { bracket, root } = run.result;
    expect(run.result.stop_reason).toBe('converged');
    // Jitter in the service time blurs the knee (sim-capacity.ts, section 3).
    expect(bracket.lo).toBeLessThanOrEqual(truth * (1 + blur));
    expect(bracket.hi).toBeGreaterThanOrEqual(truth * (1 - blur));
    expect(Math.abs((root?.load ?? 0) / truth - 1)).toBeLessThanOrEqual(0.05);
    // Early abort: fewer requests sent than probes × planned requests.
    expect(run.sent).toBeLessThan(run.result.probes.length * 300);
  });

  it('model mode finds the concurrency capacity: the knee itself', async () => {
    const run = await search({
      dimension: 'concurrency',
      slo: { type: 'tbt_ttft' },
      probe: { requests: 300 },
      load: { min: 1, max: 256 },
      cooldown_s: 0,
    });
    expect(run.result.bracket).toEqual({ lo: 16, hi: 17 });
  });
});
