import { rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import Table from 'cli-table3';
import type { ProfileDetail, ProfileState } from '../core/api/profile-api-schemas.ts';
import { predictPrefillS } from '../core/profile/prefill-predictor.ts';
import { ApiClient, isTransient } from './api-client.ts';
import { CliError, EXIT_BUG } from './cli-error.ts';
import { readProfileRequest } from './read-profile-request.ts';
import { describeFsError } from './read-records.ts';
import { type Output, writeStdout } from './run-command.ts';

// `fluidbench profile --config FILE`: measures a prefill profile through the API
// (docs/metrics.md#prefill-profiles) and, with --out, writes the file `analyze --prefill-profile` reads.

export interface ProfileFlags {
  config: string;
  url?: string;
  wait?: boolean;
  json?: boolean;
  /** Write the fitted profile here (implies --wait). */
  out?: string | undefined;
}

const OPEN: readonly ProfileState[] = ['queued', 'running'];

export async function profileCommand(flags: ProfileFlags, out: Output = writeStdout): Promise<void> {
  const { body } = await readProfileRequest(flags.config);
  const client = await ApiClient.fromEnvironment(flags.url);
  const created = await client.createProfile(body);
  process.stderr.write(
    `profile ${created.id} started (run ${created.run_id}): ${created.lengths.length} lengths × ${created.request.samples_per_length} samples = ${created.expected_requests} requests\n`,
  );
  if (!flags.wait && flags.out === undefined) {
    out(flags.json ? `${JSON.stringify(created, null, 2)}\n` : `${created.id}\n`);
    return;
  }
  const done = await waitForProfile(client, created);
  await reportProfile(done, { json: flags.json === true, out, file: flags.out });
}

/** Prints a finished profile, writes --out, and throws (exit 1) unless it ended `done`. */
export async function reportProfile(
  profile: ProfileDetail,
  options: { json: boolean; out: Output; file?: string | undefined },
): Promise<void> {
  options.out(options.json ? `${JSON.stringify(profile, null, 2)}\n` : formatProfile(profile));
  if (profile.state !== 'done' || profile.profile === null)
    throw new CliError(
      `profile ${profile.id} ${profile.state}: ${profile.reason ?? 'no reason given'}`,
      EXIT_BUG,
    );
  if (options.file !== undefined) {
    await writeAtomically(options.file, `${JSON.stringify(profile.profile, null, 2)}\n`);
    process.stderr.write(
      `wrote the profile to ${options.file} (fluidbench analyze --prefill-profile ${options.file})\n`,
    );
  }
}

/** Polls until the profile is finished; a progress line on stderr; Ctrl-C cancels its run. */
async function waitForProfile(client: ApiClient, created: ProfileDetail): Promise<ProfileDetail> {
  const stream = process.stderr;
  let cancelled = false;
  const onInterrupt = () => {
    if (cancelled) process.exit(130);
    cancelled = true;
    stream.write(`\ncancelling profile run ${created.run_id} (Ctrl-C again to stop waiting)\n`);
    client.cancelRun(created.run_id).catch(() => undefined);
  };
  process.on('SIGINT', onInterrupt);
  let lastLineMs = 0;
  let failures = 0;
  try {
    for (;;) {
      try {
        const profile = await client.getProfile(created.id);
        failures = 0;
        if (!OPEN.includes(profile.state)) {
          if (stream.isTTY) stream.write('\n');
          return profile;
        }
        const status = await client.getRun(created.run_id);
        const done = status.shards.reduce((sum, s) => sum + s.progress.done, 0);
        const errors = status.shards.reduce((sum, s) => sum + s.progress.errors, 0);
        const line = `profile ${created.id}: ${profile.state}, ${done}/${created.expected_requests} requests done, ${errors} failed`;
        if (stream.isTTY) stream.write(`\r${line}`);
        else if (Date.now() - lastLineMs >= 5_000) {
          stream.write(`${line}\n`);
          lastLineMs = Date.now();
        }
      } catch (error) {
        if (!isTransient(error) || ++failures > 10) throw error;
      }
      await sleep(1_000);
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** The minimum TTFT per length against the prediction, then the fit error. */
export function formatProfile(profile: ProfileDetail): string {
  const head = `profile ${profile.id} (${profile.name ?? 'unnamed'}): ${profile.state}${profile.reason ? `, ${profile.reason}` : ''}\nrun ${profile.run_id}\n`;
  const file = profile.profile;
  if (!file?.predictor || !profile.min_ttft_per_length || !profile.fit) return head;
  const predictor = file.predictor;
  const table = new Table({
    head: ['prompt tokens', 'samples', 'min TTFT (s)', 'predicted (s)', 'error (s)'],
    style: { head: [], border: [], compact: true },
  });
  for (const m of profile.min_ttft_per_length) {
    const predicted = predictPrefillS(predictor, m.prompt_tokens);
    const samples = file.samples.filter((s) => s.prompt_tokens === m.prompt_tokens).length;
    table.push([
      m.prompt_tokens,
      samples,
      m.ttft_s.toFixed(4),
      predicted.toFixed(4),
      (predicted - m.ttft_s).toFixed(4),
    ]);
  }
  const fit = profile.fit;
  const kind =
    predictor.kind === 'quadratic'
      ? `quadratic: ${predictor.intercept_s.toPrecision(4)} s + ${predictor.slope_s_per_token.toPrecision(4)} s/token·L + ${predictor.curvature_s_per_token2.toPrecision(4)} s/token²·L²`
      : `piecewise linear over ${predictor.knots.length} knots`;
  return `${head}${table.toString()}\npredictor ${kind}\nfit error: max ${fit.max_abs_error_s.toFixed(4)} s, rmse ${fit.rmse_s.toFixed(4)} s, max relative ${(100 * fit.max_rel_error).toFixed(2)}%\n`;
}

async function writeAtomically(target: string, text: string): Promise<void> {
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw new CliError(`cannot write ${target}: ${describeFsError(error)}`, EXIT_BUG);
  }
}

export interface ProfilesFlags {
  url?: string;
  limit: number;
  cursor?: string | undefined;
  json?: boolean;
}

/** `fluidbench profiles [ID]`: the newest profiles, or one profile with its fit. */
export async function profilesCommand(
  id: string | undefined,
  flags: ProfilesFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  if (id !== undefined) {
    const profile = await client.getProfile(id);
    out(flags.json ? `${JSON.stringify(profile, null, 2)}\n` : formatProfile(profile));
    return;
  }
  const page = await client.listProfiles({
    limit: flags.limit,
    ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
  });
  if (flags.json) return out(`${JSON.stringify(page, null, 2)}\n`);
  if (page.profiles.length === 0) return out('no profiles yet\n');
  const table = new Table({
    head: ['id', 'name', 'state', 'created', 'run', 'reason'],
    style: { head: [], border: [], compact: true },
  });
  for (const p of page.profiles)
    table.push([
      p.id,
      p.name ?? '',
      p.state,
      new Date(p.created_at_ms).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      p.run_id,
      p.reason ?? '',
    ]);
  out(`${table.toString()}\n${page.next ? `more: fluidbench profiles --cursor ${page.next}\n` : ''}`);
}
