// Where a reader of a run's records is up to (docs/streaming.md#d1). Records of runs stored before
// pages come first, ordered by id; then the pages, ordered by (shard, page), each record by its
// position in its page. A cursor names the first record not yet returned:
//   `p:<shard>:<page>:<index>`  record `index` of page (shard, page), or the first one after it;
//   anything else               a request id of the older table: the records with a greater id.
// Clients treat the cursor as opaque.

/** A place among the pages: record `index` of page (shard, page). */
export type PagePosition = { shard: number; page: number; index: number };

export type RecordCursor = { kind: 'legacy'; id: string } | ({ kind: 'page' } & PagePosition);

/** At or before every page (shard indexes and page keys are never negative). */
export const FIRST_PAGE_POSITION: PagePosition = { shard: 0, page: 0, index: 0 };

const PAGE_CURSOR = /^p:(\d{1,16}):(\d{1,16}):(\d{1,16})$/;

export function formatPageCursor(p: PagePosition): string {
  return `p:${p.shard}:${p.page}:${p.index}`;
}

/** A `p:` cursor, or else an id of the older table (any string: ids were never `p:<n>:<n>:<n>`). */
export function parseRecordCursor(cursor: string): RecordCursor {
  const m = PAGE_CURSOR.exec(cursor);
  const [shard, page, index] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (!Number.isSafeInteger(shard) || !Number.isSafeInteger(page) || !Number.isSafeInteger(index))
    return { kind: 'legacy', id: cursor };
  return { kind: 'page', shard: shard!, page: page!, index: index! };
}

/** Orders two positions: negative when `a` comes first. */
export function comparePositions(a: PagePosition, b: PagePosition): number {
  return a.shard - b.shard || a.page - b.page || a.index - b.index;
}
