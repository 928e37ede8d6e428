import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  cancelledRunSchema,
  createdRunSchema,
  REQUESTS_PAGE_LIMIT,
  RUN_LIST_LIMIT,
  runListSchema,
} from '../../core/api/control-api-schemas.ts';
import { runResultsSchema } from '../../core/api/run-results-schema.ts';
import { runConfigSchema } from '../../core/run/run-config.ts';
import { isTerminal, type RunState } from '../../core/run/run-state.ts';
import { type RunListEntry, type RunStatus, runStatusSchema } from '../../core/run/run-status.ts';
import { coordinatorStub } from '../durable/run-protocol.ts';
import { startRun } from '../runs/start-run.ts';
import { queryAlerts } from '../storage/alerts-store.ts';
import { RecordCursorError, readRequests, skipRequests } from '../storage/records-store.ts';
import { getRun, listRuns } from '../storage/runs-store.ts';
import type { RunRow } from '../storage/schema.ts';
import { alertView } from './alerts-routes.ts';
import { ApiError } from './api-error.ts';
import { errorResponses, idParams, json, listQuery } from './openapi.ts';

type App = OpenAPIHono<{ Bindings: Env }>;

/** Alerts served with a run's results at most: a run stores at most 64 judged series. */
const RUN_ALERTS_LIMIT = 64;

export function registerRunRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/runs',
      summary: 'Create and start a run',
      request: { body: { content: { 'application/json': { schema: runConfigSchema } }, required: true } },
      responses: {
        201: json(createdRunSchema, 'The run was created and its shards are starting'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id, plan } = await startRun(c.env, c.req.valid('json'));
      return c.json(
        {
          id,
          state: 'running' as RunState,
          shards: plan.shards.length,
          expected_requests: plan.expectedRequests,
          links: {
            self: `/v1/runs/${id}`,
            results: `/v1/runs/${id}/results`,
            requests: `/v1/runs/${id}/requests`,
            cancel: `/v1/runs/${id}/cancel`,
          },
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs',
      summary: 'List runs, newest first',
      request: {
        query: listQuery(RUN_LIST_LIMIT),
      },
      responses: {
        200: json(runListSchema, 'A page of runs'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await listRuns(c.env.DB, { limit, ...(cursor !== undefined ? { cursor } : {}) });
      return c.json({ runs: page.runs.map(runListEntry), next: page.next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{id}',
      summary: 'A run’s state and progress per region and shard',
      request: { params: idParams },
      responses: { 200: json(runStatusSchema, 'The run'), ...errorResponses },
    }),
    async (c) => {
      const row = await findRun(c.env, c.req.valid('param').id);
      return c.json(await runStatus(c.env, row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/runs/{id}/cancel',
      summary: 'Cancel a run; in-flight requests end as `cancelled` and results cover what ran',
      request: { params: idParams },
      responses: {
        202: json(cancelledRunSchema, 'Cancelling'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const row = await findRun(c.env, c.req.valid('param').id);
      if (isTerminal(row.state as RunState))
        throw new ApiError(
          'conflict',
          `run ${row.id} has already finished (${row.state}); there is nothing to cancel`,
        );
      const answer = await reachCoordinator(() => coordinatorStub(c.env, row.id).cancel('cancelled by user'));
      if (!answer.accepted)
        throw new ApiError('conflict', `run ${row.id} is ${answer.state}; it can no longer be cancelled`);
      return c.json({ id: row.id, state: answer.state }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{id}/results',
      summary: 'Metrics overall and per region (defined in docs/metrics.md), load, colos and shard health',
      request: { params: idParams },
      responses: { 200: json(runResultsSchema, 'The results'), ...errorResponses },
    }),
    async (c) => {
      const row = await findRun(c.env, c.req.valid('param').id);
      if (!row.resultsJson)
        throw new ApiError(
          'conflict',
          isTerminal(row.state as RunState)
            ? `run ${row.id} ended (${row.state}: ${row.reason ?? 'no reason'}) without results`
            : `run ${row.id} is ${row.state}; results are available once it finishes`,
        );
      // Stored as JSON text; sent as is rather than parsed and re-serialised, with the run's alerts
      // spliced in as the last field.
      const alerts = (await queryAlerts(c.env.DB, { runId: row.id, limit: RUN_ALERTS_LIMIT })).reverse();
      const body = `${row.resultsJson.slice(0, row.resultsJson.lastIndexOf('}'))},"alerts":${JSON.stringify(alerts.map(alertView))}}`;
      return new Response(body, { headers: { 'content-type': 'application/json' } }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{id}/requests',
      summary:
        'The request records as JSONL (what `fluidbench analyze` reads), in storage order (shard, then the order they were stored), paginated',
      request: {
        params: idParams,
        query: z.object({
          after: z
            .string()
            .max(200)
            .optional()
            .describe(
              'an opaque cursor: the `x-next-cursor` header of the previous page (omit it for the first page)',
            ),
          // Pages of 2,000 records a read, each a few D1 queries, well inside 1,000 per invocation.
          limit: z.coerce
            .number()
            .int()
            .min(REQUESTS_PAGE_LIMIT.min)
            .max(REQUESTS_PAGE_LIMIT.max)
            .default(REQUESTS_PAGE_LIMIT.default),
        }),
      },
      responses: {
        200: {
          content: { 'application/x-ndjson': { schema: z.string() } },
          headers: z.object({
            'x-next-cursor': z
              .string()
              .describe('the `after` of the next page; empty on the last page (no record follows yet)'),
            'x-run-state': z.string().describe("the run's state when the page was read"),
          }),
          description: 'One record a line',
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const row = await findRun(c.env, c.req.valid('param').id);
      const { after, limit } = c.req.valid('query');
      const db = c.env.DB;
      // Where this page ends, found from the pages' counts before any record is sent: the cursor
      // goes in a header, and the body stops exactly there even while the run is still writing.
      const end = await skipRequests(db, row.id, {
        ...(after !== undefined ? { after } : {}),
        count: limit,
      }).catch((error: unknown) => {
        if (!(error instanceof RecordCursorError)) throw error;
        throw new ApiError('invalid_request', `after: ${error.message}`, [
          {
            path: ['after'],
            message: 'not a cursor of this run: pass the x-next-cursor of the previous page',
          },
        ]);
      });
      const encoder = new TextEncoder();
      let cursor = after;
      let left = limit;
      // Pages from D1 as the client reads: memory stays flat whatever the run's size.
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (left <= 0) return controller.close();
          const page = await readRequests(db, row.id, {
            limit: Math.min(2_000, left),
            ...(cursor !== undefined ? { after: cursor } : {}),
            ...(end ? { until: end.until } : {}),
          });
          if (page.records.length > 0)
            controller.enqueue(encoder.encode(`${page.records.map((r) => JSON.stringify(r)).join('\n')}\n`));
          left -= page.records.length;
          if (page.next === null || page.records.length === 0) return controller.close();
          cursor = page.next;
        },
      });
      return new Response(body, {
        headers: {
          'content-type': 'application/x-ndjson',
          'x-run-state': row.state,
          // Always sent, empty on the last page: clients tell this server from one that paged by id.
          'x-next-cursor': end?.more ? end.until : '',
        },
      }) as never;
    },
  );
}

async function findRun(env: Env, id: string): Promise<RunRow> {
  const row = await getRun(env.DB, id);
  if (!row) throw new ApiError('not_found', `no run with id ${id}`);
  return row;
}

function runListEntry(row: RunRow): RunListEntry {
  return {
    id: row.id,
    name: row.name,
    state: row.state as RunState,
    reason: row.reason,
    created_at_ms: row.createdAtMs,
    started_at_ms: row.startedAtMs,
    finished_at_ms: row.finishedAtMs,
  };
}

/** Live progress from the coordinator, with the D1 row as the word on terminal states. */
async function runStatus(env: Env, row: RunRow): Promise<RunStatus> {
  const live =
    row.state === 'failed' && row.planJson === null
      ? null
      : await reachCoordinator(() => coordinatorStub(env, row.id).status());
  const base = runListEntry(row);
  if (!live) return { ...base, eta_s: null, regions: {}, shards: [] };
  return isTerminal(row.state as RunState) ? { ...live, ...base, eta_s: null } : live;
}

/** Sortable by creation time, unique by its random tail. */
/** A coordinator call; failing to reach the object is `unavailable` (503), not an internal error. */
async function reachCoordinator<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ApiError('unavailable', `the run's coordinator could not be reached: ${String(error)}`);
  }
}
