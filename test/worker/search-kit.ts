import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import type { SearchStatus } from '../../src/core/api/search-api-schemas.ts';
import { call, simRunConfig } from './run-kit.ts';

// Capacity searches against the loopback simulator, for the worker tests.

/** A probe template on the knee simulator (one region), with these simulator knobs and lengths. */
export function simTemplate(sim: Record<string, unknown>, outputTokens = 8, shards?: number) {
  const { name: _name, workload: _workload, target, ...rest } = simRunConfig({}, sim);
  return {
    ...rest,
    target: { ...target, base_url: `${env.TEST_KNEE_TARGET_URL}/v1` },
    regions: [{ location: 'wnam', share: 1, ...(shards !== undefined ? { shards } : {}) }],
    workload: { lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: outputTokens }, seed: 1 },
  };
}

export async function createSearch(body: unknown): Promise<string> {
  const res = await call('/v1/searches', { method: 'POST', body: JSON.stringify(body) });
  const answer = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(answer)).toBe(201);
  return answer.id;
}

export async function searchStatus(id: string): Promise<SearchStatus> {
  const res = await call(`/v1/searches/${id}`);
  const body = (await res.json()) as SearchStatus;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Polls until `ready` holds for the search; fails with its last status. */
export function waitForSearch(
  id: string,
  ready: (s: SearchStatus) => boolean = (s) => s.state !== 'queued' && s.state !== 'running',
  timeoutMs = 60_000,
): Promise<SearchStatus> {
  return vi.waitFor(
    async () => {
      const s = await searchStatus(id);
      if (!ready(s)) throw new Error(`search ${id} not there yet: ${JSON.stringify(s).slice(0, 2000)}`);
      return s;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/** The run ids of every probe run that exists for this search (from the runs list). */
export async function probeRunIds(searchId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const res = await call(`/v1/runs?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    const page = (await res.json()) as { runs: { id: string }[]; next: string | null };
    ids.push(...page.runs.map((r) => r.id).filter((id) => id.startsWith(`${searchId}-p`)));
    if (!page.next) return ids.sort();
    cursor = page.next;
  }
}
