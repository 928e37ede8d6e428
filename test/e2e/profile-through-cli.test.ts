// The README's prefill-profile flow end to end: the real local stack and the real CLI binary.
// `fluidbench profile` on examples/profile-local-sim.jsonc (pointed at the stack), a run whose TTFT
// deadlines come from that profile, and `analyze --prefill-profile` of its export giving the same
// fluidity numbers as its results.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack.ts';
import { type CliRun, spawnCli } from '../../src/cli/testing/spawn-cli.ts';
import { loadPrefillProfile } from '../../src/core/profile/prefill-profile-file.ts';
import { expectClose } from './expect-close.ts';

let stack: LocalStack;
let dir: string;

function cli(...args: string[]): Promise<CliRun> {
  return spawnCli(args, { cwd: dir, env: { FLUIDBENCH_URL: stack.url, FLUIDBENCH_TOKEN: stack.token } });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-profile-e2e-'));
  stack = await startLocalStack({
    port: 0,
    persistDir: path.join(dir, 'state'),
    vars: { HEARTBEAT_MS: '500', START_DELAY_MS: '300' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('fluidbench profile against the local stack', () => {
  it('profiles the simulator from the README example, then judges a run by the profile', async () => {
    const example = await readFile(
      path.join(import.meta.dirname, '../../examples/profile-local-sim.jsonc'),
      'utf8',
    );
    const request = path.join(dir, 'profile.jsonc');
    await writeFile(request, example.replaceAll('http://127.0.0.1:8787', stack.url));
    const profileFile = path.join(dir, 'sim-profile.json');
    const profiled = await cli('profile', '--config', request, '--out', profileFile, '--json');
    expect(profiled.code, profiled.stderr).toBe(0);
    const detail = JSON.parse(profiled.stdout) as { id: string; state: string; lengths: number[] };
    expect(detail.state).toBe('done');
    expect(detail.lengths).toEqual([256, 512, 1024, 2048, 4096, 8192]); // 16384 + 16 > context
    const { predictor } = loadPrefillProfile(JSON.parse(await readFile(profileFile, 'utf8')));
    // The example's simulator: 20 ms + 50 µs/token with 5% jitter; the minimum of 3 keeps the slope
    // within 10% (the fixed part also holds the stack's own overhead).
    if (predictor.kind === 'quadratic') expect(predictor.slope_s_per_token).toBeGreaterThan(45e-6);
    expect((await cli('profiles', '--json')).stdout).toContain(detail.id);

    const slack = 0.02;
    const config = path.join(dir, 'run.json');
    await writeFile(
      config,
      JSON.stringify({
        name: 'judged by a profile',
        target: {
          api: 'openai-chat',
          base_url: `${stack.url}/sim/v1`,
          model: 'fluidbench-sim',
          api_key_secret: 'SIM_API_KEY',
          continuous_usage: true,
          extra_body: { sim: { jitter: 0.3 } },
        },
        workload: {
          arrivals: { type: 'poisson', qps: 4 },
          lengths: { type: 'uniform', min_tokens: 256, max_tokens: 8192, prefill_to_decode_ratio: 50 },
          requests: 16,
        },
        deadlines: { profile_id: detail.id, ttft_slack_s: slack, tbt_s: 0.025 },
      }),
    );
    const run = await cli('run', '--config', config, '--wait', '--json');
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout);
    expect(results.summary.deadlines.ttft_deadline_source).toBe('prefill_predictor');
    const records = path.join(dir, 'records.jsonl');
    expect((await cli('export', results.id, '--out', records)).code).toBe(0);
    const analyzed = await cli(
      'analyze',
      records,
      '--prefill-profile',
      profileFile,
      '--ttft-slack',
      String(slack),
      '--tbt-deadline',
      '0.025',
      '--json',
    );
    expect(analyzed.code, analyzed.stderr).toBe(0);
    const report = JSON.parse(analyzed.stdout);
    // Equal but for the last bits of means summed in another order (shards merged vs one pass).
    expectClose(report.service_level, results.service_level);
    expectClose(report.throughput, results.throughput);
    expect(
      new Set(report.requests.map((r: { ttft_deadline_s: number }) => r.ttft_deadline_s)).size,
    ).toBeGreaterThan(1);

    // A run naming an unknown profile: exit 2, the field named.
    await writeFile(config, (await readFile(config, 'utf8')).replace(detail.id, 'prof-unknown'));
    const refused = await cli('run', '--config', config);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('deadlines.profile_id');
  }, 120_000);
});
