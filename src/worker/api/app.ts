import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { MisconfiguredError } from '../env.ts';
import { InvalidCursorError } from '../storage/newest-first.ts';
import { registerAlertRoutes } from './alerts-routes.ts';
import { ApiError, describeIssues, errorResponse, toIssues } from './api-error.ts';
import { bearerAuth } from './auth.ts';
import { bodyGuard } from './body-guard.ts';
import { registerDashboardRoutes } from './dashboard-routes.ts';
import { registerHistoryRoutes } from './history-routes.ts';
import { OPENAPI_INFO } from './openapi.ts';
import { registerProfileRoutes } from './profiles-routes.ts';
import { registerRunRoutes } from './runs-routes.ts';
import { registerScheduleRoutes } from './schedules-routes.ts';
import { registerSearchRoutes } from './searches-routes.ts';

export type AppEnv = { Bindings: Env };

/**
 * The control API: `/health`, `/openapi.json` and the dashboard (`/`, `/ui.js`, `/ui.css`) are open,
 * every `/v1` route needs the bearer token.
 */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // Every validation failure becomes one 400 naming all issues with their paths.
    defaultHook: (result) => {
      if (!result.success) {
        const issues = toIssues(result.error.issues);
        const code = result.target === 'json' ? 'invalid_config' : 'invalid_request';
        throw new ApiError(code, describeIssues(issues), issues);
      }
    },
  });
  app.use(requestId());
  app.get('/health', (c) => c.json({ ok: true, service: 'fluidbench' }));
  app.use('/v1/*', bearerAuth());
  app.use('/v1/*', bodyGuard);
  registerRunRoutes(app);
  registerSearchRoutes(app);
  registerProfileRoutes(app);
  registerHistoryRoutes(app);
  registerScheduleRoutes(app);
  registerAlertRoutes(app);
  registerDashboardRoutes(app);
  app.doc31('/openapi.json', {
    ...OPENAPI_INFO,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
  } as Parameters<typeof app.doc31>[1]);

  app.notFound((c) =>
    errorResponse(c, new ApiError('not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`)),
  );
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    if (error instanceof InvalidCursorError)
      return errorResponse(
        c,
        new ApiError('invalid_request', 'cursor: not a cursor this API returned', [
          { path: ['cursor'], message: error.message },
        ]),
      );
    if (error instanceof MisconfiguredError)
      return errorResponse(c, new ApiError('misconfigured', error.message));
    if (error instanceof HTTPException) {
      if (error.status === 415)
        return errorResponse(
          c,
          new ApiError(
            'unsupported_media_type',
            'send the body as JSON with `content-type: application/json`',
          ),
        );
      if (error.status === 400)
        return errorResponse(c, new ApiError('invalid_request', error.message || 'malformed request body'));
    }
    // Unknown failures are logged with the request id; the message never holds secrets.
    console.error(
      `request ${c.get('requestId')}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return errorResponse(
      c,
      new ApiError('internal', 'internal error; quote the request id when reporting it'),
    );
  });
  return app;
}
