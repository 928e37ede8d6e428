import type { RequestRecord } from '../core/record/request-record.ts';
import {
  buildHistoryReportData,
  buildProfileReportData,
  buildSearchReportData,
} from '../core/report/campaign-report-data.ts';
import type { ReportData } from '../core/report/report-data.ts';
import { buildRunReportData, type ResultsLike } from '../core/report/run-report-data.ts';
import { h, isoTime, table } from './dom.ts';
import { renderReport } from './render-report.ts';

// The dashboard the Worker serves at `/`: sign in with the control token (kept in sessionStorage,
// sent as a bearer token, never put in a URL), then hash routes over the control API. Pages with
// charts are built by the same code as `fluidbench report`.

const TOKEN_KEY = 'fluidbench-token';
/** How often a live run page asks for progress. */
const POLL_MS = 1000;
/** Records fetched for a run's charts at most (pages of 10 000). */
const MAX_RECORDS = 100_000;
const TERMINAL = new Set(['done', 'failed', 'cancelled']);

class Unauthorized extends Error {}

async function api<T>(path: string): Promise<T> {
  const response = await apiResponse(path);
  return (await response.json()) as T;
}

async function apiResponse(path: string): Promise<Response> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: { authorization: `Bearer ${token ?? ''}` } });
  if (response.status === 401) throw new Unauthorized('the token was refused');
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(`${response.status}: ${body?.error?.message ?? response.statusText}`);
  }
  return response;
}

let generation = 0;

export function startDashboard(root: HTMLElement): void {
  window.addEventListener('hashchange', () => void route(root));
  void route(root);
}

function shell(root: HTMLElement, ...content: (HTMLElement | null)[]): HTMLElement {
  const main = h('div', { id: 'page' }, ...content);
  root.replaceChildren(
    h(
      'nav',
      { class: 'top' },
      ...['runs', 'searches', 'profiles', 'schedules', 'alerts'].map((p) => h('a', { href: `#/${p}` }, p)),
      h('a', { href: '#/signout', class: 'right' }, 'sign out'),
    ),
    main,
  );
  return main;
}

async function route(root: HTMLElement): Promise<void> {
  const mine = ++generation;
  const [page = 'runs', id] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (page === 'signout') sessionStorage.removeItem(TOKEN_KEY);
  if (!sessionStorage.getItem(TOKEN_KEY)) return signIn(root);
  const main = shell(root, h('p', {}, 'loading…'));
  try {
    if (page === 'run' && id) await runPage(main, id, mine);
    else if (page === 'search' && id)
      report(main, buildSearchReportData(await api(`/v1/searches/${enc(id)}`), Date.now()));
    else if (page === 'profile' && id)
      report(main, buildProfileReportData(await api(`/v1/profiles/${enc(id)}`), Date.now()));
    else if (page === 'schedule' && id) await schedulePage(main, id);
    else if (page === 'history')
      report(main, buildHistoryReportData(await api('/v1/history'), 'History', Date.now()));
    else await listPage(main, page === 'signout' ? 'runs' : page);
  } catch (error) {
    if (error instanceof Unauthorized) {
      sessionStorage.removeItem(TOKEN_KEY);
      return signIn(root, 'The control token was refused.');
    }
    console.error(error);
    main.replaceChildren(h('p', { class: 'error' }, String(error)));
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function signIn(root: HTMLElement, problem?: string): void {
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'current-password',
    'aria-label': 'control token',
  });
  const form = h(
    'form',
    { class: 'signin' },
    h('h1', {}, 'fluidbench'),
    h('p', {}, 'Sign in with the control token (CONTROL_TOKEN). It stays in this tab’s session storage.'),
    input,
    h('button', { type: 'submit' }, 'sign in'),
    problem ? h('p', { class: 'error' }, problem) : null,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    if (location.hash === '#/runs') void route(root);
    else location.hash = '#/runs';
  });
  root.replaceChildren(form);
  input.focus();
}

function report(main: HTMLElement, data: ReportData): void {
  renderReport(main, data);
}

function link(href: string, text: string): HTMLAnchorElement {
  return h('a', { href }, text);
}

function state(s: string): HTMLElement {
  return h('span', { class: `state-${s}` }, s);
}

async function listPage(main: HTMLElement, page: string): Promise<void> {
  const row = (cells: (string | HTMLElement)[]) => h('tr', {}, ...cells.map((c) => h('td', {}, c)));
  const list = (title: string, head: string[], rows: HTMLElement[]) =>
    main.replaceChildren(
      h('header', { class: 'page' }, h('h1', {}, title)),
      h(
        'main',
        {},
        h(
          'table',
          { 'data-list': page },
          h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
          h('tbody', {}, ...rows),
        ),
      ),
    );
  if (page === 'searches') {
    const { searches } = await api<{
      searches: { id: string; name: string | null; state: string; created_at_ms: number }[];
    }>('/v1/searches?limit=50');
    list(
      'Capacity searches',
      ['search', 'name', 'state', 'created'],
      searches.map((s) =>
        row([link(`#/search/${enc(s.id)}`, s.id), s.name ?? '', state(s.state), isoTime(s.created_at_ms)]),
      ),
    );
  } else if (page === 'profiles') {
    const { profiles } = await api<{
      profiles: { id: string; name: string | null; state: string; created_at_ms: number }[];
    }>('/v1/profiles?limit=50');
    list(
      'Prefill profiles',
      ['profile', 'name', 'state', 'created'],
      profiles.map((p) =>
        row([link(`#/profile/${enc(p.id)}`, p.id), p.name ?? '', state(p.state), isoTime(p.created_at_ms)]),
      ),
    );
  } else if (page === 'schedules') {
    const { schedules } = await api<{
      schedules: { id: string; name: string; cron: string; enabled: boolean; next_due_ms: number | null }[];
    }>('/v1/schedules?limit=50');
    list(
      'Schedules',
      ['schedule', 'name', 'cron', 'enabled', 'next'],
      schedules.map((s) =>
        row([
          link(`#/schedule/${enc(s.id)}`, s.id),
          s.name,
          s.cron,
          String(s.enabled),
          isoTime(s.next_due_ms),
        ]),
      ),
    );
  } else if (page === 'alerts') {
    const { alerts } = await api<{
      alerts: {
        created_at_ms: number;
        run_id: string;
        model: string;
        region: string;
        metric: string;
        value: number;
        baseline: number;
        reason: string;
        webhook_state: string;
      }[];
    }>('/v1/alerts');
    list(
      'Regression alerts',
      ['when', 'run', 'model', 'region', 'metric', 'value', 'baseline', 'reason', 'webhook'],
      alerts.map((a) =>
        row([
          isoTime(a.created_at_ms),
          link(`#/run/${enc(a.run_id)}`, a.run_id),
          a.model,
          a.region,
          a.metric,
          a.value.toPrecision(4),
          a.baseline.toPrecision(4),
          a.reason,
          a.webhook_state,
        ]),
      ),
    );
  } else {
    const { runs } = await api<{
      runs: {
        id: string;
        name: string | null;
        state: string;
        created_at_ms: number;
        finished_at_ms: number | null;
      }[];
    }>('/v1/runs?limit=50');
    list(
      'Runs',
      ['run', 'name', 'state', 'created', 'finished'],
      runs.map((r) =>
        row([
          link(`#/run/${enc(r.id)}`, r.id),
          r.name ?? '',
          state(r.state),
          isoTime(r.created_at_ms),
          isoTime(r.finished_at_ms),
        ]),
      ),
    );
  }
}

interface ScheduleLike {
  name: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  next_due_ms: number | null;
  starts: { due_ms: number; trigger: string; outcome: string; run_ids: string[]; reason: string | null }[];
}

/** A schedule: its recent starts, then the history of its runs' headline metrics. */
async function schedulePage(main: HTMLElement, id: string): Promise<void> {
  const [schedule, history] = await Promise.all([
    api<ScheduleLike>(`/v1/schedules/${enc(id)}`),
    api<Parameters<typeof buildHistoryReportData>[0]>(`/v1/history?schedule=${enc(id)}`),
  ]);
  report(main, buildHistoryReportData(history, `Schedule ${schedule.name}`, Date.now()));
  const starts = h(
    'section',
    { class: 'card' },
    h(
      'h3',
      {},
      `${schedule.cron} (${schedule.timezone}) · ${schedule.enabled ? `next ${isoTime(schedule.next_due_ms)}` : 'paused'}`,
    ),
    h(
      'table',
      { 'data-list': 'starts' },
      h('caption', {}, 'Recent starts'),
      h(
        'thead',
        {},
        h('tr', {}, ...['due', 'trigger', 'outcome', 'runs', 'reason'].map((c) => h('th', {}, c))),
      ),
      h(
        'tbody',
        {},
        ...schedule.starts.map((start) =>
          h(
            'tr',
            {},
            h('td', {}, isoTime(start.due_ms)),
            h('td', {}, start.trigger),
            h('td', {}, start.outcome),
            h('td', {}, ...start.run_ids.map((r) => link(`#/run/${enc(r)}`, `${r} `))),
            h('td', {}, start.reason ?? ''),
          ),
        ),
      ),
    ),
  );
  main.querySelector('main')?.prepend(starts);
}

interface RunStatusLike {
  id: string;
  name: string | null;
  state: string;
  eta_s: number | null;
  regions: Record<
    string,
    {
      shards: number;
      scheduled: number | null;
      dispatched: number;
      in_flight: number;
      done: number;
      errors: number;
    }
  >;
}

/** A run: live progress per region while it runs (polled), then its results with charts. */
async function runPage(main: HTMLElement, id: string, mine: number): Promise<void> {
  for (;;) {
    const status = await api<RunStatusLike>(`/v1/runs/${enc(id)}`);
    if (mine !== generation) return;
    if (TERMINAL.has(status.state)) break;
    const regions = Object.entries(status.regions);
    const done = regions.reduce((n, [, r]) => n + r.done, 0);
    main.replaceChildren(
      h(
        'header',
        { class: 'page' },
        h('h1', {}, `Run ${status.name ?? status.id}`),
        h(
          'div',
          { class: 'meta' },
          state(status.state),
          status.eta_s !== null ? ` · about ${Math.ceil(status.eta_s)} s left` : '',
        ),
      ),
      h(
        'main',
        { 'data-live': '', 'data-live-done': done },
        table(
          'Progress per region (updates every second)',
          ['region', 'shards', 'done', 'scheduled', 'in flight', 'errors', ''],
          regions.map(([name, r]) => [
            name,
            r.shards,
            r.done,
            r.scheduled ?? '–',
            r.in_flight,
            r.errors,
            r.scheduled ? `${Math.round((100 * r.done) / r.scheduled)} %` : '',
          ]),
        ),
        ...regions.map(([name, r]) =>
          h(
            'p',
            {},
            h('progress', { max: r.scheduled ?? 1, value: r.done, 'aria-label': `${name} progress` }),
            ` ${name}`,
          ),
        ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (mine !== generation) return;
  }
  const results = await api<ResultsLike & { state: string }>(`/v1/runs/${enc(id)}/results`);
  const records: RequestRecord[] = [];
  let after: string | undefined;
  while (records.length < MAX_RECORDS) {
    const query = new URLSearchParams({ limit: '10000', ...(after ? { after } : {}) });
    const response = await apiResponse(`/v1/runs/${enc(id)}/requests?${query}`);
    const page = (await response.text())
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as RequestRecord);
    records.push(...page);
    // The next page's cursor; empty on the last page.
    const next = response.headers.get('x-next-cursor');
    if (!next) break;
    after = next;
  }
  if (mine !== generation) return;
  const data = buildRunReportData({ results, records, source: { type: 'run', id }, nowMs: Date.now() });
  if (records.length >= MAX_RECORDS)
    data.notes.push(`Charts use the first ${MAX_RECORDS} records; the KPIs are the whole run's.`);
  report(main, data);
  main.dataset.runState = results.state;
}
