import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  cancelledSearchSchema,
  createdSearchSchema,
  SEARCH_LIST_LIMIT,
  type SearchListEntry,
  type SearchProbe,
  type SearchState,
  type SearchStatus,
  searchListSchema,
  searchStatusSchema,
} from '../../core/api/search-api-schemas.ts';
import { searchRequestSchema } from '../../core/campaign/search-request.ts';
import { isTerminal, type RunState } from '../../core/run/run-state.ts';
import type { SearchResult } from '../../core/search/search-protocol.ts';
import { campaignStub, coordinatorStub } from '../durable/run-protocol.ts';
import { startSearch } from '../searches/start-search.ts';
import { getRun } from '../storage/runs-store.ts';
import type { ProbeRow, SearchRow } from '../storage/schema.ts';
import { getSearch, listProbes, listSearches } from '../storage/searches-store.ts';
import { ApiError } from './api-error.ts';
import { errorResponses, idParams, json, listQuery } from './openapi.ts';

type App = OpenAPIHono<{ Bindings: Env }>;

export function registerSearchRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/searches',
      summary: 'Start a capacity search: probes as runs until the highest load within the SLO is bracketed',
      request: { body: { content: { 'application/json': { schema: searchRequestSchema } }, required: true } },
      responses: {
        201: json(createdSearchSchema, 'The search was created and its first probe is starting'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id, warmStartLoad } = await startSearch(c.env, c.req.valid('json'));
      return c.json(
        {
          id,
          state: 'running' as SearchState,
          warm_start_load: warmStartLoad,
          links: { self: `/v1/searches/${id}`, cancel: `/v1/searches/${id}/cancel` },
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/searches',
      summary: 'List capacity searches, newest first',
      request: {
        query: listQuery(SEARCH_LIST_LIMIT),
      },
      responses: { 200: json(searchListSchema, 'A page of searches'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await listSearches(c.env.DB, { limit, ...(cursor !== undefined ? { cursor } : {}) });
      return c.json({ searches: page.searches.map(listEntry), next: page.next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/searches/{id}',
      summary: 'A search live: state, the running probe with its counts, the bracket and probes so far',
      request: { params: idParams },
      responses: { 200: json(searchStatusSchema, 'The search'), ...errorResponses },
    }),
    async (c) => {
      const row = await findSearch(c.env, c.req.valid('param').id);
      return c.json(await searchStatus(c.env, row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/searches/{id}/cancel',
      summary: 'Cancel a search: its running probe is cancelled, what it learned is kept',
      request: { params: idParams },
      responses: { 202: json(cancelledSearchSchema, 'Cancelled'), ...errorResponses },
    }),
    async (c) => {
      const row = await findSearch(c.env, c.req.valid('param').id);
      if (row.state !== 'queued' && row.state !== 'running')
        throw new ApiError(
          'conflict',
          `search ${row.id} has already ended (${row.state}); nothing to cancel`,
        );
      let answer: { accepted: boolean; state: SearchState };
      try {
        answer = await campaignStub(c.env, row.id).cancel('cancelled by user');
      } catch (error) {
        throw new ApiError('unavailable', `the search's campaign could not be reached: ${String(error)}`);
      }
      if (!answer.accepted)
        throw new ApiError('conflict', `search ${row.id} is ${answer.state}; it can no longer be cancelled`);
      return c.json({ id: row.id, state: answer.state }, 202);
    },
  );
}

async function findSearch(env: Env, id: string): Promise<SearchRow> {
  const row = await getSearch(env.DB, id);
  if (!row) throw new ApiError('not_found', `no search with id ${id}`);
  return row;
}

function listEntry(row: SearchRow): SearchListEntry {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    reason: row.reason,
    created_at_ms: row.createdAtMs,
    finished_at_ms: row.finishedAtMs,
  };
}

function probeEntry(row: ProbeRow): SearchProbe {
  return {
    index: row.index,
    run_id: row.runId,
    load: row.load,
    replicate_of: row.replicateOf,
    state: row.state,
    started_at_ms: row.startedAtMs,
    finished_at_ms: row.finishedAtMs,
    outcome: row.outcomeJson ? (JSON.parse(row.outcomeJson) as Record<string, unknown>) : null,
  };
}

/** D1's rows, plus the running probe's live counts from its coordinator. */
async function searchStatus(env: Env, row: SearchRow): Promise<SearchStatus> {
  const probes = (await listProbes(env.DB, row.id)).map(probeEntry);
  const running = probes.find((p) => p.finished_at_ms === null);
  let current: SearchStatus['current'] = null;
  if (running && !isTerminal(row.state as RunState)) {
    const run = await getRun(env.DB, running.run_id);
    const live = run
      ? await coordinatorStub(env, running.run_id)
          .probeStatus()
          .catch(() => null)
      : null;
    current = {
      index: running.index,
      run_id: running.run_id,
      load: running.load,
      replicate_of: running.replicate_of,
      run_state: (run?.state as RunState | undefined) ?? null,
      counts: live?.counts ?? {},
      decided: live?.stop?.reason ?? null,
    };
  }
  const request = JSON.parse(row.requestJson) as { warm_start_load?: number | null };
  return {
    ...listEntry(row),
    warm_start_load: request.warm_start_load ?? null,
    current,
    result: row.resultJson ? (JSON.parse(row.resultJson) as SearchResult) : null,
    probes,
  };
}
