import Table from 'cli-table3';
import { runAlertsSection } from '../core/report/format-alerts.ts';
import { isTerminal } from '../core/run/run-state.ts';
import type { RunStatus, ShardProgress } from '../core/run/run-status.ts';
import { ApiClient } from './api-client.ts';
import { type Output, writeStdout } from './run-command.ts';
import { formatEta } from './run-progress.ts';

export interface StatusFlags {
  url?: string;
  json?: boolean;
}

/** `fluidbench status ID`: the run's state and its progress per region and shard. */
export async function statusCommand(
  id: string,
  flags: StatusFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  const status = await client.getRun(id);
  if (flags.json) {
    out(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  // A finished run's regression alerts (judged once its results are stored).
  const alerts = isTerminal(status.state) ? (await client.getAlerts({ run_id: id })).alerts.reverse() : [];
  out(formatStatus(status) + runAlertsSection(alerts));
}

export function formatStatus(status: RunStatus, nowMs = Date.now()): string {
  const lines: string[] = [];
  lines.push(
    `run ${status.id}${status.name ? ` (${status.name})` : ''}: ${status.state}${status.reason ? ` (${status.reason})` : ''}`,
  );
  const times = [`created ${isoTime(status.created_at_ms)}`];
  if (status.started_at_ms !== null) times.push(`started ${isoTime(status.started_at_ms)}`);
  if (status.finished_at_ms !== null) times.push(`finished ${isoTime(status.finished_at_ms)}`);
  else if (status.started_at_ms !== null && nowMs > status.started_at_ms)
    times.push(`running for ${Math.round((nowMs - status.started_at_ms) / 1000)} s`);
  if (status.eta_s !== null) times.push(`ETA ${formatEta(status.eta_s)}`);
  lines.push(times.join(', '));
  const regions = Object.entries(status.regions).sort(([a], [b]) => a.localeCompare(b));
  if (regions.length > 0) {
    const table = new Table({
      head: ['region', 'shards', 'done/scheduled', 'in flight', 'errors', 'outcomes', 'max lag ms'],
      style: { head: [], border: [], compact: true },
    });
    for (const [name, p] of regions)
      table.push([
        name,
        String(p.shards),
        doneOf(p),
        String(p.in_flight),
        String(p.errors),
        outcomes(p),
        p.max_schedule_lag_ms.toFixed(1),
      ]);
    lines.push('', table.toString());
  }
  if (status.shards.length > 0) {
    const table = new Table({
      head: [
        'shard',
        'region',
        'state',
        'colo',
        'done/scheduled',
        'in flight',
        'errors',
        'heartbeat',
        'stop reason',
      ],
      style: { head: [], border: [], compact: true },
    });
    for (const s of status.shards)
      table.push([
        String(s.index),
        s.region,
        s.state,
        s.colo ?? '—',
        doneOf(s.progress),
        String(s.progress.in_flight),
        String(s.progress.errors),
        s.last_heartbeat_ms === null
          ? '—'
          : `${Math.max(0, Math.round((nowMs - s.last_heartbeat_ms) / 1000))} s ago`,
        s.stop_reason ?? '',
      ]);
    lines.push('', table.toString());
  }
  return `${lines.join('\n')}\n`;
}

function doneOf(p: ShardProgress): string {
  return `${p.done}/${p.scheduled ?? '?'}`;
}

/** Measured requests by outcome, then the warm-up requests apart (they are not in the results). */
function outcomes(p: ShardProgress): string {
  const parts = Object.entries(p.by_outcome)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([outcome, n]) => `${n} ${outcome}`);
  if (p.warmup_done > 0) parts.push(`(+${p.warmup_done} warm-up)`);
  return parts.length > 0 ? parts.join(', ') : '—';
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
