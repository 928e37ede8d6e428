import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiCallError,
  ApiClient,
  ApiUnreachableError,
  apiError,
  isLoopback,
  isTransient,
  parseDotenv,
  resolveBaseUrl,
  resolveToken,
} from './api-client.ts';
import { CliError } from './cli-error.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-api-client-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh working directory holding the given files. */
async function cwdWith(files: Record<string, string>): Promise<string> {
  const cwd = await mkdtemp(path.join(dir, 'cwd-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(cwd, name), content);
  return cwd;
}

describe('base URL and token resolution', () => {
  it('prefers --url, then FLUIDBENCH_URL, then the local dev server', () => {
    expect(resolveBaseUrl('https://a.example/', { FLUIDBENCH_URL: 'https://b.example' })).toBe(
      'https://a.example',
    );
    expect(resolveBaseUrl(undefined, { FLUIDBENCH_URL: 'https://b.example/x/' })).toBe('https://b.example/x');
    expect(resolveBaseUrl(undefined, {})).toBe('http://127.0.0.1:8787');
    expect(() => resolveBaseUrl('not a url', {})).toThrow(/--url: not a URL/);
    expect(() => resolveBaseUrl(undefined, { FLUIDBENCH_URL: 'ftp://x' })).toThrow(
      /FLUIDBENCH_URL: expected an http/,
    );
  });

  it('knows loopback hosts', () => {
    for (const url of [
      'http://127.0.0.1:8787',
      'http://localhost:1',
      'http://[::1]:8787',
      'http://127.1.2.3',
    ])
      expect(isLoopback(url), url).toBe(true);
    for (const url of [
      'https://fluidbench.example.workers.dev',
      'http://10.0.0.1',
      'http://127.0.0.1.nip.io',
    ])
      expect(isLoopback(url), url).toBe(false);
  });

  it('parses .dev.vars lines: comments, quotes, export', () => {
    expect(
      parseDotenv('# c\nA=1\n  export B = "two words" \nC=\'x#y\'\nD=plain # note\nnot a line\n'),
    ).toEqual({ A: '1', B: 'two words', C: 'x#y', D: 'plain' });
  });

  it('takes FLUIDBENCH_TOKEN first, then .dev.vars, then .dev.vars.example (loopback only)', async () => {
    const both = await cwdWith({
      '.dev.vars': 'CONTROL_TOKEN=from-dev-vars\n',
      '.dev.vars.example': 'CONTROL_TOKEN=from-example\n',
    });
    const local = 'http://127.0.0.1:8787';
    expect(await resolveToken(local, { FLUIDBENCH_TOKEN: 'from-env' }, both)).toEqual({
      token: 'from-env',
      source: 'FLUIDBENCH_TOKEN',
    });
    expect((await resolveToken(local, {}, both))?.token).toBe('from-dev-vars');
    const exampleOnly = await cwdWith({ '.dev.vars.example': '# x\nCONTROL_TOKEN=from-example\n' });
    expect(await resolveToken(local, {}, exampleOnly)).toEqual({
      token: 'from-example',
      source: 'CONTROL_TOKEN in .dev.vars.example',
    });
    // A .dev.vars without the token falls through to the example.
    const noToken = await cwdWith({
      '.dev.vars': 'SIM_API_KEY=k\n',
      '.dev.vars.example': 'CONTROL_TOKEN=ex\n',
    });
    expect((await resolveToken(local, {}, noToken))?.token).toBe('ex');
    // A remote API never gets a local file's token.
    expect(await resolveToken('https://fluidbench.example.workers.dev', {}, both)).toBeUndefined();
    expect(await resolveToken(local, {}, await cwdWith({}))).toBeUndefined();
  });
});

describe('API errors', () => {
  it('shows code, message, request id and one line per issue; config problems exit 2', () => {
    const body = {
      error: {
        code: 'invalid_config',
        message: 'workload.arrivals.qps: Too small; regions.0.location: Invalid option',
        request_id: 'req-1',
        issues: [
          { path: ['workload', 'arrivals', 'qps'], message: 'Too small' },
          { path: ['regions', 0, 'location'], message: 'Invalid option' },
        ],
      },
    };
    const error = apiError(400, JSON.stringify(body));
    expect(error.exitCode).toBe(2);
    expect(error.message.split('\n')).toEqual([
      'invalid_config: 2 issues (request req-1)',
      '  workload.arrivals.qps: Too small',
      '  regions[0].location: Invalid option',
    ]);
  });

  it('keeps a message that does not repeat the issues; other codes exit 1', () => {
    const conflict = apiError(
      409,
      '{"error":{"code":"conflict","message":"run r has already finished (done)","request_id":"q"}}',
    );
    expect(conflict.message).toBe('conflict: run r has already finished (done) (request q)');
    expect(conflict.exitCode).toBe(1);
    const notJson = apiError(502, '<html>Bad gateway</html>');
    expect(notJson.message).toBe('HTTP 502: <html>Bad gateway</html>');
    expect(notJson.exitCode).toBe(1);
  });
});

type Call = { url: string; init: RequestInit };

/** An ApiClient whose fetch answers from `answer` and records the calls. */
function fakeClient(answer: (url: string) => Response | Promise<Response>, token = 's3cret-token-value') {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return answer(String(url));
  }) as typeof fetch;
  const client = new ApiClient({
    url: 'http://127.0.0.1:9',
    token: { token, source: 'FLUIDBENCH_TOKEN' },
    fetch: fetchImpl,
  });
  return { client, calls };
}

describe('ApiClient', () => {
  it('sends the bearer token and JSON body, and never puts the token in an error', async () => {
    const { client, calls } = fakeClient(
      () =>
        new Response('{"error":{"code":"unauthorized","message":"invalid bearer token","request_id":"r"}}', {
          status: 401,
        }),
    );
    const error = await client.createRun({ name: 'x' }).catch((e: unknown) => e);
    expect(calls[0]?.url).toBe('http://127.0.0.1:9/v1/runs');
    expect(calls[0]?.init.method).toBe('POST');
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe(
      'Bearer s3cret-token-value',
    );
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ name: 'x' });
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as Error).message).toBe(
      'unauthorized: invalid bearer token (request r); the token came from FLUIDBENCH_TOKEN',
    );
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('explains a refused connection and suggests npm run dev', async () => {
    const { client } = fakeClient(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      });
    });
    const error = await client.getRun('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect((error as ApiUnreachableError).code).toBe('ECONNREFUSED');
    expect(isTransient(error)).toBe(true);
    expect(isTransient(new CliError('cannot reach the fluidbench API, said a message'))).toBe(false);
    expect((error as CliError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(
      /cannot reach the fluidbench API at http:\/\/127\.0\.0\.1:9 \(connection refused\).*npm run dev/,
    );
  });

  it('refuses to call without a token', async () => {
    const client = new ApiClient({
      url: 'https://x.example',
      token: undefined,
      fetch: (() => {
        throw new Error('must not be called');
      }) as typeof fetch,
    });
    await expect(client.listRuns()).rejects.toThrow(
      /no API token for https:\/\/x\.example: set FLUIDBENCH_TOKEN/,
    );
  });

  it('pages request records with after = the x-next-cursor header until it is empty', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `b-${i}`);
    const { client, calls } = fakeClient((url) => {
      const query = new URL(url).searchParams;
      // Opaque positions, in an order that is not the ids' (the client must not care).
      const from = Number(query.get('after')?.slice(2) ?? 0);
      const to = Math.min(ids.length, from + Number(query.get('limit')));
      const body = ids
        .slice(from, to)
        .reverse()
        .map((id) => `${JSON.stringify({ id })}\n`)
        .join('');
      return new Response(body, {
        headers: { 'x-run-state': 'running', 'x-next-cursor': to < ids.length ? `p:${to}` : '' },
      });
    });
    const seen: string[] = [];
    for await (const page of client.requestPages('r', 3))
      seen.push(...page.lines.map((l) => JSON.parse(l).id));
    expect(seen.sort()).toEqual(ids);
    // A full last page ends on the empty header, without asking again.
    expect(calls.map((c) => new URL(c.url).searchParams.get('after'))).toEqual([null, 'p:3']);
  });

  it('pages a server older than x-next-cursor with after = the last id until a short page', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `run-${String(i).padStart(2, '0')}`);
    const { client, calls } = fakeClient((url) => {
      const query = new URL(url).searchParams;
      const after = query.get('after');
      const limit = Number(query.get('limit'));
      const rest = ids.filter((id) => after === null || id > after).slice(0, limit);
      return new Response(rest.map((id) => `${JSON.stringify({ id })}\n`).join(''), {
        headers: { 'x-run-state': 'done' },
      });
    });
    const seen: string[] = [];
    for await (const page of client.requestPages('r 1', 3)) {
      expect(page.runState).toBe('done');
      seen.push(...page.lines.map((l) => (JSON.parse(l) as { id: string }).id));
    }
    expect(seen).toEqual(ids);
    expect(calls.map((c) => new URL(c.url).searchParams.get('after'))).toEqual([null, 'run-02', 'run-05']);
    expect(new URL(calls[0]!.url).pathname).toBe('/v1/runs/r%201/requests');
  });

  it('checks answers against the route schemas: a wrong shape is an error naming the field', async () => {
    const cancelled = { id: 'r', state: 'running', extra_from_a_newer_server: 1 };
    const ok = fakeClient(() => Response.json(cancelled, { status: 202 }));
    // Valid answers come back as sent, fields the schema does not know included.
    expect(await ok.client.cancelRun('r')).toEqual(cancelled);
    const bad = fakeClient(() => Response.json({ id: 'r', state: 'sleeping' }, { status: 202 }));
    const error = await bad.client.cancelRun('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(
      /POST \/v1\/runs\/r\/cancel: .*does not match its schema.*state:/,
    );
  });
});
