import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployPlan, formatPlan, readDeployConfig, requiredSecrets } from './deploy.ts';

// `npm run deploy` without Cloudflare: the plan from the real wrangler.toml, `--print`, and the
// run itself against a stand-in wrangler (FLUIDBENCH_WRANGLER) that records its calls.

const ROOT = path.resolve(import.meta.dirname, '..');
const SCRIPT = path.join(ROOT, 'scripts', 'deploy.ts');

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT, ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the deploy plan', () => {
  it('reads wrangler.toml: the database, the cron, and the webhook secret named in [vars]', async () => {
    const config = readDeployConfig(await readFile(path.join(ROOT, 'wrangler.toml'), 'utf8'));
    expect(config.databaseName).toBe('fluidbench');
    expect(config.crons).toEqual(['* * * * *']);
    const withVars = readDeployConfig(
      '[[d1_databases]]\ndatabase_name = "db"\n[vars]\nALERT_WEBHOOK_SECRET = "HOOK_URL"\n[triggers]\ncrons = ["* * * * *"]\n',
    );
    expect(withVars).toEqual({
      databaseName: 'db',
      databaseId: null,
      webhookSecret: 'HOOK_URL',
      crons: ['* * * * *'],
    });
    expect(requiredSecrets(withVars, ['OPENAI_API_KEY', 'HOOK_URL'])).toEqual([
      'CONTROL_TOKEN',
      'HOOK_URL',
      'OPENAI_API_KEY',
    ]);
    const plan = deployPlan(withVars, ['CONTROL_TOKEN']);
    expect(plan.map((s) => s.args.join(' '))).toEqual([
      'd1 list --json',
      'd1 create db',
      'd1 migrations apply db --remote',
      'secret list --format json',
      'secret put CONTROL_TOKEN',
      'deploy',
    ]);
    expect(formatPlan(plan)).toContain('npx wrangler d1 migrations apply db --remote   # ');
  });

  it('--print prints the commands and runs nothing; a bad --secret is exit 2', async () => {
    const printed = await run(['--print', '--secret', 'OPENAI_API_KEY'], {
      FLUIDBENCH_WRANGLER: '/nonexistent',
    });
    expect(printed.code, printed.stderr).toBe(0);
    const lines = printed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^npx wrangler d1 list --json/);
    expect(lines).toContainEqual(expect.stringMatching(/^npx wrangler secret put OPENAI_API_KEY /));
    expect(lines.at(-1)).toMatch(/^npx wrangler deploy .*Campaign.*\* \* \* \* \*/);
    const bad = await run(['--print', '--secret', 'NOT-A-NAME']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a secret name');
  });
});

describe('the deploy run against a stand-in wrangler', () => {
  let dir: string;
  let fake: string;
  let calls: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-deploy-'));
    fake = path.join(dir, 'wrangler.mjs');
    calls = path.join(dir, 'calls.txt');
    const id = readDeployConfig(await readFile(path.join(ROOT, 'wrangler.toml'), 'utf8')).databaseId;
    await writeFile(
      fake,
      `import { appendFileSync, readFileSync } from 'node:fs';
const all = process.argv.slice(2);
const at = all.indexOf('--config');
const args = (at === -1 ? all : all.slice(0, at)).join(' ');
appendFileSync(${JSON.stringify(calls)}, args + '\\n');
// With --config (a fresh account): the database exists only once created.
const created = readFileSync(${JSON.stringify(calls)}, 'utf8').includes('d1 create');
const uuid = at === -1 ? ${JSON.stringify(id)} : created ? '11111111-2222-4333-8444-555555555555' : null;
if (args === 'd1 list --json') console.log(JSON.stringify(uuid ? [{ name: 'fluidbench', uuid }] : []));
if (args === 'secret list --format json') console.log(JSON.stringify([{ name: 'CONTROL_TOKEN', type: 'secret_text' }]));
`,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('applies migrations, asks only for the missing secrets, then deploys', async () => {
    await writeFile(calls, '');
    const ran = await run(['--secret', 'OPENAI_API_KEY'], { FLUIDBENCH_WRANGLER: fake });
    expect(ran.code, ran.stderr).toBe(0);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      'd1 list --json',
      'd1 migrations apply fluidbench --remote',
      'secret list --format json',
      'secret put OPENAI_API_KEY',
      'deploy',
    ]);
  });

  it('creates a missing database and writes its id into the wrangler.toml given with --config', async () => {
    await writeFile(calls, '');
    const toml = path.join(dir, 'wrangler.toml');
    await writeFile(toml, await readFile(path.join(ROOT, 'wrangler.toml'), 'utf8'));
    const ran = await run(['--config', toml], { FLUIDBENCH_WRANGLER: fake });
    expect(ran.code, ran.stderr).toBe(0);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      'd1 list --json',
      'd1 create fluidbench',
      'd1 list --json',
      'd1 migrations apply fluidbench --remote',
      'secret list --format json',
      'deploy',
    ]);
    expect(readDeployConfig(await readFile(toml, 'utf8')).databaseId).toBe(
      '11111111-2222-4333-8444-555555555555',
    );
  });

  it('with --no-prompt, a missing secret stops it before deploying (exit 1 naming it)', async () => {
    await writeFile(calls, '');
    const ran = await run(['--secret', 'OPENAI_API_KEY', '--no-prompt'], { FLUIDBENCH_WRANGLER: fake });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('secrets not set: OPENAI_API_KEY');
    expect(await readFile(calls, 'utf8')).not.toContain('deploy\n');
  });
});
