import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PORT, parseDotenv } from '../src/cli/api-client.ts';

// The whole fluidbench stack on this machine, offline: local D1 migrated into a private state
// directory, then `wrangler dev` (workerd with the Worker, its Durable Objects and D1) on a
// loopback port. The same commands a user runs, started programmatically for the demo and tests.

export const ROOT = path.resolve(import.meta.dirname, '..');
export const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

/** Keeps wrangler from contacting npm, Cloudflare telemetry and the request.cf endpoint. */
export const OFFLINE_ENV: Readonly<Record<string, string>> = {
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  DO_NOT_TRACK: '1',
};

export interface LocalStackOptions {
  /** Port on 127.0.0.1; 0 picks a free one (default 8787). */
  port?: number;
  /** Where local D1 and Durable Object state live (default: a fresh scratchDir, removed by stop). */
  persistDir?: string;
  /** Extra Worker variables, passed as `--var KEY:VALUE` (e.g. SIM_CONFIG, HEARTBEAT_MS). */
  vars?: Record<string, string>;
  /** Extra `wrangler dev` arguments (e.g. `--inspector-port 9333` for a CPU profile). */
  extraArgs?: string[];
  /** Every line wrangler prints (default: dropped; the last lines appear in startup errors). */
  log?: (line: string) => void;
  /** How long to wait for `GET /health` (default 90 s: the first bundle on a slow machine). */
  readyTimeoutMs?: number;
}

export interface LocalStack {
  /** e.g. http://127.0.0.1:8787 (no trailing slash). */
  url: string;
  /** The control token (CONTROL_TOKEN) for `Authorization: Bearer …`. */
  token: string;
  /** Process group of wrangler and its workerd processes (all gone once stop resolves). */
  processGroup: number;
  /** Stops wrangler and workerd (the whole process group) and removes a temp state dir. */
  stop(): Promise<void>;
}

/**
 * Where throwaway state goes: a RAM disk (/dev/shm) when there is one, else the temp dir. Locally
 * every Durable Object and D1 commit runs on the one workerd thread that also stamps every read, so
 * a disk's fsync per commit stalls every stream's timestamps (docs/timing.md): 8 streams measured
 * p99 chunk error 0.4 ms with state in RAM against 3–4 ms on this VM's disk.
 */
export async function scratchDir(prefix: string): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK);
    return await mkdtemp(path.join('/dev/shm', prefix));
  } catch {
    return mkdtemp(path.join(os.tmpdir(), prefix));
  }
}

/** Migrates a local D1, starts `wrangler dev`, and resolves once the Worker answers `/health`. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > 40) recent.shift();
    log(line);
  };
  const token = (await ensureDevVars()).CONTROL_TOKEN ?? '';
  const ownDir = options.persistDir === undefined;
  const persistDir = options.persistDir ?? (await scratchDir('fluidbench-stack-'));
  const env = { ...process.env, ...OFFLINE_ENV, NO_COLOR: '1', FORCE_COLOR: '0' };
  try {
    await migrate(persistDir, env, remember);
  } catch (error) {
    if (ownDir) await rm(persistDir, { recursive: true, force: true });
    throw error;
  }

  const port = options.port === 0 ? await freePort() : (options.port ?? DEFAULT_PORT);
  const url = `http://127.0.0.1:${port}`;
  const args = [
    WRANGLER,
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--persist-to',
    persistDir,
    '--show-interactive-dev-session=false',
    ...Object.entries(options.vars ?? {}).flatMap(([key, value]) => ['--var', `${key}:${value}`]),
    ...(options.extraArgs ?? []),
  ];
  // Its own process group, so stop() reaches workerd too (wrangler's children stay in the group).
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid!;
  const killOnExit = () => signalGroup(pgid, 'SIGKILL');
  process.on('exit', killOnExit);
  pipeLines(child, remember);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      signalGroup(pgid, 'SIGTERM');
      if (!(await groupGone(pgid, 10_000))) {
        signalGroup(pgid, 'SIGKILL');
        await groupGone(pgid, 5_000);
      }
      process.off('exit', killOnExit);
      if (ownDir) await rm(persistDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const ready = await Promise.race([
    waitForHealth(url, options.readyTimeoutMs ?? 90_000),
    exited.then((code) => `wrangler dev exited with code ${code}`),
  ]);
  if (ready !== true) {
    await stop();
    const tail = recent.slice(-15).join('\n');
    throw new Error(`the local stack did not start on ${url}: ${ready}${tail ? `\n${tail}` : ''}`);
  }
  return { url, token, processGroup: pgid, stop };
}

/** Creates .dev.vars from .dev.vars.example when missing (telling the user); returns its values. */
async function ensureDevVars(): Promise<Record<string, string>> {
  const devVars = path.join(ROOT, '.dev.vars');
  try {
    return parseDotenv(await readFile(devVars, 'utf8'));
  } catch {
    await copyFile(path.join(ROOT, '.dev.vars.example'), devVars);
    process.stderr.write(
      'fluidbench: created .dev.vars from .dev.vars.example (local secrets: CONTROL_TOKEN, SIM_API_KEY)\n',
    );
    return parseDotenv(await readFile(devVars, 'utf8'));
  }
}

function migrate(persistDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const args = [WRANGLER, 'd1', 'migrations', 'apply', 'fluidbench', '--local', '--persist-to', persistDir];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
      for (const line of `${stdout}\n${stderr}`.split('\n')) if (line.trim()) log(stripAnsi(line));
      if (error) {
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-10).map(stripAnsi).join('\n');
        reject(new Error(`applying the D1 migrations locally failed: ${error.message}\n${tail}`));
      } else resolve();
    });
  });
}

function pipeLines(child: ChildProcess, log: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) log(stripAnsi(line));
    });
  }
}

async function waitForHealth(url: string, timeoutMs: number): Promise<true | string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok && ((await response.json()) as { ok?: unknown }).ok === true) return true;
      last = `GET /health answered ${response.status}`;
    } catch (error) {
      last = `GET /health: ${(error as Error).message}`;
    }
    await sleep(250);
  }
  return `no healthy answer within ${Math.round(timeoutMs / 1000)} s (${last})`;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

/** Polls until no process of the group is left (kill(-pgid, 0) fails with ESRCH). */
async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** A port on 127.0.0.1 nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Whether `port` on 127.0.0.1 can be listened on. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
