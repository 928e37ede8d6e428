import Table from 'cli-table3';
import { ApiClient } from './api-client.ts';
import { type Output, writeStdout } from './run-command.ts';

export interface RunsFlags {
  url?: string;
  /** Runs per page (checked by its option parser against the API's bounds). */
  limit: number;
  cursor?: string | undefined;
  json?: boolean;
}

/** `fluidbench runs`: the newest runs, one a line; `next` is the cursor of the following page. */
export async function runsCommand(flags: RunsFlags, out: Output = writeStdout): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  const page = await client.listRuns({
    limit: flags.limit,
    ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
  });
  if (flags.json) {
    out(`${JSON.stringify(page, null, 2)}\n`);
    return;
  }
  if (page.runs.length === 0) {
    out('no runs yet\n');
    return;
  }
  const table = new Table({
    head: ['id', 'name', 'state', 'created', 'duration', 'reason'],
    style: { head: [], border: [], compact: true },
  });
  for (const r of page.runs) {
    const end = r.finished_at_ms;
    const duration =
      r.started_at_ms !== null && end !== null ? `${((end - r.started_at_ms) / 1000).toFixed(1)} s` : '—';
    table.push([
      r.id,
      r.name ?? '',
      r.state,
      new Date(r.created_at_ms).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      duration,
      r.reason ?? '',
    ]);
  }
  out(`${table.toString()}\n${page.next ? `more: fluidbench runs --cursor ${page.next}\n` : ''}`);
}
