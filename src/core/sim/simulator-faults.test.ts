import { describe, expect, it } from 'vitest';
import { TOKEN_TEXT } from './sim-chunks.ts';
import { chatBody, chunkText, readSse, simHarness, simRequest } from './sim-test-kit.ts';

const fast = { prefill_base_ms: 5, prefill_us_per_token: 0, decode_ms_per_token: 5 };
const tokensOf = (json: Record<string, unknown>[]) =>
  json.reduce((n, c) => n + chunkText(c).length / TOKEN_TEXT.length, 0);

type ErrorBody = {
  error: { message: string; type: string; param: string | null; issues?: { path: unknown[] }[] };
};

describe('simulator faults', () => {
  it('injects HTTP errors from http_statuses; 429 carries Retry-After', async () => {
    for (const status of [503, 429]) {
      const { sim } = simHarness({ ...fast, errors: { http_rate: 1, http_statuses: [status] } });
      const res = await sim.handle(simRequest('/v1/chat/completions', chatBody()));
      expect(res.status).toBe(status);
      expect(res.headers.get('retry-after')).toBe(status === 429 ? '1' : null);
      expect(((await res.json()) as ErrorBody).error.message).toContain(String(status));
      expect(sim.stats()).toMatchObject({ faulted: 1, active: 0 });
    }
  });

  it('in-stream error: tokens, then an error event and the end without [DONE]', async () => {
    const { sim, clock } = simHarness({ ...fast, errors: { in_stream_rate: 1 } });
    const res = await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 20 })));
    expect(res.status).toBe(200);
    const { json, doneLast, error } = await readSse(res, clock.nowMs);
    expect(error).toBeUndefined();
    expect(doneLast).toBe(false);
    expect(json.at(-1)).toMatchObject({
      error: { message: 'simulated failure', type: 'server_error', code: 'simulated' },
    });
    const tokens = tokensOf(json);
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThan(20);
    expect(sim.stats()).toMatchObject({ faulted: 1, active: 0 });
  });

  it('disconnect: the body fails mid-way without [DONE]', async () => {
    const { sim, clock } = simHarness({ ...fast, errors: { disconnect_rate: 1 } });
    const res = await sim.handle(
      simRequest('/v1/completions', { model: 'm', prompt: 'a b', max_tokens: 20, stream: true }),
    );
    const { json, doneLast, error } = await readSse(res, clock.nowMs);
    expect(error).toBeInstanceOf(Error);
    expect(doneLast).toBe(false);
    expect(tokensOf(json)).toBeGreaterThan(0);
    expect(tokensOf(json)).toBeLessThan(20);
    expect(sim.stats()).toMatchObject({ faulted: 1, active: 0 });
  });

  it('non-streaming faults: 500 for an in-stream error, a failing body for a disconnect', async () => {
    const inStream = simHarness({ ...fast, errors: { in_stream_rate: 1 } }).sim;
    expect(
      (await inStream.handle(simRequest('/v1/chat/completions', chatBody({ stream: false })))).status,
    ).toBe(500);
    const disconnect = simHarness({ ...fast, errors: { disconnect_rate: 1 } }).sim;
    const res = await disconnect.handle(simRequest('/v1/chat/completions', chatBody({ stream: false })));
    await expect(res.text()).rejects.toThrow();
  });

  it('chooses faults deterministically from seed and request index', async () => {
    const outcomes = async (seed: number) => {
      const { sim, clock } = simHarness({
        ...fast,
        seed,
        errors: { http_rate: 0.3, in_stream_rate: 0.3, disconnect_rate: 0.3 },
      });
      const out: string[] = [];
      for (let i = 0; i < 24; i++) {
        const res = await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 3 })));
        if (res.status !== 200) out.push(String(res.status));
        else {
          const r = await readSse(res, clock.nowMs);
          out.push(r.error ? 'disconnect' : r.doneLast ? 'ok' : 'in_stream');
        }
      }
      return out;
    };
    const a = await outcomes(7);
    expect(await outcomes(7)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThanOrEqual(3);
    expect(await outcomes(8)).not.toEqual(a);
  });

  it('adds stalls before chunks', async () => {
    const { sim, clock } = simHarness({ ...fast, stall: { probability: 1, ms: 100 } });
    const t0 = clock.nowMs();
    const { events } = await readSse(
      await sim.handle(simRequest('/v1/chat/completions', chatBody({ max_tokens: 3 }))),
      clock.nowMs,
    );
    expect(events.slice(1, 4).map((e) => e.atMs - t0)).toEqual([105, 210, 315]);
  });

  it('applies a per-request sim override and rejects a bad one with its issues', async () => {
    const { sim, clock } = simHarness(fast);
    const t0 = clock.nowMs();
    const { events } = await readSse(
      await sim.handle(
        simRequest('/v1/chat/completions', chatBody({ max_tokens: 3, sim: { decode_ms_per_token: 50 } })),
      ),
      clock.nowMs,
    );
    expect(events.slice(1, 4).map((e) => e.atMs - t0)).toEqual([5, 55, 105]);
    const failing = await sim.handle(
      simRequest(
        '/v1/chat/completions',
        chatBody({ sim: { errors: { http_rate: 1, http_statuses: [502] } } }),
      ),
    );
    expect(failing.status).toBe(502);
    const bad = await sim.handle(
      simRequest('/v1/chat/completions', chatBody({ sim: { jitter: 3, capacity: { max_sequences: 1 } } })),
    );
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as ErrorBody;
    const paths = body.error.issues?.map((i) => i.path.join('.'));
    expect(paths).toContain('sim.jitter');
    expect(paths?.some((p) => p.startsWith('sim'))).toBe(true);
    expect(body.error.issues?.length).toBeGreaterThanOrEqual(2);
  });
});

describe('simulator request validation and auth', () => {
  it('answers 400 in the OpenAI shape, listing every issue', async () => {
    const { sim } = simHarness();
    const post = (path: string, body: unknown) => sim.handle(simRequest(path, body));
    const cases: [string, unknown, string[]][] = [
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }, ['model', 'max_tokens']],
      ['/v1/chat/completions', { model: 'm', max_tokens: 0, messages: [] }, ['max_tokens', 'messages']],
      ['/v1/completions', { model: 'm', max_tokens: 3 }, ['prompt']],
      [
        '/v1/completions',
        { model: 'm', prompt: 'x', max_tokens: 3, stream_options: { include_usage: true } },
        ['stream_options'],
      ],
    ];
    for (const [path, body, params] of cases) {
      const res = await post(path, body);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as ErrorBody;
      expect(error.type).toBe('invalid_request_error');
      expect(params).toContain(error.param);
      for (const p of params) expect(error.message).toContain(p);
    }
    const notJson = await sim.handle(
      simRequest('/v1/chat/completions', '{not json', { headers: { 'x-request-id': 'bad-1' } }),
    );
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('x-request-id')).toBe('bad-1');
    expect(sim.stats()).toMatchObject({ active: 0, completed: 0 });
  });

  it('requires the bearer key when api_key is set', async () => {
    const { sim, clock } = simHarness({ api_key: 'k1' });
    const withKey = (key?: string) =>
      simRequest('/v1/chat/completions', chatBody({ max_tokens: 1 }), {
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
    for (const key of [undefined, 'wrong']) {
      const res = await sim.handle(withKey(key));
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.type).toBe('invalid_request_error');
    }
    const ok = await sim.handle(withKey('k1'));
    expect(ok.status).toBe(200);
    expect((await readSse(ok, clock.nowMs)).doneLast).toBe(true);
    expect((await sim.handle(new Request('http://sim.test/v1/models'))).status).toBe(401);
  });
});
