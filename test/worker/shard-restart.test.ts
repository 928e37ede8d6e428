import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { shardStub } from '../../src/worker/durable/run-protocol.ts';
import { createRun, exportRecords, simRunConfig, waitForEnd, waitForStatus } from './run-kit.ts';

describe('a shard restarted mid-run', () => {
  it('resumes from its own storage: every request recorded exactly once, those in flight as lost', async () => {
    const id = await createRun(
      simRunConfig(
        {
          workload: {
            arrivals: { type: 'concurrency', n: 2 },
            lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 15 },
            requests: 12,
            seed: 5,
          },
          regions: [{ location: 'wnam', share: 1 }],
        },
        { decode_ms_per_token: 20 },
      ),
    );
    // Wait until the shard has requests in flight and some finished, then reset the object.
    await waitForStatus(
      id,
      (s) => (s.shards[0]?.progress.done ?? 0) >= 2 && (s.shards[0]?.progress.in_flight ?? 0) > 0,
      5_000,
      25,
    );
    await runInDurableObject(shardStub(env, id, 0), (_instance, state) => {
      try {
        state.abort('test: simulated restart');
      } catch {
        // abort() throws in the caller by design.
      }
    }).catch(() => undefined);

    const end = await waitForEnd(id, 30_000);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const records = await exportRecords(id);
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `${id}-${i}`).sort());
    const lost = records.filter((r) => r.outcome !== 'ok');
    // The requests in flight at the reset are recorded as lost streams, not dropped or re-sent.
    for (const r of lost) {
      expect(r.outcome).toBe('network_error');
      expect(r.error).toContain('restarted');
    }
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost.length).toBeLessThanOrEqual(2);
  });
});
