// The API commands of the CLI end to end: the real local stack (wrangler dev with workerd, local
// D1 and Durable Objects, started once by startLocalStack) and the real CLI binary, on a short run
// against the stack's own simulated model (/sim/v1).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack.ts';
import { type CliRun, spawnCli } from '../../src/cli/testing/spawn-cli.ts';

const REQUESTS = 10;

let stack: LocalStack;
let dir: string;

function cli(...args: string[]): Promise<CliRun> {
  return spawnCli(args, {
    cwd: dir, // no .dev.vars here: the token must come from FLUIDBENCH_TOKEN
    env: { FLUIDBENCH_URL: stack.url, FLUIDBENCH_TOKEN: stack.token },
  });
}

/** A JSONC run config against the stack's simulator (comments and a trailing comma on purpose). */
function config(workload: string, regions = '[{ "location": "wnam" }, { "location": "weur" }]'): string {
  return `// written by cli-local-stack.test.ts
{
  "name": "cli-test",
  "target": {
    "api": "openai-chat",
    "base_url": "${stack.url}/sim/v1",
    "model": "fluidbench-sim",
    "api_key_secret": "SIM_API_KEY",
    "continuous_usage": true,
  },
  "workload": ${workload},
  "regions": ${regions},
}`;
}

describe('fluidbench API commands against the local stack', () => {
  let id = '';
  let results: {
    id: string;
    state: string;
    summary: { requests: number; regions: Record<string, { requests: number }> };
    regions: Record<string, unknown>;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-cli-stack-'));
    stack = await startLocalStack({
      port: 0,
      persistDir: path.join(dir, 'state'),
      // A fast simulator and quick heartbeats keep the runs short.
      vars: {
        SIM_CONFIG: JSON.stringify({ decode_ms_per_token: 4, prefill_base_ms: 5, jitter: 0 }),
        HEARTBEAT_MS: '500',
        START_DELAY_MS: '300',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('run --wait --json: a short run from two regions completes and prints its results', async () => {
    const file = path.join(dir, 'run.jsonc');
    await writeFile(
      file,
      config(`{ "arrivals": { "type": "poisson", "qps": 20 },
        "lengths": { "type": "fixed", "prompt_tokens": 16, "output_tokens": 8 },
        "requests": ${REQUESTS}, "seed": 3 }`),
    );
    const run = await cli('run', '--config', file, '--wait', '--json');
    expect(run.code, run.stderr).toBe(0);
    results = JSON.parse(run.stdout);
    id = results.id;
    expect(results.state).toBe('done');
    expect(results.summary.requests).toBe(REQUESTS);
    expect(Object.keys(results.regions).sort()).toEqual(['weur', 'wnam']);
    // Not a terminal: plain progress lines on stderr, the last one for the finished run.
    expect(run.stderr).toMatch(
      new RegExp(`^run ${id} started: 2 shard\\(s\\), ${REQUESTS} requests expected$`, 'm'),
    );
    expect(run.stderr).toMatch(/^done \d+ s \| weur \d+\/\d+ done, 0 in flight, \d+ errors \| wnam /m);
  }, 60_000);

  it('status prints the state and progress; --json the status object', async () => {
    const [text, json] = await Promise.all([cli('status', id), cli('status', id, '--json')]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe(`run ${id} (cli-test): done (completed)`);
    expect(text.stdout).toMatch(/│ wnam\s+│ 1\s+│/);
    const status = JSON.parse(json.stdout) as { state: string; shards: { state: string; region: string }[] };
    expect(status.state).toBe('done');
    expect(status.shards.map((s) => [s.region, s.state])).toEqual([
      ['wnam', 'finished'],
      ['weur', 'finished'],
    ]);
  });

  it('results --csv: one row per region plus all, consistent with the JSON', async () => {
    const [csv, table] = await Promise.all([cli('results', id, '--csv'), cli('results', id)]);
    expect(csv.code, csv.stderr).toBe(0);
    const [header, ...rows] = csv.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const col = (name: string) => header!.indexOf(name);
    expect(col('requests')).toBeGreaterThan(0);
    expect(col('fluid_token_generation_rate')).toBeGreaterThan(0);
    expect(rows.map((r) => r[0])).toEqual(['weur', 'wnam', 'all']);
    for (const row of rows) expect(row).toHaveLength(header!.length);
    const requests = rows.map((r) => Number(r[col('requests')]));
    expect(requests[2]).toBe(REQUESTS);
    expect(requests[0]! + requests[1]!).toBe(REQUESTS);
    expect(requests[0]).toBe(results.summary.regions.weur?.requests);
    expect(Number(rows[2]![col('ttft_p50_s')])).toBeGreaterThan(0);

    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^fluidbench results ${id} \\(cli-test\\)\\n`));
    expect(table.stdout).toContain(`Requests: ${REQUESTS} (`);
    expect(table.stdout).toMatch(/│ all\s+│/);
  });

  it('export --format jsonl pages through every record; analyze reads the file', async () => {
    const out = path.join(dir, 'export', 'records.jsonl');
    // A page size below the record count exercises paging with `after`.
    const [exported, piped] = await Promise.all([
      cli('export', id, '--format', 'jsonl', '--out', out, '--page-size', '3'),
      cli('export', id),
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain(`wrote ${REQUESTS} records to ${out}`);
    const text = await readFile(out, 'utf8');
    expect(piped.stdout).toBe(text);
    const records = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; region: string; outcome: string });
    expect(records.map((r) => r.id).sort()).toEqual(
      Array.from({ length: REQUESTS }, (_, i) => `${id}-${i}`).sort(),
    );
    expect(new Set(records.map((r) => r.region))).toEqual(new Set(['wnam', 'weur']));
    const etalonDir = path.join(dir, 'etalon');
    const [analyzed, etalon] = await Promise.all([
      cli('analyze', out, '--json'),
      cli('export', id, '--format', 'etalon', '--out', etalonDir),
    ]);
    expect(etalon.code, etalon.stderr).toBe(0);
    const perRequest = JSON.parse(await readFile(path.join(etalonDir, 'request_level_metrics.json'), 'utf8'));
    // etalon's per-request columns hold the successful requests.
    const ok = records.filter((r) => r.outcome === 'ok').length;
    expect(ok).toBeGreaterThan(0);
    expect((perRequest as { ttft: number[] }).ttft).toHaveLength(ok);
    expect(analyzed.code, analyzed.stderr).toBe(0);
    expect((JSON.parse(analyzed.stdout) as { summary: { requests: number } }).summary.requests).toBe(
      REQUESTS,
    );
  });

  it('runs --json lists the run; cancel on a finished run is a conflict (exit 1)', async () => {
    const [runs, cancel] = await Promise.all([cli('runs', '--json', '--limit', '5'), cli('cancel', id)]);
    expect(runs.code, runs.stderr).toBe(0);
    const listed = JSON.parse(runs.stdout) as { runs: { id: string; state: string }[] };
    expect(listed.runs.find((r) => r.id === id)?.state).toBe('done');
    expect(cancel.code).toBe(1);
    expect(cancel.stdout).toBe('');
    expect(cancel.stderr).toMatch(
      /^fluidbench: conflict: run \S+ has already finished \(done\).*\(request [\w-]+\)\n$/,
    );
  });

  it('a bad config exits 2 listing every issue, and nothing is submitted', async () => {
    const file = path.join(dir, 'bad.jsonc');
    await writeFile(
      file,
      config(
        `{ "arrivals": { "type": "poisson", "qps": 0 },
           "lengths": { "type": "fixed", "prompt_tokens": 0, "output_tokens": 8 } }`,
        '[{ "location": "moon" }]',
      ),
    );
    const before = await cli('runs', '--json');
    const run = await cli('run', '--config', file, '--wait');
    expect(run.code).toBe(2);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^fluidbench: .*bad\.jsonc: invalid run config \(4 issues\):$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.trim().split(' ')[0])
        .sort(),
    ).toEqual(
      [
        'regions[0].location',
        'workload.arrivals.qps',
        'workload.lengths.prompt_tokens',
        'workload.requests',
      ].sort(),
    );
    const after = await cli('runs', '--json');
    expect(JSON.parse(after.stdout).runs).toHaveLength(JSON.parse(before.stdout).runs.length);
  });

  it('run without --wait prints the id; cancel stops the run', async () => {
    const file = path.join(dir, 'long.jsonc');
    await writeFile(
      file,
      config(
        `{ "arrivals": { "type": "constant", "qps": 2 },
           "lengths": { "type": "fixed", "prompt_tokens": 8, "output_tokens": 200 }, "duration_s": 30 }`,
        '[{ "location": "apac" }]',
      ),
    );
    const run = await cli('run', '--config', file);
    expect(run.code, run.stderr).toBe(0);
    const longId = run.stdout.trim();
    expect(longId).toMatch(/^run-[\w-]+$/);
    const cancel = await cli('cancel', longId);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`run ${longId}: cancelling`);
    await expect
      .poll(async () => JSON.parse((await cli('status', longId, '--json')).stdout).state, {
        timeout: 20_000,
        interval: 250,
      })
      .toBe('cancelled');
  }, 60_000);

  it('stop() leaves no wrangler or workerd process behind', async () => {
    const group = stack.processGroup;
    const members = () => {
      try {
        return execFileSync('pgrep', ['-g', String(group)], { encoding: 'utf8' }).trim();
      } catch {
        return ''; // pgrep exits 1 when nothing matches
      }
    };
    expect(members()).not.toBe(''); // wrangler and workerd are running now
    await stack.stop();
    expect(members()).toBe('');
    await expect(fetch(`${stack.url}/health`)).rejects.toThrow();
  }, 30_000);
});
