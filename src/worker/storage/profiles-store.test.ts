import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from './newest-first.ts';
import { createProfile, finishProfile, getProfile, listProfiles } from './profiles-store.ts';

const db = env.DB;

const profile = (id: string, createdAtMs: number) => ({
  id,
  createdAtMs,
  name: null,
  requestJson: '{}',
  runId: `${id}-run`,
  state: 'running' as const,
});

describe('profiles store', () => {
  it('creates once per id', async () => {
    expect(await createProfile(db, profile('p-once', 1))).toBe(true);
    expect(await createProfile(db, { ...profile('p-once', 2), requestJson: '{"other":1}' })).toBe(false);
    expect((await getProfile(db, 'p-once'))?.requestJson).toBe('{}');
    expect(await getProfile(db, 'p-missing')).toBeNull();
  });

  it('finishes an open profile exactly once', async () => {
    await createProfile(db, profile('p-finish', 3));
    const end = { state: 'done' as const, profileJson: '{"samples":[]}', reason: 'fitted', finishedAtMs: 9 };
    expect(await finishProfile(db, 'p-finish', end)).toBe(true);
    expect(await finishProfile(db, 'p-finish', { ...end, state: 'failed', reason: 'late' })).toBe(false);
    expect(await getProfile(db, 'p-finish')).toMatchObject({
      state: 'done',
      reason: 'fitted',
      finishedAtMs: 9,
    });
  });

  it('lists newest first, ties broken by id, a page at a time', async () => {
    const ids = ['l-a', 'l-b', 'l-c', 'l-d', 'l-e'];
    for (const id of ids) await createProfile(db, profile(id, 1_000)); // one creation time for all
    await createProfile(db, profile('l-newest', 2_000));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listProfiles(db, { limit: 2, ...(cursor !== undefined && { cursor }) });
      seen.push(...page.profiles.map((p) => p.id));
      if (page.next === null) break;
      cursor = page.next;
    }
    const listed = seen.filter((id) => id.startsWith('l-'));
    expect(listed).toEqual(['l-newest', 'l-e', 'l-d', 'l-c', 'l-b', 'l-a']);
    await expect(listProfiles(db, { limit: 2, cursor: 'nope' })).rejects.toThrow(InvalidCursorError);
  });
});
