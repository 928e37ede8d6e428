import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../core/api/control-api-schemas.ts';
import { writeRecordPage } from '../storage/records-store.ts';
import { createRun } from '../storage/runs-store.ts';

const TOKEN = 'test-control-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

function call(path: string, init: RequestInit = {}) {
  return exports.default.fetch(`http://fluidbench.test${path}`, init);
}

function post(path: string, body: unknown, headers: Record<string, string> = auth) {
  return call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const validConfig = {
  target: { api: 'openai-chat', base_url: 'http://127.0.0.1:9/v1', model: 'm' },
  workload: {
    arrivals: { type: 'constant', qps: 1 },
    lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 4 },
    requests: 2,
  },
};

describe('control API', () => {
  it('serves /health without a token and /openapi.json describing the /v1 routes', async () => {
    expect(await (await call('/health')).json()).toEqual({ ok: true, service: 'fluidbench' });
    const res = await call('/openapi.json');
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(res.status, JSON.stringify(doc).slice(0, 500)).toBe(200);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/runs',
        '/v1/runs/{id}',
        '/v1/runs/{id}/cancel',
        '/v1/runs/{id}/results',
        '/v1/runs/{id}/requests',
      ]),
    );
  });

  it('refuses /v1 without the bearer token, or with a wrong one, with a request id', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-wrong-token' },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await call('/v1/runs', { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code, JSON.stringify(body)).toBe('unauthorized');
      expect(body.error.request_id).toMatch(/\S+/);
      expect(JSON.stringify(body)).not.toContain('test-control-token');
    }
  });

  it('lists every issue of a malformed run with its path, and writes nothing', async () => {
    const res = await post('/v1/runs', {
      target: { api: 'grpc', base_url: 'not a url', model: '' },
      workload: {
        arrivals: { type: 'poisson', qps: -1 },
        lengths: { type: 'fixed', prompt_tokens: 0, output_tokens: 4 },
      },
      surprise: true,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('invalid_config');
    const paths = body.error.issues?.map((i) => i.path.join('.')) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining([
        'target.api',
        'target.base_url',
        'target.model',
        'workload.arrivals.qps',
        'workload.lengths.prompt_tokens',
      ]),
    );
    expect(body.error.message).toContain('target.base_url');
    const list = (await (await call('/v1/runs', { headers: auth })).json()) as { runs: unknown[] };
    expect(list.runs).toEqual([]);
  });

  it('rejects a body that is not JSON', async () => {
    const res = await post('/v1/runs', '{"target":');
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_request');
  });

  it('rejects an unknown secret name before anything runs', async () => {
    const res = await post('/v1/runs', {
      ...validConfig,
      target: { ...validConfig.target, api_key_secret: 'NO_SUCH_SECRET' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('unknown_secret');
    expect(body.error.issues?.[0]?.path).toEqual(['target', 'api_key_secret']);
    // fluidbench's own token is not a target secret.
    const own = await post('/v1/runs', {
      ...validConfig,
      target: { ...validConfig.target, api_key_secret: 'CONTROL_TOKEN' },
    });
    expect(((await own.json()) as ErrorBody).error.code).toBe('unknown_secret');
  });

  it('refuses a run over its limits, naming the limit', async () => {
    const res = await post('/v1/runs', {
      ...validConfig,
      workload: {
        ...validConfig.workload,
        arrivals: { type: 'constant', qps: 1000 },
        lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 100 },
        requests: 500_000,
      },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toContain('limits.max_requests');
    expect(body.error.message).toContain('limits.max_concurrency');
  });

  it("pages a run's records with the x-next-cursor header, and refuses a cursor of another kind", async () => {
    await createRun(env.DB, { id: 'run-paged', createdAtMs: 1, configJson: '{}', state: 'queued' });
    const record = (shard: number, seq: number) => ({
      id: `run-paged-${seq}`,
      sent_at_ms: seq,
      prompt_tokens: 1,
      output_tokens: 0,
      chunks: [],
      token_count_source: 'events' as const,
      outcome: 'ok' as const,
      shard,
      seq,
      warmup: false,
    });
    // 2 shards × 2 pages × 3 records; seq 0–11 spread so that storage order is not id order.
    for (const shard of [1, 0])
      for (const page of [0, 1])
        await writeRecordPage(
          env.DB,
          'run-paged',
          { shard, page },
          [0, 1, 2].map((i) => record(shard, shard * 6 + page * 3 + i)),
        );
    const ids: string[] = [];
    const cursors: (string | null)[] = [];
    let after = '';
    for (let calls = 0; calls < 10; calls++) {
      const res = await call(
        `/v1/runs/run-paged/requests?limit=5${after && `&after=${encodeURIComponent(after)}`}`,
        {
          headers: auth,
        },
      );
      expect(res.status).toBe(200);
      ids.push(
        ...(await res.text())
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { id: string }).id),
      );
      after = res.headers.get('x-next-cursor') ?? 'missing';
      cursors.push(after);
      if (after === '') break;
    }
    expect(ids).toEqual(Array.from({ length: 12 }, (_, seq) => `run-paged-${seq}`));
    expect(cursors).toEqual(['p:0:1:2', 'p:1:1:1', '']);
    const res = await call('/v1/runs/run-paged/requests?after=run-paged-4', { headers: auth });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.issues?.[0]?.path).toEqual(['after']);
  });

  it('answers 404 for an unknown run or route, 409 for cancelling a finished run', async () => {
    for (const path of ['/v1/runs/nope', '/v1/runs/nope/results', '/v1/runs/nope/requests', '/v1/nothing']) {
      const res = await call(path, { headers: auth });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe('not_found');
    }
    await createRun(env.DB, { id: 'run-finished', createdAtMs: 1, configJson: '{}', state: 'queued' });
    await env.DB.prepare(`UPDATE runs SET state = 'done' WHERE id = 'run-finished'`).run();
    const res = await post('/v1/runs/run-finished/cancel', {});
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorBody).error.code).toBe('conflict');
  });

  it('pages the run list with a cursor and rejects a forged one', async () => {
    for (let i = 0; i < 5; i++)
      await createRun(env.DB, {
        id: `run-list-${i}`,
        createdAtMs: 1000 + i,
        configJson: '{}',
        state: 'queued',
      });
    const first = (await (await call('/v1/runs?limit=3', { headers: auth })).json()) as {
      runs: { id: string }[];
      next: string | null;
    };
    expect(first.runs.map((r) => r.id).slice(0, 3)).toEqual(['run-list-4', 'run-list-3', 'run-list-2']);
    expect(first.next).not.toBeNull();
    const second = (await (
      await call(`/v1/runs?limit=3&cursor=${first.next}`, { headers: auth })
    ).json()) as {
      runs: { id: string }[];
    };
    expect(second.runs[0]?.id).toBe('run-list-1');
    // A forged cursor is a 400 naming `cursor` on every list (one mapping, in app.ts).
    for (const list of ['runs', 'profiles', 'searches']) {
      const forged = await call(`/v1/${list}?cursor=garbage`, { headers: auth });
      expect(forged.status, list).toBe(400);
      const body = (await forged.json()) as { error: { code: string; issues: { path: string[] }[] } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.issues[0]?.path).toEqual(['cursor']);
    }
  });
});
