import type { RequestRecord } from '../../src/core/record/request-record.ts';
import type { ChunkLogEntry } from './sim-server.ts';

export interface ChunkTiming {
  /** Client timestamp − target send time of the same chunk, ms, one per token-carrying read. */
  errorsMs: number[];
  /** |Δclient − Δtarget| between consecutive token-carrying reads of a request, ms. */
  itlErrorsMs: number[];
  /** Epoch ms of the first and last matched client chunk. */
  firstMs: number;
  lastMs: number;
}

/**
 * Matches every token-carrying client read to the target's own send log: a read that brings a
 * request's total to c tokens ends with the target chunk whose cumulative count first reaches c.
 * Both clocks are the same host's, so the difference is loopback latency plus clock resolution.
 */
export function compareChunkTiming(
  records: readonly RequestRecord[],
  log: ReadonlyMap<string, readonly ChunkLogEntry[]>,
): ChunkTiming {
  const timing: ChunkTiming = { errorsMs: [], itlErrorsMs: [], firstMs: Number.POSITIVE_INFINITY, lastMs: 0 };
  for (const record of records) {
    const sent = log.get(record.id);
    if (!sent) continue;
    let clientTokens = 0;
    let targetTokens = 0;
    let j = -1;
    let previous: { client: number; target: number } | null = null;
    for (const [offsetMs, tokens] of record.chunks) {
      if (tokens === 0) continue;
      clientTokens += tokens;
      while (targetTokens < clientTokens && j + 1 < sent.length) targetTokens += sent[++j]?.tokens ?? 0;
      const target = sent[j]?.sentAtMs;
      if (target === undefined) continue;
      const client = record.sent_at_ms + offsetMs;
      timing.errorsMs.push(client - target);
      if (previous) timing.itlErrorsMs.push(Math.abs(client - previous.client - (target - previous.target)));
      previous = { client, target };
      timing.firstMs = Math.min(timing.firstMs, client);
      timing.lastMs = Math.max(timing.lastMs, client);
    }
  }
  return timing;
}
