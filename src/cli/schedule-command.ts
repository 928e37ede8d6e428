import { readFile } from 'node:fs/promises';
import Table from 'cli-table3';
import { type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import type { ScheduleDetail, ScheduleEntry } from '../core/api/schedule-api-schemas.ts';
import { scheduleRequestSchema, startItems, startTarget } from '../core/schedule/schedule.ts';
import { ApiClient } from './api-client.ts';
import { CliError, EXIT_BAD_INPUT, formatPath } from './cli-error.ts';
import { describeFsError } from './read-records.ts';
import { lineColumn, readRunConfig, words } from './read-run-config.ts';
import { type Output, writeStdout } from './run-command.ts';

// `fluidbench schedule add|list|show|pause|resume|rm|trigger` over /v1/schedules (docs/schedules.md).

interface ApiFlags {
  url?: string;
  json?: boolean;
}

export interface ScheduleAddFlags extends ApiFlags {
  /** A whole schedule (the body of POST /v1/schedules) in a .json/.jsonc file; the flags below override it. */
  file?: string;
  name?: string;
  cron?: string;
  timezone?: string;
  config?: string[];
  paused?: boolean;
  /** Name of the Worker secret holding this schedule's alert webhook URL. */
  alertWebhookSecret?: string;
}

/** Reads a schedule body from a JSONC file (comments and trailing commas allowed); exit 2 when unreadable. */
async function readScheduleFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const at = lineColumn(text)(errors[0]!.offset);
    throw new CliError(`${file}:${at.line}:${at.column}: ${words(printParseErrorCode(errors[0]!.error))}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CliError(`${file}: expected a schedule object ({"name", "cron", "start", …})`);
  return value as Record<string, unknown>;
}

/** Checks the schedule as the API will (every issue at once, exit 2), then creates it. */
export async function scheduleAddCommand(flags: ScheduleAddFlags, out: Output = writeStdout): Promise<void> {
  let body: Record<string, unknown>;
  if (flags.file !== undefined) {
    if (flags.config !== undefined) throw new CliError('--file and --config: give the start in one place');
    body = await readScheduleFile(flags.file);
  } else {
    if (flags.name === undefined || flags.cron === undefined || flags.config === undefined)
      throw new CliError('schedule add needs --file FILE, or --name, --cron and --config');
    const bodies = [];
    for (const file of flags.config) bodies.push((await readRunConfig(file)).body);
    // One config: a run; several: a suite started together at each due time.
    body = {
      start: bodies.length === 1 ? { kind: 'run', config: bodies[0] } : { kind: 'suite', runs: bodies },
    };
  }
  body = {
    ...body,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.cron !== undefined ? { cron: flags.cron } : {}),
    ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
    ...(flags.paused ? { enabled: false } : {}),
    ...(flags.alertWebhookSecret !== undefined ? { alert_webhook_secret: flags.alertWebhookSecret } : {}),
  };
  const checked = scheduleRequestSchema.safeParse(body);
  if (!checked.success) {
    const lines = checked.error.issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`);
    throw new CliError([`invalid schedule (${lines.length} issue(s)):`, ...lines].join('\n'), EXIT_BAD_INPUT);
  }
  const client = await ApiClient.fromEnvironment(flags.url);
  const created = await client.createSchedule(body);
  out(flags.json ? `${JSON.stringify(created, null, 2)}\n` : `${created.id}\n`);
}

export async function scheduleListCommand(
  flags: ApiFlags & { limit: number; cursor?: string | undefined },
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  const page = await client.listSchedules({
    limit: flags.limit,
    ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
  });
  if (flags.json) {
    out(`${JSON.stringify(page, null, 2)}\n`);
    return;
  }
  if (page.schedules.length === 0) {
    out('no schedules yet\n');
    return;
  }
  const table = new Table({
    head: ['id', 'name', 'cron', 'time zone', 'state', 'last due', 'next due'],
    style: { head: [], border: [], compact: true },
  });
  for (const s of page.schedules) table.push(entryCells(s));
  out(`${table.toString()}\n${page.next ? `more: fluidbench schedule list --cursor ${page.next}\n` : ''}`);
}

export async function scheduleShowCommand(
  id: string,
  flags: ApiFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  printDetail(await client.getSchedule(id), flags, out);
}

/** pause (enabled false) / resume (enabled true). */
export async function scheduleEnableCommand(
  id: string,
  enabled: boolean,
  flags: ApiFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  printDetail(await client.updateSchedule(id, { enabled }), flags, out);
}

export async function scheduleRemoveCommand(
  id: string,
  flags: ApiFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  await client.deleteSchedule(id);
  out(flags.json ? `${JSON.stringify({ id, deleted: true })}\n` : `deleted ${id}\n`);
}

export async function scheduleTriggerCommand(
  id: string,
  flags: ApiFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  const record = await client.triggerSchedule(id);
  out(
    flags.json
      ? `${JSON.stringify(record, null, 2)}\n`
      : `${record.outcome}: ${record.run_ids.join(' ') || (record.reason ?? '')}\n`,
  );
}

function iso(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function entryCells(s: ScheduleEntry): string[] {
  return [
    s.id,
    s.name,
    s.cron,
    s.timezone,
    s.enabled ? 'enabled' : 'paused',
    iso(s.last_due_ms),
    iso(s.next_due_ms),
  ];
}

function printDetail(schedule: ScheduleDetail, flags: ApiFlags, out: Output): void {
  if (flags.json) {
    out(`${JSON.stringify(schedule, null, 2)}\n`);
    return;
  }
  const [id, name, cron, timezone, state, last, next] = entryCells(schedule);
  const lines = [
    `${id}  ${name}`,
    `  ${cron} (${timezone}), ${state}; last due ${last}, next due ${next}`,
    ...startItems(schedule.start).map((item) => {
      const target = startTarget(item);
      return `  starts: ${item.kind} of ${target.model} at ${target.base_url}`;
    }),
  ];
  if (schedule.starts.length === 0) lines.push('  no starts yet');
  else {
    const table = new Table({
      head: ['due', 'trigger', 'outcome', 'run', 'coalesced', 'reason'],
      style: { head: [], border: [], compact: true },
    });
    for (const s of schedule.starts)
      table.push([
        iso(s.due_ms),
        s.trigger,
        s.outcome,
        s.run_ids.join(' '),
        String(s.coalesced),
        s.reason ?? '',
      ]);
    lines.push(table.toString());
  }
  out(`${lines.join('\n')}\n`);
}
