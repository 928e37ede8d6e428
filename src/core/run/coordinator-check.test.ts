import { describe, expect, it } from 'vitest';
import { nextCheckAtMs } from './coordinator-check.ts';

describe('nextCheckAtMs', () => {
  const settings = { heartbeatMs: 2_000, deadShardMs: 60_000 };
  it('checks a quarter of the silence limit apart, not every heartbeat', () => {
    expect(nextCheckAtMs(1_000, settings, 1e12)).toBe(16_000);
  });
  it('never sooner than a heartbeat', () => {
    expect(nextCheckAtMs(0, { heartbeatMs: 2_000, deadShardMs: 1_000 }, 1e12)).toBe(2_000);
  });
  it('wakes just after the timeout, and at once when it has passed', () => {
    expect(nextCheckAtMs(1_000, settings, 5_000)).toBe(5_001);
    expect(nextCheckAtMs(9_000, settings, 5_000)).toBe(9_000);
  });
});
