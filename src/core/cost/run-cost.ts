import { z } from 'zod';

// What a run costs on Cloudflare's Workers Paid plan (docs/cost.md): pure arithmetic from the
// plan (dry run) or from what a run measured (results). Marginal prices, beyond the plan's monthly
// included amounts (10 M Worker requests, 30 M CPU-ms, 1 M DO requests, 400k GB-s DO duration,
// 50 M rows written each for DO SQLite and D1): a small run is usually free within them.

/** Workers Paid prices in USD, from Cloudflare's pricing pages as of 2026-11-22. */
export const PRICES_AS_OF = '2026-11-22';
export const USD_PER_M_WORKER_REQUESTS = 0.3;
export const USD_PER_M_CPU_MS = 0.02;
export const USD_PER_M_DO_REQUESTS = 0.15;
/** Duration is billed at 128 MB per active object, for its wall-clock time while active. */
export const USD_PER_M_DO_GB_S = 12.5;
export const DO_BILLED_GB = 0.125;
export const USD_PER_M_DO_ROWS_WRITTEN = 1.0;
export const USD_PER_M_D1_ROWS_WRITTEN = 1.0;
export const USD_PER_GB_MONTH_D1 = 0.75;

/**
 * Per-request figures measured by `npm run bench:streams` and the local runs (README, "What a run
 * costs"): CPU of the whole local stack per streamed chunk (shards, coordinator, D1), rows written
 * per request in a shard's SQLite and in D1, and D1 bytes per request beyond the chunk timeline.
 */
export const MEASURED_CPU_US_PER_CHUNK = 100;
/**
 * Shard SQLite rows per request: batches of finished records (a row a second with the counters and
 * the send checkpoint), a reservation per 16 sends, the flush marks and the final delete — 98 rows
 * for 352 requests at 32 streams (README). Fewer requests a second per shard means smaller batches.
 */
export const MEASURED_DO_ROWS_PER_REQUEST = 0.28;
/** Records go ~90 to a D1 row (a page), 2 rows written each (row and key): 12 for 500 records measured. */
export const MEASURED_D1_ROWS_PER_REQUEST = 0.024;
export const D1_BYTES_PER_REQUEST_BASE = 120;
/** A chunk's timestamp in the stored timeline (delta-encoded varints): about 2 bytes. */
export const D1_BYTES_PER_CHUNK = 2;
/** Heartbeats are RPC calls into the coordinator: one per shard every 2 s. */
export const HEARTBEAT_S = 2;

export interface CostInput {
  requests: number;
  shards: number;
  /** Wall time the shards are active (the run's duration plus start and drain), seconds. */
  activeS: number;
  /** Streamed chunks (≈ output tokens with one token per chunk). */
  chunks: number;
  /** Measured when known (results); else the constants above (dry run). */
  cpuMs?: number;
  doRowsWritten?: number;
  d1RowsWritten?: number;
  d1Bytes?: number;
  /** Alarm slices over all shards (default: one per 10 minutes per shard). */
  slices?: number;
  /** Measured active wall time summed over the shards, seconds (default: shards × activeS). */
  shardActiveS?: number;
}

export const costLineSchema = z.object({
  item: z.string(),
  quantity: z.number(),
  unit: z.string(),
  usd: z.number(),
});
export const runCostSchema = z
  .object({
    prices_as_of: z.string(),
    lines: z.array(costLineSchema),
    total_usd: z.number(),
    usd_per_million_requests: z.number().nullable(),
  })
  .describe("the run's Cloudflare cost at Workers Paid marginal prices (docs/cost.md)");
export type RunCost = z.infer<typeof runCostSchema>;

/** The cost lines of a run (every formula here; quantities in the units the prices use). */
export function estimateRunCost(input: CostInput): RunCost {
  const { requests, shards, activeS, chunks } = input;
  const cpuMs = input.cpuMs ?? (chunks * MEASURED_CPU_US_PER_CHUNK) / 1000;
  const slices = input.slices ?? shards * Math.max(1, Math.ceil(activeS / 600));
  // Coordinator and shard RPCs: start, finished, release per shard, heartbeats, alarms.
  const doRequests = shards * 3 + Math.ceil(activeS / HEARTBEAT_S) * shards + slices + 2;
  // The shards and the coordinator are active for the whole run.
  const doGbS = ((input.shardActiveS ?? shards * activeS) + activeS) * DO_BILLED_GB;
  const doRows = input.doRowsWritten ?? requests * MEASURED_DO_ROWS_PER_REQUEST;
  const d1Rows = input.d1RowsWritten ?? requests * MEASURED_D1_ROWS_PER_REQUEST;
  const d1Bytes = input.d1Bytes ?? requests * D1_BYTES_PER_REQUEST_BASE + chunks * D1_BYTES_PER_CHUNK;
  const lines = [
    { item: 'Workers CPU', quantity: cpuMs, unit: 'CPU-ms', usd: (cpuMs / 1e6) * USD_PER_M_CPU_MS },
    { item: 'Workers requests', quantity: 1, unit: 'requests', usd: USD_PER_M_WORKER_REQUESTS / 1e6 },
    {
      item: 'DO requests',
      quantity: doRequests,
      unit: 'requests',
      usd: (doRequests / 1e6) * USD_PER_M_DO_REQUESTS,
    },
    { item: 'DO duration', quantity: doGbS, unit: 'GB-s', usd: (doGbS / 1e6) * USD_PER_M_DO_GB_S },
    {
      item: 'DO SQLite rows written',
      quantity: doRows,
      unit: 'rows',
      usd: (doRows / 1e6) * USD_PER_M_DO_ROWS_WRITTEN,
    },
    {
      item: 'D1 rows written',
      quantity: d1Rows,
      unit: 'rows',
      usd: (d1Rows / 1e6) * USD_PER_M_D1_ROWS_WRITTEN,
    },
    // A month of storage for the run's rows (kept until deleted).
    {
      item: 'D1 storage (1 month)',
      quantity: d1Bytes,
      unit: 'bytes',
      usd: (d1Bytes / 1e9) * USD_PER_GB_MONTH_D1,
    },
  ];
  const total = lines.reduce((sum, l) => sum + l.usd, 0);
  return {
    prices_as_of: PRICES_AS_OF,
    lines,
    total_usd: total,
    usd_per_million_requests: requests > 0 ? (total / requests) * 1e6 : null,
  };
}

export const runUsageSchema = z
  .object({
    requests: z.number().int(),
    chunks: z.number().int(),
    do_active_s: z.number(),
    do_rows_written: z.number().int(),
    d1_rows_written: z.number().int(),
    d1_bytes_written: z.number().int(),
    /** Not measurable inside a Worker: chunks × MEASURED_CPU_US_PER_CHUNK (from the local bench). */
    cpu_ms_estimated: z.number(),
  })
  .describe("what the run's shards measured spending (docs/cost.md)");
export type RunUsage = z.infer<typeof runUsageSchema>;

/** The results' cost section: what the shards measured and what it costs. */
export function costOfRun(input: {
  requests: number;
  chunks: number;
  shards: number;
  slices: number;
  /** The run's wall time (the coordinator is active throughout), seconds. */
  runS: number;
  usage: { do_rows_written: number; d1_rows_written: number; d1_bytes_written: number; active_ms: number };
}): { usage: RunUsage } & RunCost {
  const cpuMs = (input.chunks * MEASURED_CPU_US_PER_CHUNK) / 1000;
  const u = input.usage;
  return {
    usage: {
      requests: input.requests,
      chunks: input.chunks,
      do_active_s: u.active_ms / 1000,
      do_rows_written: u.do_rows_written,
      d1_rows_written: u.d1_rows_written,
      d1_bytes_written: u.d1_bytes_written,
      cpu_ms_estimated: cpuMs,
    },
    ...estimateRunCost({
      requests: input.requests,
      shards: input.shards,
      activeS: input.runS,
      chunks: input.chunks,
      cpuMs,
      doRowsWritten: u.do_rows_written,
      d1RowsWritten: u.d1_rows_written,
      d1Bytes: u.d1_bytes_written,
      slices: input.slices,
      shardActiveS: u.active_ms / 1000,
    }),
  };
}
