// The README's nightly example end to end, with the scheduled endpoint standing in for the clock:
// the local stack (wrangler dev: workerd, local D1 and Durable Objects), a schedule made with the
// CLI, one cron tick through /cdn-cgi/handler/scheduled → a run of the stack's own simulator →
// its point in GET /v1/history and in `fluidbench history`; then `fluidbench compare` of the
// scheduled run and a triggered one.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack.ts';
import { type CliRun, REPO, spawnCli } from '../../src/cli/testing/spawn-cli.ts';
import type { HistoryResponse } from '../../src/core/api/history-api-schemas.ts';
import type { ScheduleDetail } from '../../src/core/api/schedule-api-schemas.ts';
import type { Comparison } from '../../src/core/report/compare-runs.ts';

const REQUESTS = 12;

let stack: LocalStack;
let dir: string;

function cli(...args: string[]): Promise<CliRun> {
  return spawnCli(args, { cwd: dir, env: { FLUIDBENCH_URL: stack.url, FLUIDBENCH_TOKEN: stack.token } });
}

async function api<T>(route: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${stack.url}${route}`, {
    ...init,
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
  });
  expect(res.status, route).toBeLessThan(300);
  return (await res.json()) as T;
}

describe('a nightly schedule on the local stack, the scheduled endpoint standing in for the clock', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-nightly-'));
    stack = await startLocalStack({
      port: 0,
      persistDir: path.join(dir, 'state'),
      vars: {
        SIM_CONFIG: JSON.stringify({ decode_ms_per_token: 4, prefill_base_ms: 5, jitter: 0 }),
        HEARTBEAT_MS: '500',
        START_DELAY_MS: '300',
        // What .dev.vars.example sets for the README's local example (a --var reads like a secret).
        NIGHTLY_WEBHOOK_URL: 'http://127.0.0.1:9/nightly-hook',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('a cron tick starts the due run; it finishes and its point is in /v1/history and `fluidbench history`', async () => {
    const file = path.join(dir, 'nightly.jsonc');
    await writeFile(
      file,
      JSON.stringify({
        name: 'nightly-sim',
        target: {
          api: 'openai-chat',
          base_url: `${stack.url}/sim/v1`,
          model: 'fluidbench-sim',
          api_key_secret: 'SIM_API_KEY',
          continuous_usage: true,
        },
        workload: {
          arrivals: { type: 'constant', qps: 20 },
          lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 8 },
          requests: REQUESTS,
          seed: 5,
        },
        regions: [{ location: 'wnam' }, { location: 'weur' }],
      }),
    );
    const added = await cli(
      'schedule',
      'add',
      '--name',
      'nightly',
      '--cron',
      '0 3 * * *',
      '--timezone',
      'Europe/Berlin',
      '--config',
      file,
      '--json',
    );
    expect(added.code, added.stderr).toBe(0);
    const schedule = JSON.parse(added.stdout) as ScheduleDetail;
    const due = schedule.next_due_ms as number;

    // The clock: one tick at the due time (twice: the second changes nothing).
    for (let i = 0; i < 2; i++) {
      const tick = await fetch(`${stack.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${due}`);
      expect(tick.status).toBeLessThan(300);
      await tick.body?.cancel();
    }
    const runId = `sched-${schedule.id}-${due}`;
    const started = await vi.waitFor(
      async () => {
        const s = await api<ScheduleDetail>(`/v1/schedules/${schedule.id}`);
        if (s.starts.length === 0) throw new Error('not started yet');
        return s;
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(started.starts.map((s) => [s.due_ms, s.trigger, s.outcome, s.run_ids])).toEqual([
      [due, 'cron', 'started', [runId]],
    ]);

    const done = await vi.waitFor(
      async () => {
        const run = await api<{ state: string }>(`/v1/runs/${runId}`);
        if (run.state === 'queued' || run.state === 'running') throw new Error(`run ${run.state}`);
        return run;
      },
      { timeout: 40_000, interval: 500 },
    );
    expect(done.state).toBe('done');

    const history = await vi.waitFor(
      async () => {
        const h = await api<HistoryResponse>(`/v1/history?schedule=${schedule.id}&region=all`);
        if (h.points === 0) throw new Error('no history yet');
        return h;
      },
      { timeout: 10_000, interval: 250 },
    );
    const ttft = history.series.find((s) => s.metric === 'ttft_p50_s');
    expect(ttft?.points.map((p) => [p.run_id, p.kind])).toEqual([[runId, 'run']]);
    expect(ttft?.points[0]?.value).toBeGreaterThan(0);
    expect(ttft?.host).toBe(new URL(stack.url).host);

    const printed = await cli('history', '--schedule', schedule.id, '--metric', 'ttft_p50_s');
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(schedule.id);
    expect(printed.stdout).toMatch(/│ all\s+│ ttft_p50_s/);
    expect(printed.stdout).toMatch(/│ wnam\s+│ ttft_p50_s/);

    // A second run of the same schedule, triggered by hand, compared with the nightly one.
    const trigger = await cli('schedule', 'trigger', schedule.id, '--json');
    expect(trigger.code, trigger.stderr).toBe(0);
    const [second] = (JSON.parse(trigger.stdout) as { run_ids: string[] }).run_ids as [string];
    await vi.waitFor(
      async () => {
        const run = await api<{ state: string }>(`/v1/runs/${second}`);
        if (run.state !== 'done') throw new Error(`run ${run.state}`);
      },
      { timeout: 40_000, interval: 500 },
    );
    const compared = await cli('compare', runId, second, '--json');
    expect(compared.code, compared.stderr).toBe(0);
    const c = JSON.parse(compared.stdout) as Comparison;
    expect(c.runs.map((r) => [r.id, r.records])).toEqual([
      [runId, REQUESTS],
      [second, REQUESTS],
    ]);
    const errors = c.metrics.find((m) => m.metric === 'error_rate')!.figures;
    expect(errors.map((f) => f.value)).toEqual([0, 0]);
    expect(errors[1]!.verdict).toBe('within_uncertainty');
    const missing = await cli('compare', runId, 'sched-nope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('unknown run id: sched-nope');
  }, 150_000);

  it('the README example: a suite of two "providers" from three regions, one tick, both in history', async () => {
    const example = await readFile(path.join(REPO, 'examples', 'nightly-providers-local.jsonc'), 'utf8');
    const file = path.join(dir, 'nightly-providers-local.jsonc');
    await writeFile(file, example.replaceAll('http://127.0.0.1:8787', stack.url));
    const added = await cli('schedule', 'add', '--file', file, '--json');
    expect(added.code, added.stderr).toBe(0);
    const schedule = JSON.parse(added.stdout) as ScheduleDetail;
    expect(schedule.alert_webhook_secret).toBe('NIGHTLY_WEBHOOK_URL');
    const due = schedule.next_due_ms as number;
    const tick = await fetch(`${stack.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${due}`);
    await tick.body?.cancel();
    const ids = [0, 1].map((i) => `sched-${schedule.id}-${due}-${i}`);
    for (const id of ids)
      await vi.waitFor(
        async () => {
          const run = await api<{ state: string }>(`/v1/runs/${id}`);
          if (run.state !== 'done') throw new Error(`run ${id} ${run.state}`);
        },
        { timeout: 60_000, interval: 500 },
      );
    const history = await api<HistoryResponse>(`/v1/history?schedule=${schedule.id}&metric=tpot_mean_s`);
    const series = history.series.map((s) => `${s.model} ${s.region}`).sort();
    expect(series).toEqual(
      ['provider-a-model', 'provider-b-model'].flatMap((m) =>
        ['all', 'apac', 'weur', 'wnam'].map((r) => `${m} ${r}`),
      ),
    );
    // provider-b decodes 3× slower: compare calls its TPOT worse, beyond the runs' uncertainty.
    const compared = await cli('compare', ids[0]!, ids[1]!, '--json');
    expect(compared.code, compared.stderr).toBe(0);
    const tpot = (JSON.parse(compared.stdout) as Comparison).metrics.find((m) => m.metric === 'tpot_mean_s')!;
    expect(tpot.figures[1]!.verdict).toBe('worse');
  }, 120_000);
});
