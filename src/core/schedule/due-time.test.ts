import { describe, expect, it } from 'vitest';
import { dueNow, MAX_COUNTED_DUE_TIMES } from './due-time.ts';

const ms = (iso: string) => Date.parse(iso);

describe('dueNow', () => {
  const daily = { cron: '0 3 * * *', timezone: 'UTC', sinceMs: ms('2026-01-01T00:00:00Z') };

  it('starts a due schedule at its due time, and nothing before it', () => {
    expect(dueNow({ ...daily, lastDueMs: null, nowMs: ms('2026-01-01T02:59:00Z') })).toBeNull();
    expect(dueNow({ ...daily, lastDueMs: null, nowMs: ms('2026-01-01T03:00:00Z') })).toEqual({
      dueMs: ms('2026-01-01T03:00:00Z'),
      coalesced: 0,
      coalescedCapped: false,
    });
  });

  it('a second tick with the same scheduled time finds nothing new once the first is recorded', () => {
    const now = ms('2026-01-01T03:00:00Z');
    const first = dueNow({ ...daily, lastDueMs: null, nowMs: now });
    expect(first?.dueMs).toBe(now);
    expect(dueNow({ ...daily, lastDueMs: first?.dueMs ?? null, nowMs: now })).toBeNull();
    // And the ticks of the following minutes, until the next day's 03:00.
    expect(dueNow({ ...daily, lastDueMs: now, nowMs: ms('2026-01-02T02:59:00Z') })).toBeNull();
  });

  it('a late tick after downtime starts the latest due time and counts the missed ones', () => {
    const result = dueNow({
      ...daily,
      lastDueMs: ms('2026-01-01T03:00:00Z'),
      nowMs: ms('2026-01-05T03:07:00Z'),
    });
    // Due: Jan 2, 3, 4, 5 at 03:00. Jan 5 starts; Jan 2–4 are coalesced into it.
    expect(result).toEqual({ dueMs: ms('2026-01-05T03:00:00Z'), coalesced: 3, coalescedCapped: false });
  });

  it('a schedule created after a due time does not owe it', () => {
    const result = dueNow({
      ...daily,
      sinceMs: ms('2026-01-01T03:00:00Z'),
      lastDueMs: null,
      nowMs: ms('2026-01-01T03:00:30Z'),
    });
    expect(result).toBeNull();
  });

  it('reads the expression in its time zone', () => {
    const berlin = { cron: '0 3 * * *', timezone: 'Europe/Berlin', sinceMs: ms('2026-01-01T00:00:00Z') };
    // 03:00 in Berlin is 02:00 UTC in winter (CET) and 01:00 UTC in summer (CEST).
    expect(dueNow({ ...berlin, lastDueMs: null, nowMs: ms('2026-01-10T02:00:00Z') })?.dueMs).toBe(
      ms('2026-01-10T02:00:00Z'),
    );
    expect(dueNow({ ...berlin, lastDueMs: null, nowMs: ms('2026-01-10T01:59:00Z') })?.dueMs).toBe(
      ms('2026-01-09T02:00:00Z'),
    );
    expect(
      dueNow({ ...berlin, lastDueMs: ms('2026-07-09T01:00:00Z'), nowMs: ms('2026-07-10T01:00:00Z') }),
    ).toEqual({ dueMs: ms('2026-07-10T01:00:00Z'), coalesced: 0, coalescedCapped: false });
    const tokyo = { cron: '30 9 * * 1', timezone: 'Asia/Tokyo', sinceMs: ms('2026-01-01T00:00:00Z') };
    // Monday 09:30 in Tokyo (UTC+9) is Monday 00:30 UTC; 2026-01-05 is a Monday.
    expect(dueNow({ ...tokyo, lastDueMs: null, nowMs: ms('2026-01-05T00:30:00Z') })?.dueMs).toBe(
      ms('2026-01-05T00:30:00Z'),
    );
  });

  it('pins the spring-forward gap: 02:30 Berlin on 2026-03-29 does not exist and fires at 03:00 local', () => {
    const gap = {
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      sinceMs: ms('2026-03-27T12:00:00Z'),
      lastDueMs: ms('2026-03-28T01:30:00Z'), // 02:30 CET on the 28th
    };
    // At 00:59 UTC (01:59 CET) nothing; the clocks jump from 02:00 CET to 03:00 CEST = 01:00 UTC.
    expect(dueNow({ ...gap, nowMs: ms('2026-03-29T00:59:00Z') })).toBeNull();
    expect(dueNow({ ...gap, nowMs: ms('2026-03-29T01:00:00Z') })).toEqual({
      dueMs: ms('2026-03-29T01:00:00Z'),
      coalesced: 0,
      coalescedCapped: false,
    });
    // Once, not again at 03:30 CEST.
    expect(
      dueNow({ ...gap, lastDueMs: ms('2026-03-29T01:00:00Z'), nowMs: ms('2026-03-29T01:30:00Z') }),
    ).toBeNull();
  });

  it('pins the fall-back overlap: 02:30 Berlin on 2026-10-25 happens twice and fires once, the first time', () => {
    const overlap = {
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      sinceMs: ms('2026-10-24T12:00:00Z'),
      lastDueMs: null,
    };
    const first = dueNow({ ...overlap, nowMs: ms('2026-10-25T00:30:00Z') }); // 02:30 CEST
    expect(first?.dueMs).toBe(ms('2026-10-25T00:30:00Z'));
    // 02:30 CET (01:30 UTC) is not a second due time.
    expect(
      dueNow({ ...overlap, lastDueMs: first?.dueMs ?? null, nowMs: ms('2026-10-25T01:30:00Z') }),
    ).toBeNull();
  });

  it('stops counting missed due times at the cap and says so', () => {
    const result = dueNow({
      cron: '* * * * *',
      timezone: 'UTC',
      sinceMs: 0,
      lastDueMs: ms('2026-01-01T00:00:00Z'),
      nowMs: ms('2026-02-01T00:00:00Z'),
    });
    expect(result?.dueMs).toBe(ms('2026-02-01T00:00:00Z'));
    expect(result?.coalesced).toBe(MAX_COUNTED_DUE_TIMES);
    expect(result?.coalescedCapped).toBe(true);
  });
});
