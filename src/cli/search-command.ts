import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import type { SearchStatus } from '../core/api/search-api-schemas.ts';
import { searchRequestSchema } from '../core/campaign/search-request.ts';
import { formatSearch, searchProgressLine } from '../core/report/format-search.ts';
import { type ApiClient, ApiClient as Client, isTransient } from './api-client.ts';
import { CliError, EXIT_BAD_INPUT, EXIT_BUG, formatPath } from './cli-error.ts';
import { describeFsError } from './read-records.ts';
import { type Output, writeStdout } from './run-command.ts';
import { EXIT_INTERRUPTED } from './run-progress.ts';

// `fluidbench search --config FILE [--wait] [--json]`: submits a capacity search; with --wait,
// shows one line per change (probe k, load, bad so far, bracket) and prints the final table.

export interface SearchFlags {
  config: string;
  url?: string;
  wait?: boolean;
  json?: boolean;
}

export async function searchCommand(flags: SearchFlags, out: Output = writeStdout): Promise<void> {
  const body = await readSearchRequest(flags.config);
  const client = await Client.fromEnvironment(flags.url);
  const created = await client.createSearch(body);
  const warm = created.warm_start_load === null ? 'cold start' : `warm start at ${created.warm_start_load}`;
  process.stderr.write(`search ${created.id} started (${warm})\n`);
  if (!flags.wait) {
    out(flags.json ? `${JSON.stringify(created, null, 2)}\n` : `${created.id}\n`);
    return;
  }
  const status = await waitForSearch(client, created.id, process.stderr);
  out(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatSearch(status));
  if (status.state !== 'done')
    throw new CliError(
      `search ${status.id} ${status.state}: ${status.reason ?? 'no reason given'}`,
      EXIT_BUG,
    );
}

/** Reads a search request (.json/.jsonc) and checks it as the API will; every issue at once (exit 2). */
export async function readSearchRequest(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const errors: ParseError[] = [];
  const value: unknown = parse(text.replace(/^\uFEFF/, ''), errors, { allowTrailingComma: true });
  if (errors.length > 0)
    throw new CliError(
      `${file} is not valid JSON(C): ${errors.map((e) => `${printParseErrorCode(e.error)} at offset ${e.offset}`).join('; ')}`,
      EXIT_BAD_INPUT,
    );
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CliError(`${file}: the search request must be a JSON object`, EXIT_BAD_INPUT);
  const body = { ...(value as Record<string, unknown>) };
  delete body.$schema;
  const parsed = searchRequestSchema.safeParse(body);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${formatPath(i.path) || '(config)'}: ${i.message}`);
    throw new CliError(
      [`${file}: invalid search request (${lines.length} issue(s)):`, ...lines].join('\n'),
      EXIT_BAD_INPUT,
    );
  }
  return body;
}

/**
 * Polls until the search ends; writes a progress line whenever it changes. The first Ctrl-C
 * cancels the search (keeping what it learned), a second stops waiting.
 */
export async function waitForSearch(
  client: ApiClient,
  id: string,
  stream: NodeJS.WritableStream,
  pollMs = 1_000,
): Promise<SearchStatus> {
  let presses = 0;
  let giveUp: (error: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => {
    giveUp = reject;
  });
  stopped.catch(() => {});
  const onSignal = () => {
    presses++;
    if (presses > 1) {
      giveUp(new CliError(`stopped waiting; search ${id} may still be cancelling`, EXIT_INTERRUPTED));
      return;
    }
    stream.write(`cancelling search ${id} (Ctrl-C again to stop waiting)…\n`);
    client.cancelSearch(id).catch((error: Error) => stream.write(`cancel failed: ${error.message}\n`));
  };
  process.on('SIGINT', onSignal);
  try {
    let last = '';
    let failures = 0;
    for (;;) {
      let status: SearchStatus;
      try {
        status = await Promise.race([client.getSearch(id), stopped]);
        failures = 0;
      } catch (error) {
        if (!isTransient(error) || ++failures > 10) throw error;
        await Promise.race([sleep(pollMs), stopped]);
        continue;
      }
      const line = searchProgressLine(status);
      if (line !== last) stream.write(`${line}\n`);
      last = line;
      if (status.state !== 'queued' && status.state !== 'running') return status;
      await Promise.race([sleep(pollMs), stopped]);
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}
