import type { RunResults } from '../core/api/run-results-schema.ts';
import { dryRun, formatDryRun } from '../core/cost/dry-run.ts';
import { formatResults } from '../core/report/format-results.ts';
import { isTerminal } from '../core/run/run-state.ts';
import type { RunStatus } from '../core/run/run-status.ts';
import { ApiCallError, ApiClient } from './api-client.ts';
import { CliError, EXIT_BUG } from './cli-error.ts';
import { readRunConfig } from './read-run-config.ts';
import { waitForRun } from './run-progress.ts';

/** Where a command prints its result (stdout; tests capture it). */
export type Output = (text: string) => void;
export const writeStdout: Output = (text) => {
  process.stdout.write(text);
};

export interface RunFlags {
  config: string;
  url?: string;
  wait?: boolean;
  json?: boolean;
  dryRun?: boolean;
}

/**
 * `fluidbench run --config FILE`: validates the file locally (every issue at once, exit 2), submits
 * it and prints the run id; with `--wait` follows the run and prints its results (exit 1 unless it
 * ends `done`).
 */
export async function runCommand(flags: RunFlags, out: Output = writeStdout): Promise<void> {
  const loaded = await readRunConfig(flags.config);
  if (flags.dryRun) {
    // The plan and its estimated cost, computed locally: nothing is sent to the Worker.
    const plan = dryRun(loaded.config, loaded.plan);
    out(flags.json ? `${JSON.stringify(plan, null, 2)}\n` : formatDryRun(plan));
    return;
  }
  const client = await ApiClient.fromEnvironment(flags.url);
  const created = await client.createRun(loaded.body);
  const expected =
    created.expected_requests === null
      ? 'sending until its duration ends'
      : `${created.expected_requests} requests expected`;
  process.stderr.write(`run ${created.id} started: ${created.shards} shard(s), ${expected}\n`);
  if (!flags.wait) {
    out(flags.json ? `${JSON.stringify(created, null, 2)}\n` : `${created.id}\n`);
    return;
  }
  const status = await waitForRun(client, created.id);
  await reportFinishedRun(client, status, { json: flags.json === true, out });
}

/**
 * Prints a finished run's results (table or JSON) and returns them; throws a CliError (exit 1)
 * after printing when the run did not end `done`.
 */
export async function reportFinishedRun(
  client: ApiClient,
  status: RunStatus,
  options: { json: boolean; out: Output },
): Promise<RunResults | undefined> {
  const results = await fetchResults(client, status);
  if (results) options.out(options.json ? `${JSON.stringify(results, null, 2)}\n` : formatResults(results));
  else if (options.json) options.out(`${JSON.stringify(status, null, 2)}\n`);
  if (status.state !== 'done')
    throw new CliError(`run ${status.id} ${status.state}: ${status.reason ?? 'no reason given'}`, EXIT_BUG);
  return results;
}

/** The results of a terminal run, or undefined when it ended without any (a failed start). */
export async function fetchResults(client: ApiClient, status: RunStatus): Promise<RunResults | undefined> {
  if (!isTerminal(status.state)) throw new Error(`run ${status.id} is ${status.state}, not finished`);
  try {
    return await client.getResults(status.id);
  } catch (error) {
    if (error instanceof ApiCallError && error.status === 409 && status.state !== 'done') return undefined;
    throw error;
  }
}
