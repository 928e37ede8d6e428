import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../record/request-record.ts';
import { timedTokenText } from '../sim/sim-chunks.ts';
import {
  emissionTimesMs,
  instrumentCheckConfigSchema,
  instrumentCheckLeadMs,
  instrumentSample,
  summarizeInstrumentCheck,
} from './instrument-check.ts';

function record(sentAt: number, chunks: [number, number][], headersMs?: number): RequestRecord {
  return {
    id: 'r',
    sent_at_ms: sentAt,
    ...(headersMs !== undefined ? { headers_ms: headersMs } : {}),
    prompt_tokens: 1,
    output_tokens: chunks.reduce((n, c) => n + c[1], 0),
    chunks,
    token_count_source: 'events',
    outcome: 'ok',
  };
}

describe('instrument check', () => {
  it('reads back the send times the simulator writes into the tokens', () => {
    const text = timedTokenText(1, 1000) + timedTokenText(2, 1020.5);
    expect(emissionTimesMs(text)).toEqual([1000, 1020.5, 1020.5]);
  });

  it("measures each read against the send time of its last token, on the client's clock", () => {
    // Sent at 500; tokens emitted at 1000, 1020, 1040; read at 1001 (1 token) and 1043 (2 tokens).
    const text = timedTokenText(1, 1000) + timedTokenText(1, 1020) + timedTokenText(1, 1040);
    const sample = instrumentSample([
      {
        record: record(
          500,
          [
            [501, 1],
            [543, 2],
          ],
          2,
        ),
        text,
      },
    ]);
    expect(sample.chunkErrorMs).toEqual([1, 3]);
    expect(sample.sendToHeadersMs).toEqual([2]);
    expect(sample.ok).toBe(1);
  });

  it('merges shards exactly and reports nulls when nothing was measured', () => {
    const a = { requests: 1, ok: 1, sendToHeadersMs: [1], chunkErrorMs: [0, 0, 10] };
    const b = { requests: 2, ok: 1, sendToHeadersMs: [3], chunkErrorMs: [2] };
    const merged = summarizeInstrumentCheck([a, b]);
    expect(merged.requests).toBe(3);
    expect(merged.ok).toBe(2);
    expect(merged.send_to_headers_ms.p50).toBe(2);
    expect(merged.chunk_error_ms.p50).toBe(1);
    expect(summarizeInstrumentCheck([]).chunk_error_ms).toEqual({ p50: null, p99: null });
  });

  it('is on by default, bounded, and leaves time before the load only when on', () => {
    const on = instrumentCheckConfigSchema.parse({});
    expect(on.requests).toBeGreaterThan(0);
    expect(instrumentCheckLeadMs(on)).toBeGreaterThan(10 + 20 * on.output_tokens);
    expect(instrumentCheckLeadMs(instrumentCheckConfigSchema.parse({ requests: 0 }))).toBe(0);
    expect(instrumentCheckConfigSchema.safeParse({ requests: 17 }).success).toBe(false);
    expect(instrumentCheckConfigSchema.safeParse({ output_tokens: 101 }).success).toBe(false);
  });
});
