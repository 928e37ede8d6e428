// Reports and the dashboard in a real browser (headless Chromium, test/browser/chromium.ts): the
// local stack runs the Worker; `fluidbench report` writes HTML files that are opened from disk; the
// dashboard is signed into and followed while a run goes. Every page must load without console
// errors, send nothing beyond 127.0.0.1, and draw every chart; the KPIs must equal the results JSON.
// Screenshots go to test-artifacts/screenshots (git-ignored).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack.ts';
import { reportHtml, reportUi } from '../../src/cli/report-html.ts';
import { REPO, spawnCli } from '../../src/cli/testing/spawn-cli.ts';
import {
  buildHistoryReportData,
  buildProfileReportData,
  buildSearchReportData,
} from '../../src/core/report/campaign-report-data.ts';
import type { ReportData, SearchReportData } from '../../src/core/report/report-data.ts';
import { valueAtPath } from '../../src/core/report/report-kpis.ts';
import { seededRandom, syntheticRecords } from '../../src/core/report/synthetic-records.ts';
import { historyFixture, profileFixture, searchFixture } from '../browser/campaign-fixtures.ts';
import { chartStates, launchChromium, watchedPage } from '../browser/chromium.ts';

const SHOTS = path.join(REPO, 'test-artifacts', 'screenshots');

let stack: LocalStack;
let browser: Browser;
let dir: string;

async function api<T>(route: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${stack.url}${route}`, {
    ...init,
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
  });
  expect(response.ok, `${route}: ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

function runConfig(requests: number, qps: number) {
  return {
    name: 'browser-test',
    target: {
      api: 'openai-chat',
      base_url: `${stack.url}/sim/v1`,
      model: 'fluidbench-sim',
      api_key_secret: 'SIM_API_KEY',
      continuous_usage: true,
    },
    workload: {
      arrivals: { type: 'constant', qps },
      lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 24 },
      requests,
      seed: 5,
    },
    regions: [{ location: 'wnam' }, { location: 'weur' }],
  };
}

async function waitForRun(id: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const status = await api<{ state: string }>(`/v1/runs/${id}`);
    if (['done', 'failed', 'cancelled'].includes(status.state)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`run ${id} did not finish`);
}

/** Every chart on the page drew something: its own count and painted canvas pixels. */
async function expectChartsDrawn(page: Page, atLeast: number): Promise<void> {
  const charts = await chartStates(page);
  expect(charts.length).toBeGreaterThanOrEqual(atLeast);
  for (const chart of charts) {
    expect(chart.drawn, chart.name).toBeGreaterThan(0);
    expect(chart.painted, chart.name).toBeGreaterThan(1000);
  }
}

/** The KPI strip shows exactly the numbers of the JSON at each KPI's source path. */
async function expectKpisEqual(page: Page, results: unknown): Promise<number> {
  const kpis = await page.$$eval('[data-kpi]', (els) =>
    els.map((el) => ({ source: el.getAttribute('data-source'), value: el.getAttribute('data-value') })),
  );
  const sourced = kpis.filter((k) => k.source !== null);
  expect(sourced.map((k) => k.source)).toEqual(
    expect.arrayContaining(['summary.fluidity_index.p1', 'summary.fluidity_index.p50']),
  );
  for (const k of sourced)
    expect(JSON.parse(k.value!), k.source!).toBe(valueAtPath(results, k.source!) ?? null);
  return sourced.length;
}

describe('reports and the dashboard in Chromium', () => {
  let runId = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-browser-'));
    await mkdir(SHOTS, { recursive: true });
    [stack, browser] = await Promise.all([
      startLocalStack({
        port: 0,
        persistDir: path.join(dir, 'state'),
        vars: {
          SIM_CONFIG: JSON.stringify({ decode_ms_per_token: 6, prefill_base_ms: 20, jitter: 0.3 }),
          HEARTBEAT_MS: '300',
          START_DELAY_MS: '300',
        },
      }),
      launchChromium(),
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('dashboard: sign in, the runs list, a live run page that updates, then its charts', async () => {
    const { page, errors, offMachine } = await watchedPage(browser);
    await page.goto(`${stack.url}/`, { waitUntil: 'load' });
    await page.waitForSelector('form.signin input[type=password]');
    await page.type('form.signin input', stack.token);
    await page.click('form.signin button');
    await page.waitForSelector('table[data-list=runs]');
    // The token is in session storage, never in the URL.
    expect(page.url()).not.toContain(stack.token);
    expect(await page.evaluate(() => sessionStorage.getItem('fluidbench-token'))).toBe(stack.token);

    // Every list page loads (empty ones too) without an error.
    for (const list of ['searches', 'profiles', 'schedules', 'alerts', 'runs']) {
      await page.click(`nav.top a[href="#/${list}"]`);
      await page.waitForSelector(`table[data-list=${list}]`);
    }

    // A run of about 5 s: the live page must show its progress moving.
    const { id } = await api<{ id: string }>('/v1/runs', {
      method: 'POST',
      body: JSON.stringify(runConfig(40, 8)),
    });
    runId = id;
    await page.goto(`${stack.url}/#/run/${id}`, { waitUntil: 'load' });
    await page.waitForSelector('[data-live]', { timeout: 15_000 });
    const seen = new Set<number>();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && seen.size < 2) {
      const done = await page
        .$eval('[data-live]', (el) => Number(el.getAttribute('data-live-done')))
        .catch(() => null);
      if (done !== null) seen.add(done);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(seen.size, 'the live page never updated').toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-live.png') });

    // Once it ends, the same page shows the results with charts.
    await page.waitForSelector('#page[data-run-state]', { timeout: 60_000 });
    await expectChartsDrawn(page, 8);
    const results = await api<unknown>(`/v1/runs/${id}/results`);
    expect(await expectKpisEqual(page, results)).toBeGreaterThanOrEqual(9);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: false });
    expect(errors).toEqual([]);
    expect(offMachine).toEqual([]);
    await page.close();
  }, 120_000);

  it('fluidbench report ID: an offline HTML file whose KPIs equal /results', async () => {
    expect(runId).not.toBe('');
    await waitForRun(runId);
    const out = path.join(dir, 'run.html');
    const cli = await spawnCli(['report', runId, '--out', out], {
      cwd: dir,
      env: { FLUIDBENCH_URL: stack.url, FLUIDBENCH_TOKEN: stack.token },
    });
    expect(cli.code, cli.stderr).toBe(0);
    const { page, errors, offMachine } = await watchedPage(browser);
    await page.goto(`file://${out}`, { waitUntil: 'load' });
    await page.waitForSelector('[data-rendered-ms]');
    await expectChartsDrawn(page, 8);
    const results = await api<unknown>(`/v1/runs/${runId}/results`);
    expect(await expectKpisEqual(page, results)).toBeGreaterThanOrEqual(9);
    await page.screenshot({ path: path.join(SHOTS, 'report-run.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(offMachine).toEqual([]);
    await page.close();
  }, 60_000);

  it('fluidbench report FILE: a sampled 3000-request export says so, and its KPIs equal analyze --json', async () => {
    const records = syntheticRecords({
      requests: 3000,
      qps: 100,
      outputTokens: 48,
      random: seededRandom(11),
    });
    const file = path.join(dir, 'export.jsonl');
    await writeFile(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const out = path.join(dir, 'file.html');
    const [report, analyze] = await Promise.all([
      spawnCli(['report', file, '--out', out], { cwd: dir }),
      spawnCli(['analyze', file, '--json', '--curve'], { cwd: dir }),
    ]);
    expect(report.code, report.stderr).toBe(0);
    expect(analyze.code, analyze.stderr).toBe(0);
    const { page, errors, offMachine } = await watchedPage(browser);
    await page.goto(`file://${out}`, { waitUntil: 'load' });
    await page.waitForSelector('[data-rendered-ms]');
    await expectChartsDrawn(page, 10);
    expect(await expectKpisEqual(page, JSON.parse(analyze.stdout))).toBeGreaterThanOrEqual(8);
    expect(await page.$eval('[data-notes]', (el) => el.textContent)).toContain('every 3rd request');
    await page.screenshot({ path: path.join(SHOTS, 'report.png') });
    await page.screenshot({ path: path.join(SHOTS, 'report-full.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(offMachine).toEqual([]);
    await page.close();
  }, 60_000);

  it('search, profile, history and comparison pages draw every chart, offline and without errors', async () => {
    const compareOut = path.join(dir, 'compare.html');
    const compare = await spawnCli(['report', '--compare', runId, runId, '--out', compareOut], {
      cwd: dir,
      env: { FLUIDBENCH_URL: stack.url, FLUIDBENCH_TOKEN: stack.token },
    });
    expect(compare.code, compare.stderr).toBe(0);
    const ui = await reportUi();
    const pages: [string, ReportData | string, number][] = [
      ['search', buildSearchReportData(searchFixture(), 0), 1],
      ['profile', buildProfileReportData(profileFixture(), 0), 2],
      ['history', buildHistoryReportData(historyFixture(), 'History of nightly', 0), 1],
      ['compare', compareOut, 1],
    ];
    for (const [name, data, charts] of pages) {
      const file = typeof data === 'string' ? data : path.join(dir, `${name}.html`);
      if (typeof data !== 'string') await writeFile(file, reportHtml(data, ui));
      const { page, errors, offMachine } = await watchedPage(browser);
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      await page.waitForSelector('[data-rendered-ms]');
      await expectChartsDrawn(page, charts);
      // Every chart has its text alternative.
      expect(
        await page.$$eval(
          '.card',
          (cards) => cards.filter((c) => c.querySelector('.chart') && !c.querySelector('details.alt')).length,
        ),
      ).toBe(0);
      if (name === 'search') {
        // The fitted curve is drawn with the probes: its 120 points beside every probe's.
        const drawn = Number(
          await page.$eval('[data-chart="search-probes"]', (el) => el.getAttribute('data-drawn')),
        );
        const fit = (data as SearchReportData).fit;
        expect(fit).not.toBeNull();
        expect(drawn).toBeGreaterThanOrEqual(
          fit!.curve.load.length + (data as SearchReportData).probes.length,
        );
        expect(
          await page.$eval('[data-chart="search-probes"]', (el) => el.closest('.card')?.textContent ?? ''),
        ).toMatch(/Dashed: the model strategy's logistic fit/);
      }
      if (name === 'compare') {
        // The quadrant is shaded (one more painted thing than the points) and the region × run table is there.
        const scatter = await page.$eval('[data-chart="compare-scatter"]', (el) => ({
          quadrant: el.getAttribute('data-quadrant'),
          drawn: Number(el.getAttribute('data-drawn')),
        }));
        expect(scatter.quadrant).toMatch(/^[\d.e-]+ [\d.e-]+$/);
        const points = await page.$$eval(
          '[data-chart="compare-scatter"] + details tbody tr',
          (rows) => rows.length,
        );
        expect(scatter.drawn).toBeGreaterThan(0);
        expect(points).toBeGreaterThan(0);
        expect(
          await page.$$eval('[data-table="region-by-run"] tbody tr', (rows) => rows.length),
        ).toBeGreaterThan(1);
      }
      await page.screenshot({ path: path.join(SHOTS, `report-${name}.png`) });
      expect(errors, name).toEqual([]);
      expect(offMachine, name).toEqual([]);
      await page.close();
    }
  }, 60_000);
});
