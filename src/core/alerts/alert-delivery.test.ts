import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlertFacts,
  alertMessage,
  FIRST_RETRY_MS,
  MAX_ATTEMPTS,
  nextAttemptMs,
} from './alert-delivery.ts';

const facts: AlertFacts = {
  id: 'a1',
  run_id: 'sched:nightly:1767225600000',
  schedule_id: 'nightly',
  api: 'openai-chat',
  host: 'api.example.com',
  model: 'm',
  region: 'weur',
  metric: 'ttft_p50_s',
  value: 1.2,
  baseline: 1,
  band_lo: 0.95,
  band_hi: 1.05,
  reason: 'outside_band_twice',
  created_at_ms: 5,
};

describe('nextAttemptMs', () => {
  it('doubles the delay from one minute, then gives up after the last attempt', () => {
    const delays = Array.from({ length: MAX_ATTEMPTS }, (_, i) => nextAttemptMs(i + 1, 1_000));
    expect(delays.slice(0, 4).map((t) => ((t as number) - 1_000) / FIRST_RETRY_MS)).toEqual([1, 2, 4, 8]);
    expect(delays[MAX_ATTEMPTS - 1]).toBeNull();
  });

  it('is always later than now while attempts remain', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        (a, now) => {
          const next = nextAttemptMs(a, now);
          return next !== null && next > now;
        },
      ),
    );
  });
});

describe('alertMessage', () => {
  it('gives chat tools a message and the structured facts', () => {
    const body = alertMessage(facts);
    expect(body.text).toBe(body.content);
    expect(body.text).toBe(
      'fluidbench regression: ttft_p50_s of m at api.example.com (openai-chat), region weur: 1.2 vs baseline 1 (20%), band 0.95…1.05; outside the band twice in a row. Run sched:nightly:1767225600000, schedule nightly.',
    );
    expect(body).toMatchObject({ run_id: facts.run_id, band: { lo: 0.95, hi: 1.05 }, value: 1.2 });
  });

  it('says nothing of a percentage against a zero baseline', () => {
    const text = alertMessage({
      ...facts,
      metric: 'error_rate',
      baseline: 0,
      value: 0.1,
      schedule_id: null,
    }).text;
    expect(text).not.toContain('%');
    expect(text).not.toContain('schedule');
  });
});
