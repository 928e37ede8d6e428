import type { ReportData } from '../core/report/report-data.ts';
import { startDashboard } from './dashboard.ts';
import { h } from './dom.ts';
import { renderReport } from './render-report.ts';

// The one script of both pages: a report file carries its data in <script id="fluidbench-data">;
// without it, this is the dashboard the Worker serves at `/`.

function main(): void {
  const root = document.getElementById('app') ?? document.body;
  const embedded = document.getElementById('fluidbench-data');
  try {
    if (embedded?.textContent) renderReport(root, JSON.parse(embedded.textContent) as ReportData);
    else startDashboard(root);
  } catch (error) {
    console.error(error);
    root.replaceChildren(h('p', { class: 'error' }, `This report could not be drawn: ${String(error)}`));
  }
}

main();
