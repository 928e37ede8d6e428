import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertsResponse } from '../core/api/alerts-api-schemas.ts';
import { runAlertsSection } from '../core/report/format-alerts.ts';
import { sinceMs } from './alerts-command.ts';
import { spawnCli } from './testing/spawn-cli.ts';

// The real CLI against a loopback stand-in for GET /v1/alerts.
const ALERT: Alert = {
  id: 'a1',
  created_at_ms: Date.UTC(2026, 11, 5, 3, 4),
  run_id: 'sched-sch-x-1-0',
  schedule_id: 'sch-x',
  api: 'openai-chat',
  host: 'api.example.com',
  model: 'm1',
  region: 'weur',
  metric: 'ttft_p99_s',
  value: 1.34,
  baseline: 0.9,
  band_lo: 0.81,
  band_hi: 0.99,
  reason: 'outside_band_twice',
  webhook_state: 'pending',
  attempts: 2,
};
const ANSWER: AlertsResponse = { alerts: [ALERT], truncated: false, webhook: 'configured' };

describe('fluidbench alerts', () => {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ANSWER));
  });
  let env: Record<string, string>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    env = { FLUIDBENCH_URL: `http://127.0.0.1:${port}`, FLUIDBENCH_TOKEN: 'tok-0123456789abcdef' };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the filters and prints one row per alert with its delivery state', async () => {
    const run = await spawnCli(
      ['alerts', '--run', 'r1', '--metric', 'ttft_p99_s', '--since', '2026-12-01', '--limit', '20'],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(seen.at(-1)).toBe(
      `/v1/alerts?run_id=r1&metric=ttft_p99_s&from_ms=${Date.UTC(2026, 11, 1)}&limit=20`,
    );
    expect(run.stdout).toContain('1.34');
    expect(run.stdout).toContain('0.9 [0.81, 0.99]');
    expect(run.stdout).toContain('pending (2 attempts)');
    expect(run.stdout).toContain('webhook: configured');
  });

  it('prints the answer as JSON with --json, and refuses a bad --since or --limit (exit 2)', async () => {
    const run = await spawnCli(['alerts', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(ANSWER);
    const bad = await spawnCli(['alerts', '--since', 'yesterday-ish'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since');
    expect((await spawnCli(['alerts', '--limit', '501'], { env })).code).toBe(2);
  });
});

describe('alerts under a run', () => {
  it('adds a section only when the run raised alerts', () => {
    expect(runAlertsSection(undefined)).toBe('');
    expect(runAlertsSection([])).toBe('');
    const text = runAlertsSection([ALERT, { ...ALERT, id: 'a2', metric: 'error_rate' }]);
    expect(text).toContain('2 regression alerts');
    expect(text).toContain('error_rate');
  });

  it('--since reads epoch ms and ISO times', () => {
    expect(sinceMs('1700000000000')).toBe(1_700_000_000_000);
    expect(sinceMs('2026-12-01T03:00:00Z')).toBe(Date.UTC(2026, 11, 1, 3));
    expect(() => sinceMs('soon')).toThrow(/--since/);
  });
});
