import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../core/metrics/analysis.ts';
import { type RequestRecord, requestRecordSchema } from '../core/record/request-record.ts';
import type { Comparison } from '../core/report/compare-runs.ts';
import { buildResults } from '../core/report/run-results.ts';
import { deadlineOptionsOf, runConfigSchema } from '../core/run/run-config.ts';
import { createRandom } from '../core/workload/seeded-random.ts';
import { spawnCli } from './testing/spawn-cli.ts';

// The real CLI against a loopback stand-in for the API: two finished runs (results built as the
// coordinator builds them, records served as /requests pages), an unfinished one, and 404s.
const config = runConfigSchema.parse({
  target: { api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' },
  workload: {
    requests: 400,
    arrivals: { type: 'concurrency', n: 1 },
    lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 8 },
  },
});

function records(seed: number, ttftMs: number): RequestRecord[] {
  const random = createRandom(seed);
  return Array.from({ length: 400 }, (_, i) => {
    let at = ttftMs * (0.8 + 0.4 * random.next());
    const chunks: [number, number][] = [];
    for (let t = 0; t < 8; t++, at += 10 + 20 * random.next()) chunks.push([at, 1]);
    return requestRecordSchema.parse({
      id: `q${String(i).padStart(4, '0')}`,
      region: 'weur',
      sent_at_ms: 1_700_000_000_000 + i,
      prompt_tokens: 8,
      output_tokens: 8,
      chunks,
      token_count_source: 'usage_stream',
      outcome: 'ok',
      status: 200,
    });
  });
}

const RUNS = new Map(
  [
    ['run-a', records(1, 100)],
    ['run-b', records(2, 150)],
  ].map(([id, recs]) => {
    const analyzer = new Analyzer({ deadlines: deadlineOptionsOf(config) });
    for (const r of recs as RequestRecord[]) analyzer.add(r);
    const run = { runId: id as string, name: null, config, state: 'done' as const, reason: 'completed' };
    const times = { createdAtMs: 0, startAtMs: 0, finishedAtMs: 1 };
    return [
      id as string,
      {
        results: buildResults({ run: { ...run, ...times }, shards: [], report: analyzer.report() }),
        recs: recs as RequestRecord[],
      },
    ];
  }),
);

function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  const match = /^\/v1\/runs\/([^/]+)\/(results|requests)$/.exec(url.pathname);
  const run = match ? RUNS.get(decodeURIComponent(match[1]!)) : undefined;
  const error = (status: number, code: string, message: string): void => {
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { code, message, request_id: 'req-1' } }));
  };
  if (match?.[1] === 'run-busy') {
    error(409, 'conflict', 'run run-busy is running');
    return;
  }
  if (!match || !run) {
    error(404, 'not_found', `no run with id ${match?.[1]}`);
    return;
  }
  if (match[2] === 'results') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(run.results));
    return;
  }
  const after = url.searchParams.get('after');
  const limit = Number(url.searchParams.get('limit'));
  const page = run.recs.filter((r) => after === null || r.id > after).slice(0, limit);
  res
    .writeHead(200, { 'content-type': 'application/x-ndjson', 'x-run-state': 'done' })
    .end(page.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

describe('fluidbench compare', () => {
  const server = createServer(answer);
  let env: Record<string, string>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    env = { FLUIDBENCH_URL: `http://127.0.0.1:${port}`, FLUIDBENCH_TOKEN: 'tok-0123456789abcdef' };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('compares two runs with intervals from their records (--json)', async () => {
    const run = await spawnCli(['compare', 'run-a', 'run-b', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const c = JSON.parse(run.stdout) as Comparison;
    expect(c.runs.map((r) => [r.id, r.records])).toEqual([
      ['run-a', 400],
      ['run-b', 400],
    ]);
    const ttft = c.metrics.find((m) => m.metric === 'ttft_p50_s')!.figures;
    expect(ttft[1]!.verdict).toBe('worse');
    expect(ttft[1]!.delta_ratio).toBeGreaterThan(0.4);
    expect(ttft[0]!.interval!.lo).toBeLessThan(ttft[0]!.value!);
    const tpot = c.metrics.find((m) => m.metric === 'tpot_mean_s')!.figures;
    expect(tpot[1]!.verdict).toBe('within_uncertainty');
    expect(tpot[1]!.interval!.method).toBe('clt_mean');
  });

  it('ID@REGION compares that region; the same run twice in different regions is fine', async () => {
    const run = await spawnCli(['compare', 'run-a@weur', 'run-a', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const c = JSON.parse(run.stdout) as Comparison;
    expect(c.runs.map((r) => [r.id, r.region, r.records])).toEqual([
      ['run-a', 'weur', 400],
      ['run-a', 'all', 400],
    ]);
    const missing = await spawnCli(['compare', 'run-a@apac', 'run-b'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('run run-a has no region apac');
  });

  it('prints the table', async () => {
    const run = await spawnCli(['compare', 'run-a', 'run-b'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ttft_p50_s');
    expect(run.stdout).toContain('WORSE');
  });

  it('exits 2 naming an unknown or unfinished run, a missing region, and a bad count', async () => {
    const unknown = await spawnCli(['compare', 'run-a', 'nope'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown run id: nope');
    const busy = await spawnCli(['compare', 'run-busy', 'run-a'], { env });
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain('run run-busy has no results to compare');
    const region = await spawnCli(['compare', 'run-a', 'run-b', '--region', 'apac'], { env });
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('run run-a has no region apac (it ran in weur)');
    const one = await spawnCli(['compare', 'run-a'], { env });
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('2 to 10 run ids, got 1');
    const twice = await spawnCli(['compare', 'run-a', 'run-a'], { env });
    expect(twice.code).toBe(2);
    expect((await spawnCli(['compare', 'run-a@', 'run-b'], { env })).code).toBe(2);
  });
});
