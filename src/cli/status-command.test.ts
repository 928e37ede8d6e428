import { describe, expect, it } from 'vitest';
import { emptyProgress, type RunStatus } from '../core/run/run-status.ts';
import { formatStatus } from './status-command.ts';

function runStatus(over: Partial<RunStatus> = {}): RunStatus {
  const progress = { ...emptyProgress(20), dispatched: 20, done: 20, warmup_done: 8, by_outcome: { ok: 12 } };
  return {
    id: 'run-1',
    name: null,
    state: 'cancelled',
    reason: 'cancelled by user',
    created_at_ms: 1_000,
    started_at_ms: null,
    finished_at_ms: 1_500,
    eta_s: null,
    regions: { wnam: { ...progress, shards: 1 } },
    shards: [],
    ...over,
  };
}

describe('formatStatus', () => {
  it('shows measured outcomes, and warm-up requests apart rather than as ok', () => {
    const text = formatStatus(runStatus());
    expect(text).toContain('12 ok, (+8 warm-up)');
    expect(text).not.toContain('20 ok');
  });

  it('a run cancelled before it started shows no start time', () => {
    const text = formatStatus(runStatus());
    expect(text).not.toContain('started');
    expect(text).toContain('finished 1970-01-01T00:00:01Z');
  });
});
