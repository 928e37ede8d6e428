import { describe, expect, it } from 'vitest';
import { call, simRunConfig, waitForEnd } from '../../../test/worker/run-kit.ts';
import { cancelledRunSchema, createdRunSchema, runListSchema } from '../../core/api/control-api-schemas.ts';
import { runResultsSchema } from '../../core/api/run-results-schema.ts';
import { runStatusSchema } from '../../core/run/run-status.ts';

// The API contract: every JSON answer is exactly what its route's schema (src/core/api, shared
// with the CLI) says. Parsing drops fields a schema does not name, so `parse(body)` equal to
// `body` also proves no field goes undocumented.

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
};

async function json(res: Response, status: number): Promise<unknown> {
  const body: unknown = await res.json();
  expect(res.status, JSON.stringify(body).slice(0, 500)).toBe(status);
  return body;
}

describe('API contract', () => {
  it('documents a real response schema for every JSON route in /openapi.json, results included', async () => {
    const doc = (await (await call('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>
      >;
    };
    const ok = (path: string, method: string, status: string) =>
      doc.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
    const results = ok('/v1/runs/{id}/results', 'get', '200');
    expect(results?.type).toBe('object');
    expect(results?.required).toEqual(
      expect.arrayContaining([
        'id',
        'state',
        'target',
        'load',
        'summary',
        'throughput',
        'service_level',
        'regions',
        'shards',
      ]),
    );
    const summary = results?.properties?.summary;
    expect(Object.keys(summary?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'requests',
        'outcomes',
        'ttft_s',
        'tbt_s',
        'deadlines',
        'regions',
        'miss_rate_curve',
      ]),
    );
    expect(Object.keys(summary?.properties?.ttft_s?.properties ?? {})).toEqual(
      expect.arrayContaining(['count', 'p50', 'p99', 'p99_9', 'exact']),
    );
    expect(Object.keys(results?.properties?.load?.properties ?? {})).toEqual(
      expect.arrayContaining(['offered_qps', 'achieved_qps', 'requests_sent']),
    );
    for (const [path, method, status] of [
      ['/v1/runs', 'post', '201'],
      ['/v1/runs', 'get', '200'],
      ['/v1/runs/{id}', 'get', '200'],
      ['/v1/runs/{id}/cancel', 'post', '202'],
    ] as const) {
      const schema = ok(path, method, status);
      expect(Object.keys(schema?.properties ?? {}).length, `${method} ${path}`).toBeGreaterThan(1);
    }
    const error = ok('/v1/runs/{id}', 'get', '404')?.properties?.error?.properties?.code as {
      enum?: string[];
    };
    expect(error.enum).toEqual(expect.arrayContaining(['not_found', 'invalid_config', 'unavailable']));
  });

  it('answers a real run’s create, status, list, results and cancel exactly as the schemas say', async () => {
    const created = await json(
      await call('/v1/runs', { method: 'POST', body: JSON.stringify(simRunConfig()) }),
      201,
    );
    expect(createdRunSchema.parse(created)).toEqual(created);
    const { id } = createdRunSchema.parse(created);
    await waitForEnd(id);

    const status = await json(await call(`/v1/runs/${id}`), 200);
    expect(runStatusSchema.parse(status)).toEqual(status);
    const list = await json(await call('/v1/runs?limit=5'), 200);
    expect(runListSchema.parse(list)).toEqual(list);
    expect(runListSchema.parse(list).runs.map((r) => r.id)).toContain(id);

    const results = await json(await call(`/v1/runs/${id}/results`), 200);
    const parsed = runResultsSchema.parse(results);
    expect(parsed).toEqual(results);
    expect(parsed.state).toBe('done');
    expect(parsed.summary.requests).toBe(8);
    expect(Object.keys(parsed.summary.regions).sort()).toEqual(['weur', 'wnam']);
    expect(parsed.shards).toHaveLength(2);

    // A schema that fails: a results body missing its summary is not accepted.
    expect(runResultsSchema.safeParse({ ...parsed, summary: undefined }).success).toBe(false);

    const running = createdRunSchema.parse(
      await json(
        await call('/v1/runs', {
          method: 'POST',
          body: JSON.stringify(
            simRunConfig({
              workload: {
                arrivals: { type: 'constant', qps: 2 },
                lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 4 },
                requests: 40,
              },
            }),
          ),
        }),
        201,
      ),
    );
    const cancelled = await json(await call(`/v1/runs/${running.id}/cancel`, { method: 'POST' }), 202);
    expect(cancelledRunSchema.parse(cancelled)).toEqual(cancelled);
    await waitForEnd(running.id);
  });
});
