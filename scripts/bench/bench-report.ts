// `npm run bench:report`: size and time to first render of `fluidbench report` pages for synthetic
// runs of 1k, 10k and 100k requests (two regions, 128 output tokens each, stalls and failures; see
// src/core/report/synthetic-records.ts), in headless Chromium (test/browser/chromium.ts). Prints one
// line per size: records → page data time, HTML size (raw and gzip), and the time from navigation
// to the last chart drawn (median of 3 loads). Goal: 10k requests under 2 s and 5 MB.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { reportHtml, reportUi } from '../../src/cli/report-html.ts';
import { Analyzer } from '../../src/core/metrics/analysis.ts';
import { DEFAULT_DEADLINES } from '../../src/core/metrics/deadline-options.ts';
import { ANALYZE_EXACT_LIMIT } from '../../src/core/metrics/quantile-summary.ts';
import { buildRunReportData } from '../../src/core/report/run-report-data.ts';
import { seededRandom, syntheticRecords } from '../../src/core/report/synthetic-records.ts';
import { launchChromium } from '../../test/browser/chromium.ts';

const SIZES = (process.env.SIZES ?? '1000,10000,100000').split(',').map(Number);
const LOADS = 3;

const dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-bench-report-'));
const browser = await launchChromium();
const ui = await reportUi();
try {
  console.log(
    `report UI script ${(ui.js.length / 1024).toFixed(0)} KiB; ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}`,
  );
  console.log('requests | build data | html size | gzip | first render (median of 3) | draw only');
  for (const n of SIZES) {
    const records = syntheticRecords({ requests: n, qps: 50, outputTokens: 128, random: seededRandom(n) });
    const analyzer = new Analyzer({
      deadlines: { ...DEFAULT_DEADLINES },
      missRateCurve: true,
      exactLimit: ANALYZE_EXACT_LIMIT,
    });
    for (const r of records) analyzer.add(r);
    const report = analyzer.report();
    const t0 = performance.now();
    const data = buildRunReportData({
      results: report,
      records,
      source: { type: 'file', name: `synthetic-${n}` },
      nowMs: Date.now(),
    });
    const buildMs = performance.now() - t0;
    const html = reportHtml(data, ui);
    const file = path.join(dir, `report-${n}.html`);
    await writeFile(file, html);
    const renders: number[] = [];
    const draws: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 120_000 });
      await page.waitForSelector('[data-rendered-at-ms]', { timeout: 120_000 });
      const [at, draw] = await page.$eval('#app', (el) => [
        Number(el.getAttribute('data-rendered-at-ms')),
        Number(el.getAttribute('data-rendered-ms')),
      ]);
      renders.push(at!);
      draws.push(draw!);
      await page.close();
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const bytes = Buffer.byteLength(html);
    console.log(
      `${n.toLocaleString('en-US').padStart(8)} | ${buildMs.toFixed(0).padStart(7)} ms | ${(bytes / 1e6).toFixed(2).padStart(6)} MB | ${(gzipSync(html).length / 1e6).toFixed(2)} MB | ${median(renders).toFixed(0).padStart(6)} ms | ${median(draws).toFixed(0)} ms${data.notes.length > 1 ? `  (${data.notes[0]})` : ''}`,
    );
  }
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}
