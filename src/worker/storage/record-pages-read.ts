// Reading a run's record pages (`request_pages`) in order, in bounded chunks: the pages' counts
// first (no blobs), then the blobs of only as many pages as the caller's limit needs, a few MB per
// query at most. Warm-up records are filtered after decoding; the counts let whole pages be
// skipped without decoding them.
import { and, asc, eq, gt, type SQL, sql } from 'drizzle-orm';
import { comparePositions, type PagePosition } from '../../core/record/record-cursor.ts';
import { decodePage, type PageRecord } from '../../core/record/record-page-codec.ts';
import type { RequestRecord } from '../../core/record/request-record.ts';
import { openDatabase } from './database.ts';
import { requestPages } from './schema.ts';

/** Page rows read per counts query: ~20 bytes each, so a small answer even at this size. */
const META_ROWS = 500;
/** Blob bytes fetched per query (one page more when a single one is larger). */
const FETCH_BYTES = 4_000_000;

type PageMeta = { shard: number; page: number; n: number; warmupN: number; bytes: number };

const eligibleIn = (m: PageMeta, includeWarmup: boolean) => (includeWarmup ? m.n : m.n - m.warmupN);
const nextPage = (m: { shard: number; page: number }): PagePosition => ({
  shard: m.shard,
  page: m.page + 1,
  index: 0,
});
const samePage = (a: { shard: number; page: number }, b: { shard: number; page: number }) =>
  a.shard === b.shard && a.page === b.page;

function fromKey(runId: string, from: { shard: number; page: number }): SQL | undefined {
  return and(
    eq(requestPages.runId, runId),
    sql`(${requestPages.shard}, ${requestPages.page}) >= (${from.shard}, ${from.page})`,
  );
}

/** The counts of up to META_ROWS pages from `from`'s page on, in order. */
function pageMetas(d1: D1Database, runId: string, from: PagePosition): Promise<PageMeta[]> {
  return openDatabase(d1)
    .select({
      shard: requestPages.shard,
      page: requestPages.page,
      n: requestPages.n,
      warmupN: requestPages.warmupN,
      // length() of a BLOB reads its size, not its bytes.
      bytes: sql<number>`length(${requestPages.records})`,
    })
    .from(requestPages)
    .where(fromKey(runId, from))
    .orderBy(asc(requestPages.shard), asc(requestPages.page))
    .limit(META_ROWS);
}

/** The decoded pages from `first` to `last` that hold records the reader wants. */
async function fetchPages(
  d1: D1Database,
  runId: string,
  first: PageMeta,
  last: PageMeta,
  includeWarmup: boolean,
): Promise<{ shard: number; page: number; records: PageRecord[] }[]> {
  const rows = await openDatabase(d1)
    .select({ shard: requestPages.shard, page: requestPages.page, records: requestPages.records })
    .from(requestPages)
    .where(
      and(
        fromKey(runId, first),
        sql`(${requestPages.shard}, ${requestPages.page}) <= (${last.shard}, ${last.page})`,
        includeWarmup ? undefined : gt(requestPages.n, requestPages.warmupN),
      ),
    )
    .orderBy(asc(requestPages.shard), asc(requestPages.page));
  return rows.map((r) => ({ shard: r.shard, page: r.page, records: decodePage(r.records) }));
}

/**
 * Up to `limit` records from `from` on (and before `until`), in order. `next` is where the next
 * read starts, null when no record follows (before `until`, when given).
 */
export async function readPages(
  d1: D1Database,
  runId: string,
  o: { from: PagePosition; limit: number; includeWarmup: boolean; until?: PagePosition | undefined },
): Promise<{ records: RequestRecord[]; next: PagePosition | null }> {
  const records: RequestRecord[] = [];
  let pos = o.from;
  for (;;) {
    const metas = (await pageMetas(d1, runId, pos)).filter(
      (m) => o.until === undefined || comparePositions({ ...m, index: 0 }, o.until) < 0,
    );
    // Full, and at a page start: any page with a wanted record means one follows.
    if (records.length === o.limit)
      return {
        records,
        next:
          metas.length === META_ROWS || metas.some((m) => eligibleIn(m, o.includeWarmup) > 0) ? pos : null,
      };
    // Pages worth fetching, until they hold one record more than wanted (to know one follows).
    const wanted = o.limit - records.length + 1;
    let covered = 0;
    let bytes = 0;
    const chosen: PageMeta[] = [];
    for (const m of metas) {
      const eligible = eligibleIn(m, o.includeWarmup);
      if (eligible === 0) continue;
      if (chosen.length > 0 && bytes + m.bytes > FETCH_BYTES) break;
      chosen.push(m);
      bytes += m.bytes;
      covered += samePage(m, pos) ? Math.max(0, eligible - pos.index) : eligible;
      if (covered >= wanted) break;
    }
    if (chosen.length === 0) return { records, next: null };
    for (const page of await fetchPages(d1, runId, chosen[0]!, chosen[chosen.length - 1]!, o.includeWarmup)) {
      const start = samePage(page, pos) ? pos.index : 0;
      const end = o.until && samePage(page, o.until) ? o.until.index : page.records.length;
      for (let i = start; i < end; i++) {
        const { shard: _s, seq: _q, warmup, ...record } = page.records[i]!;
        if (warmup && !o.includeWarmup) continue;
        if (records.length === o.limit)
          return { records, next: { shard: page.shard, page: page.page, index: i } };
        records.push(record);
      }
      pos = nextPage(page);
    }
    const last = chosen[chosen.length - 1]!;
    pos = nextPage(last);
    // Every remaining page was chosen and read: nothing follows.
    if (metas.length < META_ROWS && last === metas.filter((m) => eligibleIn(m, o.includeWarmup) > 0).at(-1))
      return { records, next: null };
    if (o.until && comparePositions(pos, o.until) >= 0) return { records, next: null };
  }
}

/**
 * Where the reader is after `count` more records from `from` (the position after the last of
 * them), and whether any record follows; or how many there are when fewer. Counts pages without
 * decoding them, except the page where `from` or the count falls mid-page.
 */
export async function skipPages(
  d1: D1Database,
  runId: string,
  o: { from: PagePosition; count: number; includeWarmup: boolean },
): Promise<{ at: PagePosition; more: boolean } | { fewer: number }> {
  let left = o.count;
  let at: PagePosition | null = null;
  let pos = o.from;
  for (;;) {
    const metas = await pageMetas(d1, runId, pos);
    for (const m of metas) {
      const eligible = eligibleIn(m, o.includeWarmup);
      if (eligible === 0) continue;
      const start = samePage(m, pos) ? pos.index : 0;
      if (at !== null) {
        // Looking for any record after `at`.
        if (start === 0) return { at, more: true };
      } else if (start === 0 && eligible < left) {
        left -= eligible;
        continue;
      } else if (start === 0 && eligible === left) {
        at = nextPage(m);
        left = 0;
        continue;
      }
      // Mid-page: decode it.
      const [page] = await fetchPages(d1, runId, m, m, o.includeWarmup);
      const records = page?.records ?? [];
      for (let i = start; i < records.length; i++) {
        if (records[i]!.warmup && !o.includeWarmup) continue;
        if (at !== null) return { at, more: true };
        if (--left === 0) at = { shard: m.shard, page: m.page, index: i + 1 };
      }
    }
    if (metas.length < META_ROWS) return at !== null ? { at, more: false } : { fewer: o.count - left };
    pos = nextPage(metas[metas.length - 1]!);
  }
}

/** A run's pages summed: records, warm-up ones, and measured ones per outcome. */
export async function countPages(
  d1: D1Database,
  runId: string,
): Promise<{ total: number; warmup: number; byOutcome: Record<string, number> }> {
  const db = openDatabase(d1);
  const [totals, outcomes] = await Promise.all([
    db
      .select({
        total: sql<number | null>`sum(${requestPages.n})`,
        warmup: sql<number | null>`sum(${requestPages.warmupN})`,
      })
      .from(requestPages)
      .where(eq(requestPages.runId, runId)),
    db.all<{ outcome: string; n: number }>(sql`
      SELECT o.key AS outcome, sum(o.value) AS n
      FROM request_pages, json_each(request_pages.outcomes) AS o
      WHERE request_pages.run_id = ${runId}
      GROUP BY o.key`),
  ]);
  const byOutcome: Record<string, number> = {};
  for (const o of outcomes) byOutcome[o.outcome] = o.n;
  return { total: totals[0]?.total ?? 0, warmup: totals[0]?.warmup ?? 0, byOutcome };
}
