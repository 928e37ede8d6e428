import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryResponse } from '../core/api/history-api-schemas.ts';
import { toSeries } from '../core/history/history-series.ts';
import { spawnCli } from './testing/spawn-cli.ts';

// The real CLI against a loopback stand-in for the API that answers one stored series.
const VALUES = [0.5, 0.51, 0.49, 0.5, 0.52, 0.5, 0.6, 0.61];
const ANSWER: HistoryResponse = {
  series: toSeries(
    VALUES.map((value, i) => ({
      schedule_id: 'nightly',
      api: 'openai-chat',
      host: 'api.example.com',
      model: 'm1',
      region: 'weur',
      metric: 'ttft_p50_s' as const,
      run_id: `r${i}`,
      kind: 'run' as const,
      at_ms: Date.UTC(2026, 11, 1 + i),
      value,
      lo: null,
      hi: null,
    })),
  ),
  points: VALUES.length,
  truncated: false,
};

describe('fluidbench history', () => {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.headers.authorization} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ANSWER));
  });
  let env: Record<string, string>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    env = { FLUIDBENCH_URL: `http://127.0.0.1:${port}`, FLUIDBENCH_TOKEN: 'tok-0123456789abcdef' };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the filters and prints the sparkline, last values and the flag', async () => {
    const run = await spawnCli(['history', '--model', 'm1', '--region', 'weur', '--metric', 'ttft_p50_s'], {
      env,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(seen.at(-1)).toBe(
      'Bearer tok-0123456789abcdef /v1/history?model=m1&region=weur&metric=ttft_p50_s&limit=500',
    );
    expect(run.stdout).toContain('▂▂▁▂▃▂▇█');
    expect(run.stdout).toContain('0.5 0.6 0.61');
    expect(run.stdout).toContain('⚠ 2026-12-08');
  });

  it('prints the answer as JSON with --json', async () => {
    const run = await spawnCli(['history', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(ANSWER);
  });

  it('refuses an unknown metric before calling the API', async () => {
    const before = seen.length;
    const run = await spawnCli(['history', '--metric', 'ttft'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--metric <metric>' argument 'ttft' is invalid/);
    expect(seen.length).toBe(before);
  });
});
