import { describe, expect, it } from 'vitest';
import {
  BATCH_MAX_JSON_CHARS,
  BATCH_MAX_RECORDS,
  batchesInPage,
  PAGE_MAX_JSON_CHARS,
  PAGE_MAX_RECORDS,
  packBatches,
  RECORD_MAX_JSON_CHARS,
} from './record-batches.ts';
import type { ShardRecord } from './shard-record.ts';

const record = (seq: number, chunks = 50, error?: string): ShardRecord => ({
  id: `run-${seq}`,
  region: 'wnam',
  sent_at_ms: 1_700_000_000_000 + seq,
  prompt_tokens: 100,
  output_tokens: chunks,
  chunks: Array.from({ length: chunks }, (_, i) => [20 * i + 0.25, 1] as [number, number]),
  token_count_source: 'usage_stream',
  outcome: 'ok',
  ...(error !== undefined ? { error } : {}),
  shard: 0,
  seq,
  warmup: seq < 2,
});

describe('packBatches', () => {
  it('keeps every record once, in order, in batches under both caps', () => {
    const records = Array.from({ length: 150 }, (_, i) => record(i, i % 7 === 0 ? 8_000 : 50));
    const batches = packBatches(records);
    const back = batches.flatMap((b) => JSON.parse(b.json) as ShardRecord[]);
    expect(back).toEqual(records);
    for (const b of batches) {
      expect(b.n).toBeLessThanOrEqual(BATCH_MAX_RECORDS);
      expect(b.json.length).toBeLessThanOrEqual(BATCH_MAX_JSON_CHARS);
      expect((JSON.parse(b.json) as unknown[]).length).toBe(b.n);
    }
    // The big timelines force batches smaller than the record cap.
    expect(batches.length).toBeGreaterThan(Math.ceil(150 / BATCH_MAX_RECORDS));
  });

  it('a record too large for a row keeps no timeline and says why', () => {
    const huge = record(5, 60_000, 'upstream said so');
    expect(JSON.stringify(huge).length).toBeGreaterThan(RECORD_MAX_JSON_CHARS);
    const [batch] = packBatches([huge]);
    const [stored] = JSON.parse(batch!.json) as ShardRecord[];
    expect(stored!.chunks).toEqual([]);
    expect(stored!.outcome).toBe('stream_error');
    expect(stored!.error).toMatch(/60000 chunks .* dropped; upstream said so$/);
    expect(stored!.id).toBe(huge.id);
  });

  it('nothing in, nothing out', () => {
    expect(packBatches([])).toEqual([]);
  });
});

describe('batchesInPage', () => {
  it('takes whole batches up to the caps, at least one', () => {
    expect(batchesInPage([])).toBe(0);
    expect(batchesInPage([{ n: 64, chars: PAGE_MAX_JSON_CHARS + 5 }])).toBe(1);
    const full = Array.from({ length: 20 }, () => ({ n: 64, chars: 10_000 }));
    expect(batchesInPage(full)).toBe(PAGE_MAX_RECORDS / 64);
    const wide = Array.from({ length: 20 }, () => ({ n: 1, chars: 300_000 }));
    expect(batchesInPage(wide)).toBe(3);
  });

  it('after a crash the same first batch starts a page of the same batches or more', () => {
    const all = Array.from({ length: 30 }, (_, i) => ({
      n: 1 + ((i * 37) % 64),
      chars: 1_000 + ((i * 7919) % 90_000),
    }));
    for (let seen = 1; seen <= all.length; seen++) {
      const before = batchesInPage(all.slice(0, seen));
      for (let later = seen; later <= all.length; later++) {
        const after = batchesInPage(all.slice(0, later));
        expect(after).toBeGreaterThanOrEqual(before);
      }
    }
  });
});
