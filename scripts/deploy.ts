import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OFFLINE_ENV } from './local-stack.ts';

// `npm run deploy`: everything the Worker needs on Cloudflare, in order (README "Deploying"):
//   1. the D1 database (created when `wrangler d1 list` does not show it; its id written into
//      wrangler.toml when it differs),
//   2. the D1 migrations applied remotely,
//   3. the secrets (CONTROL_TOKEN, the secret ALERT_WEBHOOK_SECRET names, and every --secret NAME:
//      provider API keys, schedules' webhook secrets), prompted for when `wrangler secret list`
//      does not show them,
//   4. `wrangler deploy`: the Worker, its Durable Objects (Coordinator, Shard, Campaign) with their
//      migrations, and the one every-minute cron trigger.
// `--print` prints the commands without running any (nothing contacts Cloudflare). The wrangler
// run is `node_modules/wrangler/bin/wrangler.js`, or FLUIDBENCH_WRANGLER (a script run with node)
// for tests.

const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

export interface DeployConfig {
  databaseName: string;
  databaseId: string | null;
  /** The secret the ALERT_WEBHOOK_SECRET var names, when wrangler.toml sets one. */
  webhookSecret: string | null;
  crons: string[];
}

/** The few wrangler.toml values the deploy needs (read with patterns: the file is ours). */
export function readDeployConfig(toml: string): DeployConfig {
  const databaseName = /^\s*database_name\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!databaseName) throw new Error('wrangler.toml has no [[d1_databases]] database_name');
  const databaseId = /^\s*database_id\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? null;
  const vars = /^\[vars\]\s*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  const webhookSecret = /^\s*ALERT_WEBHOOK_SECRET\s*=\s*"([^"]+)"/m.exec(vars)?.[1] ?? null;
  const crons = [...(/^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1]?.matchAll(/"([^"]+)"/g) ?? [])].map(
    (m) => m[1]!,
  );
  return { databaseName, databaseId, webhookSecret, crons };
}

/** The secrets the Worker needs: CONTROL_TOKEN, the webhook's, and the extra names, each once. */
export function requiredSecrets(config: DeployConfig, extra: readonly string[]): string[] {
  const names = ['CONTROL_TOKEN', ...(config.webhookSecret ? [config.webhookSecret] : []), ...extra];
  return [...new Set(names)];
}

/** The steps as wrangler argument lists, each with why; `--print` shows them as shell commands. */
export function deployPlan(
  config: DeployConfig,
  secrets: readonly string[],
): { why: string; args: string[] }[] {
  const db = config.databaseName;
  return [
    { why: 'is the D1 database there? (create it when missing)', args: ['d1', 'list', '--json'] },
    { why: `only when ${db} is missing; its id goes into wrangler.toml`, args: ['d1', 'create', db] },
    {
      why: 'tables: runs, records, profiles, searches, schedules, history, alerts',
      args: ['d1', 'migrations', 'apply', db, '--remote'],
    },
    { why: 'which secrets are set already', args: ['secret', 'list', '--format', 'json'] },
    ...secrets.map((name) => ({
      why: 'only when not set yet (prompts for the value)',
      args: ['secret', 'put', name],
    })),
    {
      why: `the Worker, its Durable Objects (Coordinator, Shard, Campaign) and the cron ${config.crons.join(', ') || '(none!)'}`,
      args: ['deploy'],
    },
  ];
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The plan as lines a user can run by hand. */
export function formatPlan(plan: ReturnType<typeof deployPlan>): string {
  return `${plan.map((s) => `npx wrangler ${s.args.map(shellWord).join(' ')}   # ${s.why}`).join('\n')}\n`;
}

interface Ran {
  code: number;
  stdout: string;
}

/** `--config FILE`: another wrangler.toml, also passed to every wrangler call. */
let configFile: string | undefined;

/** Runs wrangler with these arguments; `interactive` hands it the terminal (secret prompts). */
function wrangler(given: string[], interactive = false): Promise<Ran> {
  const args = configFile === undefined ? given : [...given, '--config', configFile];
  const bin =
    process.env.FLUIDBENCH_WRANGLER ?? path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  // Telemetry off, but the network on: deploying is the one command that must reach Cloudflare.
  const { CLOUDFLARE_CF_FETCH_ENABLED: _cf, ...quiet } = OFFLINE_ENV;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...quiet },
      stdio: interactive ? 'inherit' : ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function must(args: string[], interactive = false): Promise<string> {
  const ran = await wrangler(args, interactive);
  if (ran.code !== 0) throw new Error(`\`wrangler ${args.join(' ')}\` failed (exit ${ran.code})`);
  return ran.stdout;
}

/** The JSON array a `--json` listing printed (wrangler may print notes around it). */
function jsonArray(text: string): unknown[] {
  const start = text.indexOf('[');
  const end = text.lastIndexOf(']');
  if (start === -1 || end < start) return [];
  try {
    const value: unknown = JSON.parse(text.slice(start, end + 1));
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

async function databaseUuid(name: string): Promise<string | undefined> {
  const list = jsonArray(await must(['d1', 'list', '--json'])) as { name?: string; uuid?: string }[];
  return list.find((d) => d.name === name)?.uuid;
}

async function deploy(
  config: DeployConfig,
  secrets: string[],
  prompt: boolean,
  toml: string,
  tomlPath: string,
): Promise<void> {
  const log = (line: string) => process.stdout.write(`deploy: ${line}\n`);
  let uuid = await databaseUuid(config.databaseName);
  if (uuid === undefined) {
    log(`creating the D1 database ${config.databaseName}`);
    await must(['d1', 'create', config.databaseName]);
    uuid = await databaseUuid(config.databaseName);
    if (uuid === undefined) throw new Error(`${config.databaseName} is not listed after creating it`);
  }
  if (uuid !== config.databaseId) {
    log(`wrangler.toml: database_id = "${uuid}" (was ${config.databaseId ?? 'unset'})`);
    await writeFile(tomlPath, toml.replace(/^(\s*database_id\s*=\s*)"[^"]*"/m, `$1"${uuid}"`));
  }
  log('applying the D1 migrations remotely');
  await must(['d1', 'migrations', 'apply', config.databaseName, '--remote'], true);
  // Before the first deploy the Worker does not exist and has no secrets.
  const listed = await wrangler(['secret', 'list', '--format', 'json']);
  const set = new Set(
    (listed.code === 0 ? (jsonArray(listed.stdout) as { name?: string }[]) : []).map((s) => s.name),
  );
  const missing = secrets.filter((name) => !set.has(name));
  if (missing.length > 0 && !prompt)
    throw new Error(
      `secrets not set: ${missing.join(', ')} (run without --no-prompt, or \`wrangler secret put NAME\`)`,
    );
  for (const name of missing) {
    log(`secret ${name} is not set: enter its value`);
    await must(['secret', 'put', name], true);
  }
  log(`deploying the Worker (cron ${config.crons.join(', ')})`);
  await must(['deploy'], true);
}

async function main(): Promise<number> {
  let values: { print?: boolean; secret?: string[]; 'no-prompt'?: boolean; help?: boolean; config?: string };
  try {
    ({ values } = parseArgs({
      options: {
        print: { type: 'boolean' },
        secret: { type: 'string', multiple: true },
        'no-prompt': { type: 'boolean' },
        config: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    process.stderr.write(`deploy: ${(error as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(
      'npm run deploy -- [--print] [--secret NAME …] [--no-prompt] [--config wrangler.toml]\n' +
        '  --print       print the wrangler commands, run nothing\n' +
        '  --secret NAME a further secret the Worker needs (provider API keys, schedules’ webhook secrets)\n' +
        '  --no-prompt   fail instead of prompting for secrets that are not set\n',
    );
    return 0;
  }
  const extra = values.secret ?? [];
  const bad = extra.find((name) => !SECRET_NAME.test(name));
  if (bad !== undefined) {
    process.stderr.write(
      `deploy: --secret ${JSON.stringify(bad)} is not a secret name (letters, digits, _)\n`,
    );
    return 2;
  }
  configFile = values.config === undefined ? undefined : path.resolve(values.config);
  const tomlPath = configFile ?? path.join(ROOT, 'wrangler.toml');
  const toml = await readFile(tomlPath, 'utf8');
  const config = readDeployConfig(toml);
  const secrets = requiredSecrets(config, extra);
  if (values.print) {
    process.stdout.write(formatPlan(deployPlan(config, secrets)));
    return 0;
  }
  try {
    await deploy(config, secrets, !values['no-prompt'], toml, tomlPath);
    return 0;
  } catch (error) {
    process.stderr.write(`deploy: ${(error as Error).message}\n`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await main();
