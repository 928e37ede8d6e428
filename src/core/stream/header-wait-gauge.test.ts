import { describe, expect, it } from 'vitest';
import { HeaderWaitGauge } from './header-wait-gauge.ts';

describe('HeaderWaitGauge', () => {
  it('flags the 7th request dispatched while 6 wait (default limit)', () => {
    const gauge = new HeaderWaitGauge();
    const flags = Array.from({ length: 8 }, () => gauge.begin());
    expect(flags).toEqual([false, false, false, false, false, false, true, true]);
    expect(gauge.waiting).toBe(8);
    expect(gauge.maxWaiting).toBe(8);
    expect(gauge.dispatchedWhileSaturated).toBe(2);
  });

  it('frees a slot when headers arrive', () => {
    const gauge = new HeaderWaitGauge(2);
    expect(gauge.begin()).toBe(false);
    expect(gauge.begin()).toBe(false);
    gauge.end();
    expect(gauge.begin()).toBe(false);
    expect(gauge.begin()).toBe(true);
    for (let i = 0; i < 5; i++) gauge.end();
    expect(gauge.waiting).toBe(0); // never negative
    expect(gauge.maxWaiting).toBe(3);
    expect(gauge.dispatchedWhileSaturated).toBe(1);
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new HeaderWaitGauge(0)).toThrow(RangeError);
    expect(() => new HeaderWaitGauge(1.5)).toThrow(RangeError);
  });
});
