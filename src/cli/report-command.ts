import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResults } from '../core/api/run-results-schema.ts';
import { type RequestRecord, requestRecordSchema } from '../core/record/request-record.ts';
import {
  buildHistoryReportData,
  buildProfileReportData,
  buildSearchReportData,
} from '../core/report/campaign-report-data.ts';
import { buildCompareReportData } from '../core/report/compare-report-data.ts';
import { COMPARE_MAX_RUNS, type ReportData } from '../core/report/report-data.ts';
import { buildRunReportData } from '../core/report/run-report-data.ts';
import { analyzeCommand } from './analyze-command.ts';
import { ApiCallError, ApiClient } from './api-client.ts';
import { CliError, EXIT_BUG } from './cli-error.ts';
import { describeFsError, openRecords, recordValue } from './read-records.ts';
import { reportHtml, reportUi } from './report-html.ts';
import { type Output, writeStdout } from './run-command.ts';

export interface ReportFlags {
  url?: string;
  out?: string;
  json?: boolean;
  history?: string;
  compare?: string[];
  /** Deadlines of a records-file report, as `analyze` takes them (seconds). */
  ttftDeadline?: string;
  tbtDeadline?: string;
}

/**
 * `fluidbench report ID|FILE`: one self-contained HTML page (docs/reports.md) for a run (by id,
 * through the API), an exported records file, a search or a profile (by id), a schedule's history
 * (`--history`) or several runs side by side (`--compare`). `--json` prints the page's data instead.
 */
export async function reportCommand(
  target: string | undefined,
  flags: ReportFlags,
  out: Output = writeStdout,
): Promise<void> {
  const modes = [target !== undefined, flags.history !== undefined, (flags.compare?.length ?? 0) > 0];
  if (modes.filter(Boolean).length !== 1)
    throw new CliError('invalid options: give one of ID|FILE, --history SCHEDULE_ID or --compare ID ID …');
  const data = await reportData(target, flags);
  if (flags.json) {
    out(`${JSON.stringify(data)}\n`);
    return;
  }
  const html = reportHtml(data, await reportUi());
  const file = flags.out ?? defaultName(data);
  try {
    await writeFile(file, html);
  } catch (error) {
    throw new CliError(`cannot write ${file}: ${describeFsError(error)}`, EXIT_BUG);
  }
  process.stderr.write(`wrote ${file} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)\n`);
}

function defaultName(data: ReportData): string {
  const id =
    data.kind === 'run'
      ? (data.run?.id ?? path.parse(data.source.type === 'file' ? data.source.name : 'file').name)
      : data.kind === 'search'
        ? data.search.id
        : data.kind === 'profile'
          ? data.profile.id
          : String(data.generated_at_ms);
  return `fluidbench-${data.kind}-${id.replace(/[^\w.-]/g, '_')}.html`;
}

async function reportData(target: string | undefined, flags: ReportFlags): Promise<ReportData> {
  const now = Date.now();
  if (target !== undefined && (await isFile(target))) return fileReport(target, flags, now);
  if (flags.ttftDeadline !== undefined || flags.tbtDeadline !== undefined)
    throw new CliError(
      'invalid options: --ttft-deadline and --tbt-deadline apply to a records file; a run report uses the run’s own deadlines',
    );
  const client = await ApiClient.fromEnvironment(flags.url);
  if (flags.history !== undefined)
    return buildHistoryReportData(
      await client.getHistory({ schedule: flags.history }),
      `History of schedule ${flags.history}`,
      now,
    );
  if (flags.compare) {
    if (flags.compare.length > COMPARE_MAX_RUNS)
      throw new CliError(`invalid options: --compare takes at most ${COMPARE_MAX_RUNS} runs`);
    const runs: RunResults[] = [];
    for (const id of flags.compare) runs.push(await client.getResults(id));
    return buildCompareReportData(runs, now);
  }
  const id = target!;
  // An id names a run, a search or a profile: ask for each in turn.
  try {
    return await runReport(client, id, now);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    return buildSearchReportData(await client.getSearch(id), now);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    return buildProfileReportData(await client.getProfile(id), now);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  throw new CliError(`${id}: no such file, run, search or profile`);
}

function isNotFound(error: unknown): boolean {
  return error instanceof ApiCallError && error.status === 404;
}

async function isFile(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isFile();
  } catch {
    return false;
  }
}

async function runReport(client: ApiClient, id: string, nowMs: number): Promise<ReportData> {
  let results: RunResults;
  try {
    results = await client.getResults(id);
  } catch (error) {
    if (error instanceof ApiCallError && error.status === 409)
      throw new CliError(`run ${id} has no results yet (it has not finished): try again when it has`);
    throw error;
  }
  const records: RequestRecord[] = [];
  for await (const page of client.requestPages(id))
    for (const line of page.lines) {
      const parsed = requestRecordSchema.safeParse(JSON.parse(line));
      if (!parsed.success)
        throw new CliError(`the API sent an invalid record: ${line.slice(0, 120)}`, EXIT_BUG);
      records.push(parsed.data);
    }
  return buildRunReportData({ results, records, source: { type: 'run', id }, nowMs });
}

/** An exported records file: its numbers are `analyze --json`'s (default deadlines). */
async function fileReport(file: string, flags: ReportFlags, nowMs: number): Promise<ReportData> {
  const { report } = await analyzeCommand(file, {
    curve: true,
    progress: false,
    ...(flags.ttftDeadline !== undefined ? { ttftDeadline: flags.ttftDeadline } : {}),
    ...(flags.tbtDeadline !== undefined ? { tbtDeadline: flags.tbtDeadline } : {}),
  });
  const records: RequestRecord[] = [];
  const input = await openRecords(file);
  for await (const batch of input.batches)
    for (const raw of batch) {
      const value = recordValue(raw);
      // analyze above already checked every record.
      if ('value' in value) records.push(value.value as RequestRecord);
    }
  return buildRunReportData({
    results: report,
    records,
    source: { type: 'file', name: path.basename(file) },
    nowMs,
  });
}
