import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  type Alert,
  type AlertsResponse,
  alertsQuerySchema,
  alertsResponseSchema,
} from '../../core/api/alerts-api-schemas.ts';
import { alertWebhookUrl } from '../env.ts';
import { queryAlerts } from '../storage/alerts-store.ts';
import type { AlertRow } from '../storage/schema.ts';
import { errorResponses, json } from './openapi.ts';

type App = OpenAPIHono<{ Bindings: Env }>;

/** An alert row as the API shows it (the delivery schedule stays internal). */
export function alertView(r: AlertRow): Alert {
  return {
    id: r.id,
    created_at_ms: r.createdAtMs,
    run_id: r.runId,
    schedule_id: r.scheduleId,
    api: r.api,
    host: r.host,
    model: r.model,
    region: r.region,
    metric: r.metric,
    value: r.value,
    baseline: r.baseline,
    band_lo: r.bandLo,
    band_hi: r.bandHi,
    reason: r.reason,
    webhook_state: r.webhookState,
    attempts: r.attempts,
    webhook_secret: r.webhookSecret,
  };
}

export function registerAlertRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts',
      summary: 'Regressions found in the history, newest first, with their webhook delivery state',
      request: { query: alertsQuerySchema },
      responses: {
        200: json(alertsResponseSchema, 'The newest matching alerts'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await queryAlerts(c.env.DB, {
        runId: q.run_id,
        model: q.model,
        region: q.region,
        metric: q.metric,
        fromMs: q.from_ms,
        limit: q.limit,
      });
      const url = alertWebhookUrl(c.env);
      const webhook: AlertsResponse['webhook'] =
        url === 'none' ? 'none' : url === 'invalid' ? 'misconfigured' : 'configured';
      return c.json({ alerts: rows.map(alertView), truncated: rows.length === q.limit, webhook }, 200);
    },
  );
}
