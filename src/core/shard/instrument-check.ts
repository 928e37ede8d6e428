import { z } from 'zod';
import { percentile } from '../metrics/percentile.ts';
import type { RequestRecord } from '../record/request-record.ts';

// The instrument check: before its load starts, each shard streams a few requests from a
// calibration target whose emission schedule it can read back (the built-in simulator with
// `emit_times`: every token's text is " @<ms>", the simulator's clock when it sent the chunk),
// and reports how far its own timestamps are off (docs/metrics.md#instrument-check).

export const INSTRUMENT_CHECK_REQUESTS = { min: 0, max: 16 } as const;
export const INSTRUMENT_CHECK_TOKENS = { min: 2, max: 100 } as const;

export const instrumentCheckConfigSchema = z
  .strictObject({
    requests: z
      .number()
      .int()
      .min(INSTRUMENT_CHECK_REQUESTS.min)
      .max(INSTRUMENT_CHECK_REQUESTS.max)
      .default(3)
      .describe(
        'calibration requests each shard streams, at once, before its load starts; 0 turns the check off',
      ),
    output_tokens: z
      .number()
      .int()
      .min(INSTRUMENT_CHECK_TOKENS.min)
      .max(INSTRUMENT_CHECK_TOKENS.max)
      .default(20)
      .describe('tokens per calibration request, one chunk every 20 ms'),
  })
  .describe("the instrument check against the Worker's own simulator (docs/metrics.md#instrument-check)");
export type InstrumentCheckConfig = z.infer<typeof instrumentCheckConfigSchema>;

/** The calibration target's schedule: headers at once, first token after 10 ms, then one every 20 ms. */
export const CALIBRATION_SIM = {
  emit_times: true,
  jitter: 0,
  prefill_base_ms: 10,
  prefill_us_per_token: 0,
  decode_ms_per_token: 20,
  tokens_per_chunk: 1,
  stall: { probability: 0 },
  errors: { http_rate: 0, in_stream_rate: 0, disconnect_rate: 0 },
} as const;

/**
 * How long before the schedule's origin a shard starts its check: the calibration stream (first
 * token at 10 ms, then one per 20 ms) plus room for the shard's start. 0 when the check is off.
 */
export function instrumentCheckLeadMs(check: InstrumentCheckConfig | undefined): number {
  if (!check || check.requests === 0) return 0;
  return CALIBRATION_SIM.prefill_base_ms + CALIBRATION_SIM.decode_ms_per_token * check.output_tokens + 300;
}

/** What one shard measured: raw values, so a region's percentiles are exact over its shards. */
export interface InstrumentSample {
  requests: number;
  ok: number;
  /** Per request: send mark → response headers (the target answers headers at once). */
  sendToHeadersMs: number[];
  /** Per token-carrying read: client timestamp − the target's send time of its last token. */
  chunkErrorMs: number[];
}

const TIME_MARK = /@(\d+(?:\.\d+)?)/g;

/** The send times a calibration stream's text carries, one per token, in order. */
export function emissionTimesMs(text: string): number[] {
  return Array.from(text.matchAll(TIME_MARK), (m) => Number(m[1]));
}

/** One shard's sample from its calibration requests (records and the text each streamed). */
export function instrumentSample(
  results: readonly { record: RequestRecord; text?: string }[],
): InstrumentSample {
  const sample: InstrumentSample = { requests: results.length, ok: 0, sendToHeadersMs: [], chunkErrorMs: [] };
  for (const { record, text } of results) {
    if (record.outcome === 'ok') sample.ok++;
    if (record.headers_ms !== undefined) sample.sendToHeadersMs.push(record.headers_ms);
    const emitted = emissionTimesMs(text ?? '');
    let tokens = 0;
    for (const [offsetMs, n] of record.chunks) {
      if (n <= 0) continue;
      tokens += n;
      const sentAt = emitted[Math.min(tokens, emitted.length) - 1];
      if (sentAt !== undefined) sample.chunkErrorMs.push(record.sent_at_ms + offsetMs - sentAt);
    }
  }
  return sample;
}

const quantilesSchema = z.object({ p50: z.number().nullable(), p99: z.number().nullable() });

export const instrumentCheckResultSchema = z
  .object({
    requests: z.number().int(),
    ok: z.number().int(),
    send_to_headers_ms: quantilesSchema,
    chunk_error_ms: quantilesSchema,
  })
  .describe(
    "the instrument check of a region's shards: send mark → headers from a target that answers at once, and chunk timestamp − the target's own send time (same clock)",
  );
export type InstrumentCheckResult = z.infer<typeof instrumentCheckResultSchema>;

/** Merges shards' samples (a region's) into the reported figures. */
export function summarizeInstrumentCheck(samples: readonly InstrumentSample[]): InstrumentCheckResult {
  const send: number[] = [];
  const error: number[] = [];
  let requests = 0;
  let ok = 0;
  for (const s of samples) {
    requests += s.requests;
    ok += s.ok;
    send.push(...s.sendToHeadersMs);
    error.push(...s.chunkErrorMs);
  }
  const q = (values: number[]) => ({ p50: percentile(values, 0.5), p99: percentile(values, 0.99) });
  return { requests, ok, send_to_headers_ms: q(send), chunk_error_ms: q(error) };
}
