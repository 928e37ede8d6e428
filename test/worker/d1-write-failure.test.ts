import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createRun, exportRecords, simRunConfig, waitForEnd, waitForStatus } from './run-kit.ts';

describe('D1 write failures', () => {
  it('are retried: every record lands exactly once and the failures are counted', async () => {
    const id = await createRun(
      simRunConfig(
        {
          workload: {
            arrivals: { type: 'concurrency', n: 2 },
            lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 10 },
            requests: 16,
            seed: 9,
          },
          regions: [{ location: 'weur', share: 1 }],
        },
        { decode_ms_per_token: 15 },
      ),
    );
    // Take the table away while the shard is writing, then give it back.
    await env.DB.exec('ALTER TABLE request_pages RENAME TO request_pages_away');
    // Gives the table back whatever happens; the wait fails the test if no write ever failed.
    try {
      await waitForStatus(id, (s) => (s.shards[0]?.progress.d1_write_failures ?? 0) > 0, 5_000, 25);
    } finally {
      await env.DB.exec('ALTER TABLE request_pages_away RENAME TO request_pages');
    }

    const end = await waitForEnd(id, 30_000);
    expect(end.state).toBe('done');
    expect(end.shards[0]?.progress.d1_write_failures).toBeGreaterThanOrEqual(1);
    expect(end.shards[0]?.progress.records_flushed).toBe(16);
    const ids = (await exportRecords(id)).map((r) => r.id);
    expect(ids.sort()).toEqual(Array.from({ length: 16 }, (_, i) => `${id}-${i}`).sort());
  });
});
