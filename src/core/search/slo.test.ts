import { describe, expect, it } from 'vitest';
import { evaluateSlo, parseSlo, type SloRequest } from './slo.ts';

const req = (ittUs: number[], promptTokens = 1000): SloRequest => ({
  ittUs: Float64Array.from(ittUs),
  promptTokens,
});
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

describe('SLO config', () => {
  it("fills etalon's defaults per type", () => {
    expect(parseSlo({ type: 'deadline' })).toEqual({
      type: 'deadline',
      miss_rate_percentile: 0.99,
      miss_rate_slo: 0.1,
      ttft_slack_s: 0.3,
      tbt_slo_s: 0.03,
    });
    expect(parseSlo({ type: 'tbt_ttft' })).toEqual({
      type: 'tbt_ttft',
      tbt_percentile: 0.99,
      tbt_slo_s: 0.03,
      ttft_percentile: 0.9,
      ttft_slo_s: 0.1,
    });
    expect(parseSlo({ type: 'ttft_tpot' })).toEqual({
      type: 'ttft_tpot',
      ttft_percentile: 0.9,
      ttft_slo_s: 0.1,
      tpot_percentile: 0.9,
      tpot_slo_s: 0.1,
    });
  });

  it('rejects bad values and lists every issue', () => {
    const bad = {
      type: 'deadline',
      miss_rate_percentile: 1.5,
      miss_rate_slo: -0.1,
      ttft_slack_s: -1,
      tbt_slo_s: 0,
    };
    let message = '';
    try {
      parseSlo({ ...bad, tbt_slo: 0.03 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^invalid SLO config/);
    for (const key of ['miss_rate_percentile', 'miss_rate_slo', 'ttft_slack_s', 'tbt_slo_s', '"tbt_slo"']) {
      expect(message).toContain(key);
    }
    expect(() => parseSlo({ type: 'p99_latency' })).toThrow(/type/);
  });
});

describe('tbt_ttft', () => {
  const slo = parseSlo({ type: 'tbt_ttft' }); // P99 TBT ≤ 0.03 s and P90 TTFT ≤ 0.1 s

  it('passes smooth streams and reports both parts', () => {
    const result = evaluateSlo(
      slo,
      times(10, () => req([50_000, 20_000, 20_000, 20_000])),
    );
    expect(result.passed).toBe(true);
    expect(result.parts.map((p) => [p.name, p.statistic, p.samples])).toEqual([
      ['tbt', 0.02, 30],
      ['ttft', 0.05, 10],
    ]);
    expect(result.statistic).toBe(0.02); // 0.02 / 0.03 is closer to its limit than 0.05 / 0.1
    expect(result.threshold).toBe(0.03);
    expect(result.detail).toMatch(/tbt.*ttft/);
  });

  it('fails on one stall in the pooled TBT values', () => {
    const requests = times(10, (i) => req([50_000, 20_000, 20_000, i === 3 ? 100_000 : 20_000]));
    const result = evaluateSlo(slo, requests);
    expect(result.passed).toBe(false);
    // type 7 over 30 values: h = 28.71, between 20000 and 100000 µs
    expect(result.parts[0]?.statistic).toBeCloseTo(0.0768, 12);
    expect(result.parts[1]?.passed).toBe(true);
    expect(result.statistic).toBeCloseTo(0.0768, 12);
  });

  it('passes exactly at the thresholds and fails 1 µs over', () => {
    expect(
      evaluateSlo(
        slo,
        times(5, () => req([100_000, 30_000, 30_000])),
      ).passed,
    ).toBe(true);
    const late = evaluateSlo(
      slo,
      times(5, () => req([100_001, 30_000, 30_000])),
    );
    expect(late.passed).toBe(false);
    expect(late.parts.map((p) => p.passed)).toEqual([true, false]);
    expect(late.statistic).toBe(0.100001);
    expect(late.threshold).toBe(0.1);
  });

  it('does not pass without TBT values', () => {
    const result = evaluateSlo(slo, [req([10_000]), req([10_000])]);
    expect(result.passed).toBe(false);
    expect(result.parts[0]).toMatchObject({ name: 'tbt', statistic: null, samples: 0, passed: false });
    expect(result.statistic).toBeNull();
  });
});

describe('ttft_tpot', () => {
  const slo = parseSlo({ type: 'ttft_tpot' }); // P90 TTFT ≤ 0.1 s and P90 TPOT ≤ 0.1 s

  it('passes and fails on TPOT, the mean of itt[1:]', () => {
    expect(
      evaluateSlo(
        slo,
        times(4, () => req([80_000, 50_000, 150_000])),
      ).passed,
    ).toBe(true); // TPOT 0.1
    const slow = evaluateSlo(
      slo,
      times(4, () => req([80_000, 100_000, 100_001])),
    );
    expect(slow.passed).toBe(false);
    expect(slow.parts[1]?.statistic).toBeCloseTo(0.1000005, 12);
    expect(slow.parts[0]?.passed).toBe(true);
  });

  it('fails on TTFT', () => {
    const result = evaluateSlo(
      slo,
      times(4, () => req([400_000, 10_000])),
    );
    expect(result.passed).toBe(false);
    expect(result.parts.map((p) => p.name)).toEqual(['ttft', 'tpot']);
    expect(result.statistic).toBe(0.4);
  });

  it('leaves requests with fewer than 2 tokens out of TPOT (etalon would count a 0)', () => {
    const requests = [...times(9, () => req([50_000])), req([50_000, 200_000, 200_000])];
    const result = evaluateSlo(slo, requests);
    expect(result.parts[1]).toMatchObject({ name: 'tpot', statistic: 0.2, samples: 1, passed: false });
    expect(result.parts[0]?.samples).toBe(10);
    expect(result.passed).toBe(false);
  });
});

describe('deadline', () => {
  const slo = parseSlo({ type: 'deadline' }); // P99 miss rate ≤ 0.1; Dp = prefill + 0.3 s; D = 0.03 s
  const predict = (promptTokens: number) => 10 * promptTokens; // 1000 tokens → 10 ms
  // First token exactly on Dp = 310 ms, eight on time, then one gap of `lastUs`.
  const stream = (lastUs: number, promptTokens = 1000) =>
    req([310_000, ...times(8, () => 30_000), lastUs], promptTokens);

  it('passes exactly at the miss-rate SLO: 1 of 10 deadlines missed', () => {
    const result = evaluateSlo(
      slo,
      times(20, () => stream(45_000)),
      predict,
    );
    expect(result.passed).toBe(true);
    expect(result.statistic).toBe(0.1);
    expect(result.threshold).toBe(0.1);
    expect(result.parts).toHaveLength(1);
  });

  it('fails above it: 2 of 11 missed', () => {
    const result = evaluateSlo(
      slo,
      times(20, () => stream(60_000)),
      predict,
    );
    expect(result.passed).toBe(false);
    expect(result.statistic).toBeCloseTo(2 / 11, 15);
  });

  it('takes the TTFT deadline from the predictor per prompt length', () => {
    // With a 0-token prompt Dp = 300 ms, so the first token is late too: 2 of 10 missed.
    const result = evaluateSlo(slo, [stream(45_000, 0)], predict);
    expect(result.statistic).toBe(0.2);
    expect(result.passed).toBe(false);
  });

  it('rounds the predicted prefill to whole µs', () => {
    expect(evaluateSlo(slo, [stream(30_000)], () => 9_999.5).statistic).toBe(0);
    expect(evaluateSlo(slo, [stream(30_000)], () => 9_999.4).statistic).toBeGreaterThan(0);
  });

  it('uses the configured percentile over requests', () => {
    const requests = [...times(9, () => stream(30_000)), stream(120_000)];
    const p50 = parseSlo({ type: 'deadline', miss_rate_percentile: 0.5 });
    expect(evaluateSlo(p50, requests, predict).passed).toBe(true);
    expect(evaluateSlo(slo, requests, predict).passed).toBe(false);
  });

  it('leaves requests without output tokens out instead of counting them as on time', () => {
    const p90 = parseSlo({ type: 'deadline', miss_rate_percentile: 0.9 });
    const requests = [stream(60_000), ...times(20, () => req([]))];
    const result = evaluateSlo(p90, requests, predict);
    expect(result.parts[0]?.samples).toBe(1);
    expect(result.passed).toBe(false);
  });

  it('throws without a predictor, or when it returns nonsense', () => {
    expect(() => evaluateSlo(slo, [stream(30_000)])).toThrow(/prefill predictor/);
    expect(() => evaluateSlo(slo, [stream(30_000)], () => Number.NaN)).toThrow(RangeError);
  });
});

describe('no data', () => {
  it.each(['deadline', 'tbt_ttft', 'ttft_tpot'] as const)(
    '%s does not pass with zero successful requests',
    (type) => {
      const result = evaluateSlo(parseSlo({ type }), [], () => 0);
      expect(result.passed).toBe(false);
      expect(result.statistic).toBeNull();
      expect(result.detail).toBe('no successful requests');
    },
  );

  it('does not pass when no request produced a token', () => {
    const result = evaluateSlo(parseSlo({ type: 'tbt_ttft' }), [req([]), req([])]);
    expect(result.passed).toBe(false);
    expect(result.detail).toMatch(/none of the 2/);
  });
});

describe('attainment', () => {
  const slo = parseSlo({ type: 'attainment', target: 0.9 }); // TTFT ≤ 0.1 s and TPOT ≤ 0.1 s per request

  it('passes when at least the target fraction meets every objective, boundary included', () => {
    const good = () => req([50_000, 20_000]);
    const slowTpot = () => req([50_000, 150_000]);
    const atTarget = evaluateSlo(slo, [...times(9, good), slowTpot()]);
    expect(atTarget.passed).toBe(true);
    expect(atTarget.parts[0]).toMatchObject({ name: 'attainment_miss', statistic: 0.1, samples: 10 });
    const below = evaluateSlo(slo, [...times(8, good), slowTpot(), req([150_000])]);
    expect(below.passed).toBe(false);
    expect(below.statistic).toBe(0.2);
  });
});
