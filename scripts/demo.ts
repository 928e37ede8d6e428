import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiClient, DEFAULT_PORT } from '../src/cli/api-client.ts';
import { CliError } from '../src/cli/cli-error.ts';
import { readRunConfig } from '../src/cli/read-run-config.ts';
import { fetchResults } from '../src/cli/run-command.ts';
import { EXIT_INTERRUPTED, waitForRun } from '../src/cli/run-progress.ts';
import { formatResults } from '../src/core/report/format-results.ts';
import { isPortFree, type LocalStack, scratchDir, startLocalStack } from './local-stack.ts';

// `npm run demo`: the whole stack on this machine, offline, in one command. Starts wrangler dev
// (port 8787, or a free one), runs examples/local-sim.jsonc against the Worker's own simulator
// from three regions (30 s, ~6 qps: modest for a 2-core machine), shows live progress, prints the
// results and saves them to demo-results/<run id>.json, then shuts everything down, Ctrl-C included.
// `--verbose` shows wrangler's log.

const ROOT = path.resolve(import.meta.dirname, '..');
const CONFIG = path.join(ROOT, 'examples', 'local-sim.jsonc');
const say = (line: string) => process.stderr.write(`${line}\n`);

let stack: LocalStack | undefined;
/** The demo's own local state, removed on every exit (also a Ctrl-C while the stack is starting). */
let stateDir: string | undefined;
/** While a run is being waited for, Ctrl-C belongs to waitForRun (which cancels the run). */
let waiting = false;

async function shutdown(code: number): Promise<never> {
  if (stack) {
    say('stopping the local stack…');
    await stack.stop();
  }
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (signal === 'SIGINT' && waiting) return;
    say(`\n${signal === 'SIGINT' ? 'interrupted' : 'terminated'}`);
    void shutdown(EXIT_INTERRUPTED);
  });

async function demo(): Promise<number> {
  const verbose = process.argv.includes('--verbose');
  const loaded = await readRunConfig(CONFIG); // checked before anything starts
  const port = (await isPortFree(DEFAULT_PORT)) ? DEFAULT_PORT : 0;
  if (port === 0) say(`port ${DEFAULT_PORT} is busy (npm run dev?): using a free port`);
  say('starting the local stack (wrangler dev, offline; first start bundles the Worker)…');
  stateDir = await scratchDir('fluidbench-demo-');
  stack = await startLocalStack({
    port,
    persistDir: stateDir,
    ...(verbose ? { log: (line) => say(`  [wrangler] ${line}`) } : {}),
  });
  say(`fluidbench is up at ${stack.url}`);

  // The benchmark's target is this stack's own simulated model.
  const body = structuredClone(loaded.body) as { name?: string; target: { base_url: string } };
  body.name = 'demo';
  body.target.base_url = `${stack.url}/sim/v1`;
  const client = new ApiClient({ url: stack.url, token: { token: stack.token, source: '.dev.vars' } });
  const created = await client.createRun(body);
  say(
    `run ${created.id}: ${created.shards} shards in wnam, weur and apac, about ${created.expected_requests ?? '?'} requests over ${loaded.config.workload.duration_s ?? '?'} s`,
  );
  say(
    `  (another terminal: FLUIDBENCH_URL=${stack.url} npx fluidbench status ${created.id}; Ctrl-C here cancels)`,
  );

  waiting = true;
  const status = await waitForRun(client, created.id).finally(() => {
    waiting = false;
  });
  const results = await fetchResults(client, status);
  if (results) {
    process.stdout.write(formatResults(results));
    const dir = path.join(ROOT, 'demo-results');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${created.id}.json`);
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    say(`\nresults JSON: ${path.relative(process.cwd(), file)}`);
  }
  if (status.state !== 'done') {
    say(`run ${status.id} ${status.state}: ${status.reason ?? 'no reason given'}`);
    return 1;
  }
  return 0;
}

let code: number;
try {
  code = await demo();
} catch (error) {
  say(
    error instanceof CliError
      ? `fluidbench demo: ${error.message}`
      : `fluidbench demo: ${error instanceof Error ? error.message : String(error)}`,
  );
  code = error instanceof CliError ? error.exitCode : 1;
}
await shutdown(code);
