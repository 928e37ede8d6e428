import { describe, expect, it } from 'vitest';
import { parseSimConfig } from '../sim/sim-config.ts';
import { runSimProbe, type SimProbeInput } from './sim-probe.ts';

const base: SimProbeInput = {
  config: parseSimConfig({ jitter: 0.1, capacity: { batch_slowdown: 0.02 } }),
  load: { dimension: 'qps', arrivals: { type: 'poisson', qps: 20 } },
  requests: 50,
  warmupRequests: 5,
  promptTokens: 100,
  outputTokens: 8,
  seed: 11,
};

describe('in-process simulator probe', () => {
  it('measures the requests after the warm-up, with the simulator’s exact timings (time_scale applied)', async () => {
    const scale = 0.5;
    const config = parseSimConfig({
      jitter: 0,
      time_scale: scale,
      prefill_base_ms: 10,
      prefill_us_per_token: 100,
    });
    const r = await runSimProbe({
      ...base,
      config,
      load: { dimension: 'concurrency', n: 1 },
      requests: 3,
      warmupRequests: 2,
    });
    expect(r.sent).toBe(5);
    expect(r.measured.map((m) => m.index)).toEqual([2, 3, 4]);
    const prefillUs = (10 + (100 * 100) / 1000) * scale * 1000;
    const stepUs = 20 * scale * 1000;
    for (const m of r.measured) {
      expect(m.ok).toBe(true);
      expect(m.ittUs).toEqual([prefillUs, ...Array.from({ length: 7 }, () => stepUs)]);
    }
    expect(r.outputTokens).toBe(5 * 8);
    expect(r.elapsedMs).toBeCloseTo((5 * (prefillUs + 7 * stepUs)) / 1000, 6);
  });

  it('replays exactly with the same seed and differs with another', async () => {
    const a = await runSimProbe(base);
    const b = await runSimProbe(base);
    const c = await runSimProbe({ ...base, seed: 12 });
    expect(b.measured).toEqual(a.measured);
    expect(a.measured).toHaveLength(50);
    expect(c.measured).not.toEqual(a.measured);
  });

  it('stops at once when onMeasured asks: no new sends, in-flight requests cancelled', async () => {
    let seen = 0;
    const r = await runSimProbe({ ...base, requests: 500, onMeasured: () => ++seen >= 10 });
    expect(r.stopped).toBe(true);
    expect(r.measured).toHaveLength(10);
    expect(r.sent).toBeLessThan(500);
    expect(r.sent).toBeGreaterThanOrEqual(15);
  });
});
