import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { predictPrefillS } from '../core/profile/prefill-predictor.ts';
import { isTerminal, type RunState } from '../core/run/run-state.ts';
import { analyzeCommand } from './analyze-command.ts';
import { ApiCallError, ApiClient } from './api-client.ts';
import { CliError, EXIT_BUG } from './cli-error.ts';
import { describeFsError } from './read-records.ts';

export const EXPORT_FORMATS = ['jsonl', 'etalon'] as const;

export interface ExportFlags {
  url?: string;
  format: (typeof EXPORT_FORMATS)[number];
  out?: string | undefined;
  /** Records per API request. */
  pageSize: number;
}

/**
 * `fluidbench export ID`: every request record of a run, paged from the API. `jsonl` writes them
 * (what `analyze` reads) to --out atomically or to stdout; `etalon` writes etalon's file set to
 * the directory --out, computed by the same code as `analyze --etalon-dir`.
 */
export async function exportCommand(id: string, flags: ExportFlags): Promise<void> {
  const { format, pageSize } = flags;
  if (format === 'etalon' && !flags.out)
    throw new CliError('invalid options: --format etalon needs --out DIR');
  const client = await ApiClient.fromEnvironment(flags.url);

  if (format === 'jsonl') {
    // `export ID | head`: a reader that leaves early is not an error.
    if (!flags.out)
      process.stdout.on('error', (e: NodeJS.ErrnoException) => e.code === 'EPIPE' && process.exit(0));
    const count = flags.out
      ? await writeAtomically(flags.out, (stream) => copyRecords(client, id, pageSize, stream))
      : await copyRecords(client, id, pageSize, process.stdout);
    if (count === 0) process.stderr.write(`run ${id} has no request records yet\n`);
    if (flags.out) process.stderr.write(`wrote ${count} records to ${flags.out}\n`);
    return;
  }

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-export-'));
  try {
    const file = path.join(scratch, `${id}.jsonl`);
    const count = await writeAtomically(file, (stream) => copyRecords(client, id, pageSize, stream));
    if (count === 0) throw new CliError(`run ${id} has no request records to export`, EXIT_BUG);
    const deadlines = await runDeadlines(client, id, scratch);
    await analyzeCommand(file, { etalonDir: flags.out!, progress: false, ...deadlines });
    process.stderr.write(`wrote etalon files for ${count} records to ${flags.out}\n`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Streams every record to `stream`, page by page; returns how many. */
async function copyRecords(
  client: ApiClient,
  id: string,
  pageSize: number,
  stream: NodeJS.WritableStream,
): Promise<number> {
  let count = 0;
  let warned = false;
  for await (const page of client.requestPages(id, pageSize)) {
    if (!warned && page.runState !== null && !isTerminal(page.runState as RunState)) {
      process.stderr.write(`run ${id} is ${page.runState}: the export holds the records stored so far\n`);
      warned = true;
    }
    if (!stream.write(`${page.lines.join('\n')}\n`)) await once(stream, 'drain');
    count += page.lines.length;
  }
  return count;
}

/** Writes `target` through a temporary sibling renamed into place, so it is complete or untouched. */
async function writeAtomically(
  target: string,
  fill: (stream: WriteStream) => Promise<number>,
): Promise<number> {
  const dir = path.dirname(path.resolve(target));
  const temp = path.join(dir, `.${path.basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    const stream = createWriteStream(temp, { flags: 'wx' });
    // A write error (disk full) must become a CliError, not an unhandled 'error' event.
    let writeError: unknown;
    stream.on('error', (error) => {
      writeError ??= error;
    });
    await once(stream, 'open');
    let count: number;
    try {
      count = await fill(stream);
    } finally {
      stream.end();
      // Settles even when the stream already failed and closed (unlike waiting for 'close').
      await finished(stream).catch((error: unknown) => {
        writeError ??= error;
      });
    }
    if (writeError !== undefined) throw writeError;
    await rename(temp, target);
    return count;
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot write ${target}: ${describeFsError(error)}`, EXIT_BUG);
  }
}

/**
 * The run's deadlines as analyze flags (its results know them; else analyze's defaults). A run judged
 * against a stored prefill profile carries its predictor in the results: it is written to `scratch`
 * as a profile file for `--prefill-profile`, with one sample taken from the predictor itself (the
 * file needs one; a stored predictor is used as is, so the sample only labels it).
 */
async function runDeadlines(
  client: ApiClient,
  id: string,
  scratch: string,
): Promise<{
  ttftDeadline?: string;
  tbtDeadline?: string;
  targetMissRate?: string;
  prefillProfile?: string;
  ttftSlack?: string;
}> {
  try {
    const d = (await client.getResults(id)).summary.deadlines;
    let profile: { prefillProfile: string; ttftSlack: string } | undefined;
    if (d.prefill_predictor !== undefined) {
      const file = path.join(scratch, 'prefill-profile.json');
      const predictor = d.prefill_predictor;
      const sampleTokens =
        predictor.kind === 'quadratic'
          ? predictor.max_profiled_tokens
          : predictor.knots.at(-1)!.prompt_tokens;
      const ttftS = Math.max(1e-6, predictPrefillS(predictor, sampleTokens));
      await writeFile(
        file,
        JSON.stringify({ samples: [{ prompt_tokens: Math.max(1, sampleTokens), ttft_s: ttftS }], predictor }),
      );
      profile = { prefillProfile: file, ttftSlack: String(d.ttft_slack_s ?? 0) };
    }
    return {
      ...(d.ttft_deadline_s !== null ? { ttftDeadline: String(d.ttft_deadline_s) } : {}),
      ...profile,
      tbtDeadline: String(d.tbt_deadline_s),
      targetMissRate: String(d.target_miss_rate),
    };
  } catch (error) {
    if (!(error instanceof ApiCallError) || error.status !== 409) throw error;
    process.stderr.write(`run ${id} has no results yet: using the default deadlines\n`);
    return {};
  }
}
