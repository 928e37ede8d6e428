import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, createRun, exportRecords, simRunConfig } from './run-kit.ts';

describe('the coordinator when D1 fails while it finalises', () => {
  it('retries on its own alarm until the results are stored', async () => {
    const id = await createRun(
      simRunConfig({
        workload: {
          arrivals: { type: 'concurrency', n: 2 },
          lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 5 },
          requests: 6,
        },
        regions: [{ location: 'afr', share: 1 }],
      }),
    );
    // The run table goes away while the shard is still sending, so finalising cannot write to it.
    await env.DB.exec('ALTER TABLE runs RENAME TO runs_away');
    await new Promise((r) => setTimeout(r, 2_500));
    const stuck = await env.DB.prepare('SELECT state FROM runs_away WHERE id = ?')
      .bind(id)
      .first<{ state: string }>();
    expect(stuck?.state).toBe('running');
    await env.DB.exec('ALTER TABLE runs_away RENAME TO runs');

    await expect
      .poll(async () => ((await (await call(`/v1/runs/${id}`)).json()) as { state: string }).state, {
        timeout: 20_000,
        interval: 100,
      })
      .toBe('done');
    expect((await call(`/v1/runs/${id}/results`)).status).toBe(200);
    expect(await exportRecords(id)).toHaveLength(6);
  });
});
