import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

// Newest-first paging, shared by every listing (runs, profiles, searches, schedules): rows ordered by
// (created_at_ms, id) descending; the cursor is base64url JSON of [created_at_ms, id] of the last
// row of a page: opaque to clients, exact for any id.

/** A cursor that does not decode: the caller sent something it was never given (400 in app.ts). */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export function encodeCursor(row: { createdAtMs: number; id: string }): string {
  const json = new TextEncoder().encode(JSON.stringify([row.createdAtMs, row.id]));
  return btoa(String.fromCharCode(...json))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

export function decodeCursor(cursor: string): { createdAtMs: number; id: string } {
  try {
    const binary = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    const json = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
    const value: unknown = JSON.parse(json);
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string'
    )
      return { createdAtMs: value[0] as number, id: value[1] };
  } catch {
    // fall through: any decoding failure means the same thing to the caller
  }
  throw new InvalidCursorError('invalid cursor');
}

/**
 * One page: `select` runs the query with the cursor's WHERE, the order and `limit + 1` (the extra
 * row says whether another page exists).
 */
export async function newestFirstPage<T extends { createdAtMs: number; id: string }>(
  table: { createdAtMs: SQLiteColumn; id: SQLiteColumn },
  options: { limit: number; cursor?: string | undefined },
  select: (where: SQL | undefined, orderBy: SQL[], limit: number) => Promise<T[]>,
): Promise<{ rows: T[]; next: string | null }> {
  const { limit, cursor } = options;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  let where: SQL | undefined;
  if (cursor !== undefined) {
    const c = decodeCursor(cursor);
    where = or(
      lt(table.createdAtMs, c.createdAtMs),
      and(eq(table.createdAtMs, c.createdAtMs), lt(table.id, c.id)),
    );
  }
  const rows = await select(where, [desc(table.createdAtMs), desc(table.id)], limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last ? encodeCursor(last) : null };
}
