import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { RUN_LIST_LIMIT } from '../../core/api/control-api-schemas.ts';
import {
  RECENT_STARTS,
  type ScheduleDetail,
  type ScheduleEntry,
  scheduleDetailSchema,
  scheduleListSchema,
  scheduleStartRecordSchema,
} from '../../core/api/schedule-api-schemas.ts';
import { profileRunConfig } from '../../core/profile/profile-request.ts';
import { nextDueMs } from '../../core/schedule/due-time.ts';
import {
  type ScheduleRequest,
  scheduleRequestSchema,
  scheduleStartSchema,
  scheduleUpdateSchema,
  startItems,
} from '../../core/schedule/schedule.ts';
import { alertWebhookUrl, secretValue } from '../env.ts';
import { checkRunConfig } from '../runs/start-run.ts';
import { MAX_SCHEDULES, startAt, startRecord } from '../schedules/run-due-schedules.ts';
import { checkSearchRequest } from '../searches/start-search.ts';
import {
  countSchedules,
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  recentStarts,
  type SchedulePatch,
  updateSchedule,
} from '../storage/schedules-store.ts';
import type { ScheduleRow } from '../storage/schema.ts';
import { ApiError } from './api-error.ts';
import { errorResponses, idParams, json, listQuery } from './openapi.ts';

// Schedules (docs/schedules.md): stored here, started by the cron (../schedules/run-due-schedules.ts).

type App = OpenAPIHono<{ Bindings: Env }>;

export function registerScheduleRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/schedules',
      summary: 'Create a schedule: a cron expression in a time zone and the run (or suite of runs) it starts',
      request: {
        body: { content: { 'application/json': { schema: scheduleRequestSchema } }, required: true },
      },
      responses: { 201: json(scheduleDetailSchema, 'The schedule was stored'), ...errorResponses },
    }),
    async (c) => {
      const request = c.req.valid('json');
      await checkStart(c.env, request.start);
      if ((await countSchedules(c.env.DB)) >= MAX_SCHEDULES)
        throw new ApiError('conflict', `at most ${MAX_SCHEDULES} schedules: delete one first`);
      checkWebhookSecret(c.env, request.alert_webhook_secret);
      const now = Date.now();
      const row: ScheduleRow = {
        id: newScheduleId(),
        createdAtMs: now,
        name: request.name,
        cron: request.cron,
        timezone: request.timezone,
        enabled: request.enabled,
        startJson: JSON.stringify(request.start),
        sinceMs: now,
        lastDueMs: null,
        alertWebhookSecret: request.alert_webhook_secret ?? null,
      };
      await createSchedule(c.env.DB, row);
      return c.json(await scheduleDetail(c.env, row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/schedules',
      summary: 'List schedules, newest first',
      request: {
        query: listQuery(RUN_LIST_LIMIT),
      },
      responses: { 200: json(scheduleListSchema, 'A page of schedules'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await listSchedules(c.env.DB, { limit, ...(cursor !== undefined ? { cursor } : {}) });
      return c.json({ schedules: page.schedules.map(scheduleEntry), next: page.next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/schedules/{id}',
      summary: 'A schedule with its most recent starts (started, skipped while running, failed)',
      request: { params: idParams },
      responses: { 200: json(scheduleDetailSchema, 'The schedule'), ...errorResponses },
    }),
    async (c) => {
      const row = await findSchedule(c.env, c.req.valid('param').id);
      return c.json(await scheduleDetail(c.env, row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/schedules/{id}',
      summary: 'Rename, re-time, pause (enabled: false) or resume a schedule',
      request: {
        params: idParams,
        body: { content: { 'application/json': { schema: scheduleUpdateSchema } }, required: true },
      },
      responses: { 200: json(scheduleDetailSchema, 'The updated schedule'), ...errorResponses },
    }),
    async (c) => {
      const row = await findSchedule(c.env, c.req.valid('param').id);
      const { alert_webhook_secret: webhookSecret, ...update } = c.req.valid('json');
      if (webhookSecret !== null) checkWebhookSecret(c.env, webhookSecret);
      const patch: SchedulePatch = {
        ...update,
        ...(webhookSecret !== undefined ? { alertWebhookSecret: webhookSecret } : {}),
      };
      // Re-timing or resuming owes nothing from before: no burst of starts for the paused time.
      const retimed = update.cron !== undefined || update.timezone !== undefined;
      const resumed = update.enabled === true && !row.enabled;
      if (retimed || resumed) patch.sinceMs = Date.now();
      await updateSchedule(c.env.DB, row.id, patch);
      return c.json(await scheduleDetail(c.env, { ...row, ...patch }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/schedules/{id}',
      summary: 'Delete a schedule and its start records (the runs it started stay)',
      request: { params: idParams },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await deleteSchedule(c.env.DB, id))) throw new ApiError('not_found', `no schedule with id ${id}`);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/schedules/{id}/trigger',
      summary: 'Start the schedule now (also when paused or while a previous run is going)',
      request: { params: idParams },
      responses: { 201: json(scheduleStartRecordSchema, 'What was started'), ...errorResponses },
    }),
    async (c) => {
      const row = await findSchedule(c.env, c.req.valid('param').id);
      const record = await startAt(c.env, row, Date.now(), 'manual', 0);
      if (record === null) throw new ApiError('conflict', 'a start at this very millisecond exists; retry');
      return c.json(record, 201);
    },
  );
}

/**
 * A schedule may only hold what the runs, profiles and searches APIs would accept now (limits, named
 * secrets, a search's SLO profile and top probe); issues are named under `start`.
 */
async function checkStart(env: Env, start: ScheduleRequest['start']): Promise<void> {
  for (const [i, item] of startItems(start).entries()) {
    try {
      if (item.kind === 'run') checkRunConfig(env, item.config);
      else if (item.kind === 'profile') checkRunConfig(env, profileRunConfig(item.request));
      else await checkSearchRequest(env, item.request);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const field = item.kind === 'run' ? 'config' : 'request';
      const at =
        start.kind !== 'suite'
          ? ['start', field]
          : start.runs !== undefined
            ? ['start', 'runs', i]
            : ['start', 'starts', i, field];
      const issues = error.issues?.map((issue) => ({ ...issue, path: [...at, ...issue.path] }));
      throw new ApiError(error.code, error.message, issues);
    }
  }
}

/**
 * A schedule's webhook secret must name a Worker secret holding an http(s) URL: else a 400 naming
 * `alert_webhook_secret`. The message names the secret, never its value.
 */
function checkWebhookSecret(env: Env, name: string | undefined): void {
  if (name === undefined) return;
  const webhook = alertWebhookUrl(env, name);
  if (webhook !== 'invalid' && webhook !== 'none') return;
  const message =
    secretValue(env, name) === undefined
      ? `no secret named ${name}: set it to the webhook URL with \`wrangler secret put ${name}\` (locally, in .dev.vars)`
      : `the secret ${name} does not hold an http(s) URL`;
  throw new ApiError('unknown_secret', message, [{ path: ['alert_webhook_secret'], message }]);
}

async function findSchedule(env: Env, id: string): Promise<ScheduleRow> {
  const row = await getSchedule(env.DB, id);
  if (!row) throw new ApiError('not_found', `no schedule with id ${id}`);
  return row;
}

function scheduleEntry(row: ScheduleRow): ScheduleEntry {
  return {
    id: row.id,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    enabled: row.enabled,
    created_at_ms: row.createdAtMs,
    last_due_ms: row.lastDueMs,
    alert_webhook_secret: row.alertWebhookSecret,
    // After the last handled due time too: a tick's scheduledTime may run ahead of this clock.
    next_due_ms: row.enabled
      ? nextDueMs(row.cron, row.timezone, Math.max(Date.now(), row.lastDueMs ?? 0))
      : null,
  };
}

async function scheduleDetail(env: Env, row: ScheduleRow): Promise<ScheduleDetail> {
  const starts = await recentStarts(env.DB, row.id, RECENT_STARTS);
  return {
    ...scheduleEntry(row),
    start: scheduleStartSchema.parse(JSON.parse(row.startJson)),
    starts: starts.map(startRecord),
  };
}

/** Sortable by creation time, unique by its random tail (like run ids). */
function newScheduleId(): string {
  const random = crypto.getRandomValues(new Uint8Array(5));
  return `sch-${Date.now().toString(36)}-${[...random].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}
