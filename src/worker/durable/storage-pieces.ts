/** Durable Object storage values are capped (2 MB); long strings are kept in pieces. */
const PIECE_CHARS = 256 * 1024;

export async function storePieces(
  storage: DurableObjectStorage,
  prefix: string,
  text: string,
): Promise<void> {
  const entries: Record<string, string> = {};
  const count = Math.max(1, Math.ceil(text.length / PIECE_CHARS));
  for (let i = 0; i < count; i++)
    entries[`${prefix}${String(i).padStart(6, '0')}`] = text.slice(i * PIECE_CHARS, (i + 1) * PIECE_CHARS);
  await storage.delete([...(await storage.list({ prefix })).keys()]);
  // `put` takes at most 128 keys at once.
  const keys = Object.keys(entries);
  for (let i = 0; i < keys.length; i += 128)
    await storage.put(Object.fromEntries(keys.slice(i, i + 128).map((k) => [k, entries[k]])));
}

export async function loadPieces(storage: DurableObjectStorage, prefix: string): Promise<string | null> {
  const pieces = await storage.list<string>({ prefix });
  return pieces.size === 0 ? null : [...pieces.values()].join('');
}
