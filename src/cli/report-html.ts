import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ReportData } from '../core/report/report-data.ts';

const BUNDLE = new URL('../report-ui/generated/report-ui-bundle.ts', import.meta.url);

/** The browser script and styles (built by scripts/build-report-ui.ts; built here when missing). */
export async function reportUi(): Promise<{ js: string; css: string }> {
  try {
    await access(fileURLToPath(BUNDLE));
  } catch {
    const { buildReportUi } = await import('../../scripts/build-report-ui.ts');
    await buildReportUi();
  }
  const bundle = (await import(BUNDLE.href)) as { REPORT_UI_JS: string; REPORT_UI_CSS: string };
  return { js: bundle.REPORT_UI_JS, css: bundle.REPORT_UI_CSS };
}

function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * One self-contained HTML page: the styles, the data (JSON, `<` escaped so no `</script>` can end
 * it early) and the script inlined. Its content security policy allows only those two inline blocks
 * (by hash) and nothing from any network.
 */
export function reportHtml(data: ReportData, ui: { js: string; css: string }): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  const js = ui.js.replace(/<\/(script)/gi, '<\\/$1');
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(js)}`,
    `style-src ${cspHash(ui.css)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(data.title)} · fluidbench</title>
<style>${ui.css}</style>
</head>
<body>
<div id="app"></div>
<script type="application/json" id="fluidbench-data">${json}</script>
<script>${js}</script>
</body>
</html>
`;
}
