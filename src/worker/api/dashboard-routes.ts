import type { OpenAPIHono } from '@hono/zod-openapi';
import { secureHeaders } from 'hono/secure-headers';
import { REPORT_UI_CSS, REPORT_UI_JS } from '../../report-ui/generated/report-ui-bundle.ts';
import type { AppEnv } from './app.ts';

// The dashboard (docs/reports.md): a static page and its script, public like /health; the data it
// shows comes from the token-protected /v1 routes, called by the page with the token the user
// typed in (kept in the tab's sessionStorage, sent as a bearer token, never in a URL).

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fluidbench</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui.css">
</head>
<body>
<div id="app"></div>
<script src="/ui.js"></script>
</body>
</html>
`;

/** Only this origin's script, styles and API; nothing from anywhere else, no framing. */
const strict = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    connectSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  referrerPolicy: 'no-referrer',
});

export function registerDashboardRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const path of ['/', '/ui.js', '/ui.css']) app.use(path, strict);
  app.get('/', (c) => c.html(PAGE, 200, { 'cache-control': 'no-cache' }));
  app.get('/ui.js', (c) =>
    c.body(REPORT_UI_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  );
  app.get('/ui.css', (c) =>
    c.body(REPORT_UI_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }),
  );
}
