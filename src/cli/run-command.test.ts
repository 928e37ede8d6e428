import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../core/metrics/analysis.ts';
import { buildResults } from '../core/report/run-results.ts';
import { deadlineOptionsOf, runConfigSchema } from '../core/run/run-config.ts';
import type { RunStatus } from '../core/run/run-status.ts';
import { ApiClient } from './api-client.ts';
import { CliError, EXIT_BUG } from './cli-error.ts';
import { reportFinishedRun } from './run-command.ts';

// `run --wait` ends in reportFinishedRun: a run that ended `failed` (e.g. every measured request
// failed) prints its results and exits 1. A loopback HTTP server plays the API's /results with
// results built as the coordinator builds them (of a run with no records), so they pass the CLI's
// schema check.
const reason = 'all 8 measured requests failed: 8 network_error';
const config = runConfigSchema.parse({
  name: 'exit-status',
  target: { api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' },
  workload: {
    requests: 8,
    arrivals: { type: 'concurrency', n: 1 },
    lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 8 },
  },
});

function resultsOf(id: string, state: 'done' | 'failed', why: string) {
  const report = new Analyzer({ deadlines: deadlineOptionsOf(config) }).report();
  const run = {
    runId: id,
    name: null,
    config,
    state,
    reason: why,
    createdAtMs: 0,
    startAtMs: 0,
    finishedAtMs: 1,
  };
  return buildResults({ run, shards: [], report });
}
let server: http.Server;
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const state = req.url?.includes('run-done') ? 'done' : 'failed';
    res.end(JSON.stringify(resultsOf('run-x', state, state === 'done' ? 'completed' : reason)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function finished(id: string, state: RunStatus['state'], why: string): RunStatus {
  return {
    id,
    name: null,
    state,
    reason: why,
    created_at_ms: 0,
    started_at_ms: 0,
    finished_at_ms: 1,
    eta_s: null,
    regions: {},
    shards: [],
  };
}

describe('run --wait exit status', () => {
  it('exits 1 with the reason when the run failed, after printing its results', async () => {
    const printed: string[] = [];
    const client = new ApiClient({ url, token: { token: 'test-token-0123456789', source: 'test' } });
    const error = await reportFinishedRun(client, finished('run-failed', 'failed', reason), {
      json: true,
      out: (text) => printed.push(text),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_BUG);
    expect((error as CliError).message).toBe(`run run-failed failed: ${reason}`);
    expect(JSON.parse(printed.join(''))).toMatchObject({ state: 'failed', reason });
  });

  it('returns normally (exit 0) when the run is done', async () => {
    const client = new ApiClient({ url, token: { token: 'test-token-0123456789', source: 'test' } });
    const results = await reportFinishedRun(client, finished('run-done', 'done', 'completed'), {
      json: true,
      out: () => {},
    });
    expect(results).toMatchObject({ state: 'done' });
  });
});

describe('run --dry-run', () => {
  it('prints the plan and its estimated cost without contacting any API', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'fluidbench-dry-'));
    const file = path.join(dir, 'run.json');
    await writeFile(file, JSON.stringify({ ...config, name: 'dry' }));
    const { runCommand } = await import('./run-command.ts');
    let text = '';
    // Port 9 refuses connections: a request to it would fail the command.
    await runCommand({ config: file, url: 'http://127.0.0.1:9', dryRun: true }, (t) => {
      text += t;
    });
    expect(text).toMatch(/plan: 8 requests, 1 shard\(s\) \(1 in wnam\)/);
    expect(text).toMatch(/total .*\$/);
    let json = '';
    await runCommand({ config: file, url: 'http://127.0.0.1:9', dryRun: true, json: true }, (t) => {
      json += t;
    });
    const parsed = JSON.parse(json) as {
      requests: number;
      output_tokens: number;
      cost: { total_usd: number };
    };
    expect(parsed.requests).toBe(8);
    expect(parsed.output_tokens).toBe(64);
    expect(parsed.cost.total_usd).toBeGreaterThan(0);
  });
});
