import { describe, expect, it } from 'vitest';
import { requestRecordSchema } from '../record/request-record.ts';
import { emptyProgress } from '../run/run-status.ts';
import {
  countFinished,
  type InFlightRow,
  lostRecord,
  runNonce,
  type ShardRecord,
  summarizeRecords,
} from './shard-record.ts';

const deadlines = { ttft_deadline_s: 1, tbt_deadline_s: 0.1, target_miss_rate: 0.1, ttft_slack_s: 1 };

function record(seq: number, over: Partial<ShardRecord> = {}): ShardRecord {
  return {
    id: `r-${seq}`,
    region: 'wnam',
    sent_at_ms: 1_000 + seq * 10,
    prompt_tokens: 8,
    output_tokens: 2,
    chunks: [
      [50, 1],
      [60, 1],
    ],
    token_count_source: 'events',
    outcome: 'ok',
    shard: 0,
    seq,
    warmup: false,
    ...over,
  };
}

describe('countFinished', () => {
  it('counts the outcome, saturation, header wait and schedule lag', () => {
    const p = { ...emptyProgress(3), dispatched: 2, in_flight: 2 };
    countFinished(p, record(0, { scheduled_at_ms: 990 }), {
      warmup: false,
      headerWaitSaturated: true,
      maxAwaitingHeaders: 6,
    });
    countFinished(p, record(1, { outcome: 'timeout' }), {
      warmup: true,
      headerWaitSaturated: false,
      maxAwaitingHeaders: 2,
    });
    expect(p).toMatchObject({
      in_flight: 0,
      done: 2,
      warmup_done: 1,
      errors: 0,
      by_outcome: { ok: 1 },
      dispatched_while_saturated: 1,
      max_awaiting_headers: 6,
      max_schedule_lag_ms: 10,
    });
  });
});

describe('lostRecord', () => {
  const row: InFlightRow = {
    pos: 4,
    seq: 9,
    id: 'run-9',
    scheduledAtMs: 500,
    dispatchedAtMs: 510,
    promptTokens: 12,
    warmup: true,
  };

  it('is a valid network_error record sent at the dispatch mark, keeping its place', () => {
    const lost = lostRecord(row, { region: 'weur', index: 2 }, 9_999);
    const { shard, seq, warmup, ...interchange } = lost;
    expect(requestRecordSchema.parse(interchange)).toMatchObject({
      id: 'run-9',
      region: 'weur',
      scheduled_at_ms: 500,
      sent_at_ms: 510,
      outcome: 'network_error',
      output_tokens: 0,
    });
    expect({ shard, seq, warmup }).toEqual({ shard: 2, seq: 9, warmup: true });
  });

  it('falls back to the schedule, then the clock, for its send time', () => {
    expect(lostRecord({ ...row, dispatchedAtMs: null }, { region: 'x', index: 0 }, 9_999).sent_at_ms).toBe(
      500,
    );
    const closedLoop = { ...row, dispatchedAtMs: null, scheduledAtMs: null };
    const lost = lostRecord(closedLoop, { region: 'x', index: 0 }, 9_999);
    expect(lost.sent_at_ms).toBe(9_999);
    expect('scheduled_at_ms' in lost).toBe(false);
  });
});

describe('summarizeRecords', () => {
  it('summarises measured requests only, with their first and last send', () => {
    const records = [
      record(0, { warmup: true }),
      record(1),
      record(2, { outcome: 'http_error', chunks: [], output_tokens: 0 }),
    ];
    const summary = summarizeRecords(records, deadlines);
    expect(summary.sends).toEqual({ count: 2, firstMs: 1_010, lastMs: 1_020 });
    expect(Object.keys(summary.regions)).toEqual(['wnam']);
  });

  it('has no sends and no regions without measured requests', () => {
    expect(summarizeRecords([record(0, { warmup: true })], deadlines)).toEqual({
      regions: {},
      sends: { count: 0, firstMs: null, lastMs: null },
    });
  });
});

describe('runNonce', () => {
  it('differs between run ids and is a 32-bit unsigned integer', () => {
    expect(runNonce('run-a')).not.toBe(runNonce('run-b'));
    expect(runNonce('run-a')).toBe(runNonce('run-a'));
    expect(Number.isInteger(runNonce('x')) && runNonce('x') >= 0 && runNonce('x') < 2 ** 32).toBe(true);
  });
});
