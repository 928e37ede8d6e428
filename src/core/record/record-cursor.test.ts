// Cursors are opaque to clients but must round-trip exactly, order positions like the pages are
// read, and leave anything else to be an id of the older one-row-per-request table.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  comparePositions,
  FIRST_PAGE_POSITION,
  formatPageCursor,
  type PagePosition,
  parseRecordCursor,
} from './record-cursor.ts';

const position = fc.record({
  shard: fc.nat({ max: 10_000 }),
  page: fc.maxSafeNat(),
  index: fc.nat({ max: 100_000 }),
});

describe('record cursors', () => {
  it('round-trips every page position', () => {
    fc.assert(
      fc.property(position, (p) => {
        expect(parseRecordCursor(formatPageCursor(p))).toEqual({ kind: 'page', ...p });
      }),
    );
  });

  it('reads anything else as an id of the older table', () => {
    for (const id of [
      'run-1-7',
      'p:1:2',
      'p:1:2:3:4',
      'p:-1:0:0',
      'p:1:2:x',
      ' p:1:2:3',
      '',
      'p:0:9007199254740992:0',
    ])
      expect(parseRecordCursor(id)).toEqual({ kind: 'legacy', id });
  });

  it('orders positions by shard, then page, then index, the first position before all', () => {
    const at = (shard: number, page: number, index: number): PagePosition => ({ shard, page, index });
    const sorted = [at(0, 0, 0), at(0, 0, 5), at(0, 3, 0), at(1, 0, 0), at(1, 0, 1), at(2, 9, 9)];
    const shuffled = [sorted[3]!, sorted[0]!, sorted[5]!, sorted[1]!, sorted[4]!, sorted[2]!];
    expect(shuffled.sort(comparePositions)).toEqual(sorted);
    fc.assert(
      fc.property(position, (p) => {
        expect(comparePositions(FIRST_PAGE_POSITION, p)).toBeLessThanOrEqual(0);
      }),
    );
  });
});
