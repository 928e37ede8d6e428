import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { RUN_LIST_LIMIT } from '../../core/api/control-api-schemas.ts';
import {
  type ProfileDetail,
  type ProfileEntry,
  type ProfileState,
  profileDetailSchema,
  profileListSchema,
} from '../../core/api/profile-api-schemas.ts';
import { minTtftPerLength, prefillProfileFileSchema } from '../../core/profile/prefill-profile.ts';
import {
  type ProfileRequest,
  profiledLengths,
  profileRequestSchema,
} from '../../core/profile/profile-request.ts';
import { settleProfile } from '../profiles/settle-profile.ts';
import { startProfile } from '../profiles/start-profile.ts';
import { getProfile, listProfiles } from '../storage/profiles-store.ts';
import { getRun } from '../storage/runs-store.ts';
import type { ProfileRow } from '../storage/schema.ts';
import { ApiError } from './api-error.ts';
import { errorResponses, idParams, json, listQuery } from './openapi.ts';

// Prefill profiles (docs/metrics.md#prefill-profiles): a profile is an ordinary run (concurrency 1,
// the lengths cycling) plus a row naming it; once the run has ended, the first read fits and stores
// the profile (see ../profiles/settle-profile.ts for why it is done lazily).

type App = OpenAPIHono<{ Bindings: Env }>;

export function registerProfileRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/profiles',
      summary: 'Measure a prefill profile: minimum TTFT per prompt length at concurrency 1',
      request: {
        body: { content: { 'application/json': { schema: profileRequestSchema } }, required: true },
      },
      responses: {
        201: json(profileDetailSchema, 'The profile run was created and is starting'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const request = c.req.valid('json');
      // A crash between the run and the row leaves an ordinary run; the client saw no 201 and retries.
      const row = await startProfile(c.env, request, newProfileId());
      return c.json(profileDetail(row, 'running'), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/profiles',
      summary: 'List prefill profiles, newest first',
      request: {
        query: listQuery(RUN_LIST_LIMIT),
      },
      responses: { 200: json(profileListSchema, 'A page of profiles'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await listProfiles(c.env.DB, { limit, ...(cursor !== undefined ? { cursor } : {}) });
      return c.json(
        { profiles: page.profiles.map((row) => profileEntry(row, row.state)), next: page.next },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/profiles/{id}',
      summary: 'A profile: its state and run, and once done the fitted profile and its fit error',
      request: { params: idParams },
      responses: { 200: json(profileDetailSchema, 'The profile'), ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const stored = await getProfile(c.env.DB, id);
      if (!stored) throw new ApiError('not_found', `no profile with id ${id}`);
      const row = await settleProfile(c.env, stored);
      // While it runs, its run's state says whether it has started sending.
      const run =
        row.state === 'running' || row.state === 'queued' ? await getRun(c.env.DB, row.runId) : null;
      const state: ProfileState = run?.state === 'queued' ? 'queued' : row.state;
      return c.json(profileDetail(row, state), 200);
    },
  );
}

function profileEntry(row: ProfileRow, state: ProfileState): ProfileEntry {
  return {
    id: row.id,
    name: row.name,
    state,
    reason: row.reason,
    run_id: row.runId,
    created_at_ms: row.createdAtMs,
    finished_at_ms: row.finishedAtMs,
  };
}

function profileDetail(row: ProfileRow, state: ProfileState): ProfileDetail {
  const request: ProfileRequest = profileRequestSchema.parse(JSON.parse(row.requestJson));
  const lengths = profiledLengths(request);
  const profile =
    row.profileJson === null ? null : prefillProfileFileSchema.parse(JSON.parse(row.profileJson));
  return {
    ...profileEntry(row, state),
    request,
    lengths,
    expected_requests: lengths.length * request.samples_per_length,
    profile,
    min_ttft_per_length: profile ? minTtftPerLength(profile.samples) : null,
    fit: profile?.predictor?.fit ?? null,
    links: { self: `/v1/profiles/${row.id}`, run: `/v1/runs/${row.runId}` },
  };
}

/** Sortable by creation time, unique by its random tail (like run ids). */
function newProfileId(): string {
  const random = crypto.getRandomValues(new Uint8Array(5));
  return `prof-${Date.now().toString(36)}-${[...random].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}
