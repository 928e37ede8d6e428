// Headless Chromium for the browser tests and the report benchmark: Debian's `chromium` package
// (installed by .ci/run when missing; CHROME_PATH overrides), driven by puppeteer-core. Every page
// records its console errors, uncaught exceptions and any request that is not to 127.0.0.1 (those
// are aborted), so a test can assert that a page is clean and stays on the machine.
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors and failed requests, as text. */
  errors: string[];
  /** Requests to anything but 127.0.0.1 (and file:, data:, about:), which were aborted. */
  offMachine: string[];
}

const LOCAL = /^(file:|data:|about:|blob:|https?:\/\/127\.0\.0\.1[:/])/;

export async function watchedPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<WatchedPage> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const errors: string[] = [];
  const offMachine: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${String(error)}`));
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`http ${response.status()}: ${response.url()}`);
  });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (LOCAL.test(request.url())) void request.continue();
    else {
      offMachine.push(request.url());
      void request.abort();
    }
  });
  return { page, errors, offMachine };
}

/** Per chart: its name, what its draw reported (`data-drawn`) and how many canvas pixels are painted. */
export function chartStates(page: Page): Promise<{ name: string; drawn: number; painted: number }[]> {
  return page.$$eval('.chart', (hosts) =>
    hosts.map((host) => {
      let painted = 0;
      for (const canvas of host.querySelectorAll('canvas')) {
        const ctx = canvas.getContext('2d');
        if (!ctx || canvas.width === 0) continue;
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      }
      return {
        name: host.getAttribute('data-chart') ?? '',
        drawn: Number(host.getAttribute('data-drawn')),
        painted,
      };
    }),
  );
}
