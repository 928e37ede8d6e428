import type { ReportData } from '../core/report/report-data.ts';
import { h } from './dom.ts';
import { renderCompare, renderHistory, renderProfile, renderSearch } from './render-campaign.ts';
import { type Mount, renderRun } from './render-run.ts';

function build(data: ReportData): { el: HTMLElement; mounts: Mount[] } {
  switch (data.kind) {
    case 'run':
      return renderRun(data);
    case 'search':
      return renderSearch(data);
    case 'profile':
      return renderProfile(data);
    case 'history':
      return renderHistory(data);
    case 'compare':
      return renderCompare(data);
  }
}

/**
 * Draws a report into `root`: the page first, then its charts (uPlot sizes them from the laid-out
 * page). `data-rendered-ms` on the root says how long drawing took, `data-rendered-at-ms` when it was
 * done since the navigation started (the report benchmark reads both).
 */
export function renderReport(root: HTMLElement, data: ReportData): void {
  const start = performance.now();
  const { el, mounts } = build(data);
  root.replaceChildren(
    el,
    h(
      'footer',
      { class: 'notes' },
      `fluidbench report · generated ${new Date(data.generated_at_ms).toISOString()}`,
    ),
  );
  for (const mount of mounts) mount();
  root.dataset.renderedMs = (performance.now() - start).toFixed(1);
  // Since the navigation started: parsing the page and its data included.
  root.dataset.renderedAtMs = performance.now().toFixed(1);
}
