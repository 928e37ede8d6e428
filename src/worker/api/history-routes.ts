import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { historyQuerySchema, historyResponseSchema } from '../../core/api/history-api-schemas.ts';
import { toSeries } from '../../core/history/history-series.ts';
import { queryHistory } from '../storage/history-store.ts';
import { errorResponses, json } from './openapi.ts';

type App = OpenAPIHono<{ Bindings: Env }>;

export function registerHistoryRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/history',
      summary: 'Headline metrics of finished runs, profiles and searches as series, with regression flags',
      request: { query: historyQuerySchema },
      responses: {
        200: json(historyResponseSchema, 'The newest matching points, grouped into series'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await queryHistory(c.env.DB, {
        scheduleId: q.schedule,
        api: q.api,
        host: q.host,
        model: q.model,
        region: q.region,
        metric: q.metric,
        fromMs: q.from_ms,
        toMs: q.to_ms,
        limit: q.limit,
      });
      const series = toSeries(
        rows.map((r) => ({
          schedule_id: r.scheduleId,
          api: r.api,
          host: r.host,
          model: r.model,
          region: r.region,
          metric: r.metric,
          run_id: r.runId,
          kind: r.kind,
          at_ms: r.atMs,
          value: r.value,
          lo: r.lo,
          hi: r.hi,
        })),
      );
      return c.json({ series, points: rows.length, truncated: rows.length === q.limit }, 200);
    },
  );
}
