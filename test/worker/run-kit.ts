import { env, exports } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import type { RequestRecord } from '../../src/core/record/request-record.ts';
import { isTerminal } from '../../src/core/run/run-state.ts';
import type { RunStatus } from '../../src/core/run/run-status.ts';

export const auth = { authorization: 'Bearer test-control-token-0123456789' };

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://fluidbench.test${path}`, {
    ...init,
    headers: { ...auth, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });
}

/** A run against the loopback simulator with fast knobs; `overrides` replace top-level parts. */
export function simRunConfig(overrides: Record<string, unknown> = {}, sim: Record<string, unknown> = {}) {
  return {
    name: 'test',
    target: {
      api: 'openai-chat',
      base_url: `${env.TEST_TARGET_URL}/v1`,
      model: 'fluidbench-sim',
      continuous_usage: true,
      extra_body: {
        sim: { prefill_base_ms: 5, prefill_us_per_token: 10, decode_ms_per_token: 4, jitter: 0, ...sim },
      },
    },
    workload: {
      arrivals: { type: 'constant', qps: 40 },
      lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 },
      requests: 8,
      seed: 3,
    },
    regions: [
      { location: 'wnam', share: 1 },
      { location: 'weur', share: 1 },
    ],
    ...overrides,
  };
}

export async function createRun(config: unknown): Promise<string> {
  const res = await call('/v1/runs', { method: 'POST', body: JSON.stringify(config) });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

export async function status(id: string): Promise<RunStatus> {
  return (await (await call(`/v1/runs/${id}`)).json()) as RunStatus;
}

/**
 * Polls until the run reaches a terminal state (alarms fire by themselves in the test runtime);
 * fails with the last status when it has not within `timeoutMs`.
 */
export function waitForEnd(id: string, timeoutMs = 20_000): Promise<RunStatus> {
  return vi.waitFor(
    async () => {
      const s = await status(id);
      if (!isTerminal(s.state)) throw new Error(`run ${id} still ${s.state}: ${JSON.stringify(s)}`);
      return s;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/** Polls `status` until `ready` holds for it; fails loudly with the last status on timeout. */
export function waitForStatus(
  id: string,
  ready: (s: RunStatus) => boolean,
  timeoutMs = 10_000,
  interval = 50,
): Promise<RunStatus> {
  return vi.waitFor(
    async () => {
      const s = await status(id);
      if (!ready(s)) throw new Error(`run ${id} not there yet: ${JSON.stringify(s)}`);
      return s;
    },
    { timeout: timeoutMs, interval },
  );
}

export async function results<T = Record<string, unknown>>(id: string): Promise<T> {
  const res = await call(`/v1/runs/${id}/results`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

export async function exportRecords(id: string, limit?: number): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({
      ...(after ? { after } : {}),
      ...(limit ? { limit: String(limit) } : {}),
    });
    const res = await call(`/v1/runs/${id}/requests?${query}`);
    const text = new TextDecoder().decode(await res.arrayBuffer());
    const page = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RequestRecord);
    records.push(...page);
    // The route always says where the next page starts; empty on the last one.
    const next = res.headers.get('x-next-cursor');
    expect(next).not.toBeNull();
    if (!next) return records;
    after = next;
  }
}
