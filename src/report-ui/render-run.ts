import type uPlot from 'uplot';
import type { Kpi, RunReportData } from '../core/report/report-data.ts';
import { BAD, chartHost, drawTools, joinedLineChart, lineChart, OK, PALETTE } from './charts.ts';
import { card, fmt, h, isoTime, table } from './dom.ts';

/** The KPI strip: each value formatted, the exact number in `data-value` (tests compare it to the JSON). */
export function kpiStrip(kpis: readonly Kpi[]): HTMLElement {
  return h(
    'section',
    { class: 'kpis', 'aria-label': 'key figures' },
    ...kpis.map((k) =>
      h(
        'div',
        {
          class: 'kpi',
          'data-kpi': k.key,
          'data-value': JSON.stringify(k.value),
          'data-source': k.source,
          title: k.help,
        },
        h('span', { class: 'label' }, k.label),
        h('span', { class: 'value' }, fmt(k.value, k.unit)),
      ),
    ),
  );
}

/** Charts to create once their hosts are in the document. */
export type Mount = () => void;

/** The whole run page: returns its element and the charts to mount. */
export function renderRun(data: RunReportData): { el: HTMLElement; mounts: Mount[] } {
  const mounts: Mount[] = [];
  const run = data.run;
  const meta = [
    run?.target ? `${run.target.model} · ${run.target.api} · ${run.target.base_url}` : null,
    run ? `state ${run.state}` : null,
    run ? `started ${isoTime(run.started_at_ms)}` : null,
    data.source.type === 'file' ? `from ${data.source.name}` : null,
    `${data.requests.toLocaleString('en-US')} requests`,
    `regions ${data.regions.join(', ') || '–'}`,
    `deadlines: TTFT ${data.deadlines.ttft_deadline_s === null ? 'predicted prefill + slack' : fmt(data.deadlines.ttft_deadline_s, 's')}, TBT ${fmt(data.deadlines.tbt_deadline_s, 's')}`,
  ].filter((s): s is string => s !== null);

  const el = h(
    'div',
    { class: 'report report-run' },
    h('header', { class: 'page' }, h('h1', {}, data.title), h('div', { class: 'meta' }, meta.join(' · '))),
    h(
      'main',
      {},
      kpiStrip(data.kpis),
      timelineCard(data, mounts),
      h('div', { class: 'grid' }, ...data.cdfs.map((c) => cdfCard(c, mounts))),
      h('div', { class: 'grid' }, ...seriesCards(data, mounts)),
      data.miss_rate_curve ? missRateCurveCard(data.miss_rate_curve, mounts) : null,
      h(
        'section',
        { class: 'card' },
        h('h3', {}, 'Regions'),
        table(
          'Per region, as in the results',
          ['region', 'requests', 'errors', 'TTFT p50', 'TTFT p99', 'TBT p99', 'deadline miss rate'],
          data.region_table.map((r) => [
            r.region,
            r.requests,
            fmt(r.error_rate, 'ratio'),
            fmt(r.ttft_p50_s, 's'),
            fmt(r.ttft_p99_s, 's'),
            fmt(r.tbt_p99_s, 's'),
            fmt(r.miss_rate, 'ratio'),
          ]),
        ),
      ),
      notes(data.notes),
    ),
  );
  return { el, mounts };
}

export function notes(list: readonly string[]): HTMLElement | null {
  if (list.length === 0) return null;
  return h('ul', { class: 'notes', 'data-notes': '' }, ...list.map((n) => h('li', {}, n)));
}

function timelineCard(data: RunReportData, mounts: Mount[]): HTMLElement {
  const host = chartHost('timeline');
  const rows = data.timeline.requests;
  const endS = Math.max(0.001, ...rows.map((r) => (r.s + (r.c.at(-1) ?? r.h ?? 0)) / 1000));
  let missedReads = 0;
  let reads = 0;
  for (const r of rows) {
    missedReads += r.m.length;
    reads += r.c.length;
  }
  mounts.push(() => {
    lineChart(host, {
      x: [0, endS],
      series: [{ label: 'requests', values: [null, null], line: false }],
      yUnit: 'count',
      xLabel: 's since the first send',
      yLabel: 'request (by send time)',
      yRange: [-1, Math.max(1, rows.length)],
      height: 420,
      draw: (u) => drawTimeline(u, data),
    });
  });
  const worst = [...rows].sort((a, b) => b.m.length - a.m.length).slice(0, 10);
  return card(
    'Every token against its deadline',
    host,
    h(
      'div',
      {},
      h(
        'p',
        {},
        `${rows.length} requests drawn; ${missedReads} of ${reads} token-carrying reads (${fmt(reads ? missedReads / reads : null, 'ratio')}) missed a deadline.`,
      ),
      table(
        'The requests with the most late reads',
        ['send (s)', 'region', 'outcome', 'tokens', 'late reads'],
        worst.map((r) => [(r.s / 1000).toFixed(3), data.regions[r.r] ?? '', r.o, r.n, r.m.length]),
      ),
    ),
    'One row per request: grey while it waited past its scheduled send, light blue until the headers, amber until the first token (red when it was late), then each read green when its tokens met their deadline and red when one missed (the fluidity schedule: the first token is due the TTFT deadline after the send, each later one a TBT deadline after the previous deadline).',
  );
}

function drawTimeline(u: uPlot, data: RunReportData): number {
  const { ctx, x, y, dpr } = drawTools(u);
  const rows = data.timeline.requests;
  const rowPx = Math.abs(y(1) - y(0));
  // One path per colour, missed deadlines stroked last so that dense rows never hide them.
  const colours = ['#b8bcc6', '#9ec5fe', '#f0b429', OK, BAD];
  const paths = new Map(colours.map((c) => [c, new Path2D()]));
  let segments = 0;
  let yy = 0;
  const seg = (from: number, to: number, colour: string) => {
    const path = paths.get(colour)!;
    path.moveTo(x(from / 1000), yy);
    path.lineTo(Math.max(x(to / 1000), x(from / 1000) + dpr), yy);
    segments++;
  };
  rows.forEach((r, i) => {
    yy = y(i);
    const headers = r.s + (r.h ?? 0);
    if (r.l !== null && r.l > 0) seg(r.s - r.l, r.s, '#b8bcc6');
    if (r.h !== null) seg(r.s, headers, '#9ec5fe');
    if (r.c.length === 0) {
      if (r.o !== 'ok') seg(headers, headers + 1, BAD);
      return;
    }
    const missed = new Set(r.m);
    // The wait for the first token: amber, red when the first token was late.
    seg(headers, r.s + r.c[0]!, missed.has(0) ? BAD : '#f0b429');
    for (let k = 1; k < r.c.length; k++) seg(r.s + r.c[k - 1]!, r.s + r.c[k]!, missed.has(k) ? BAD : OK);
  });
  ctx.save();
  ctx.lineWidth = Math.max(dpr, Math.min(8 * dpr, rowPx * 0.8));
  for (const colour of colours) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = colour === BAD ? Math.max(2 * dpr, Math.min(8 * dpr, rowPx * 0.8)) : ctx.lineWidth;
    ctx.stroke(paths.get(colour)!);
  }
  ctx.restore();
  return segments;
}

function cdfCard(c: RunReportData['cdfs'][number], mounts: Mount[]): HTMLElement {
  const host = chartHost(`cdf-${c.metric}`);
  const regions = Object.entries(c.regions);
  const n = regions[0]?.[1].x.length ?? 0;
  const ps = Array.from({ length: n }, (_, i) => i / Math.max(1, n - 1));
  mounts.push(() => {
    joinedLineChart(
      host,
      regions.map(([name, r], i) => ({ label: name, x: r.x, y: ps, color: PALETTE[i % PALETTE.length]! })),
      { xUnit: c.unit, yUnit: 'ratio', xLabel: c.label, yLabel: 'fraction of requests', yRange: [0, 1] },
    );
  });
  const at = (x: number[], q: number) => x[Math.round(q * (x.length - 1))];
  return card(
    `CDF: ${c.label}`,
    host,
    table(
      `${c.label} quantiles per region`,
      ['region', 'count', 'min', 'p50', 'p90', 'p99', 'max'],
      regions.map(([name, r]) => [
        name,
        r.count,
        fmt(r.x[0], c.unit),
        fmt(at(r.x, 0.5), c.unit),
        fmt(at(r.x, 0.9), c.unit),
        fmt(at(r.x, 0.99), c.unit),
        fmt(r.x.at(-1), c.unit),
      ]),
    ),
  );
}

function seriesCards(data: RunReportData, mounts: Mount[]): HTMLElement[] {
  const s = data.series;
  const tokens = chartHost('tokens-in-flight');
  const errors = chartHost('errors');
  const lag = chartHost('schedule-lag');
  mounts.push(() => {
    lineChart(tokens, {
      x: s.t,
      series: [
        { label: 'output tokens/s', values: s.tokens_per_s },
        { label: 'requests in flight', values: s.in_flight, color: PALETTE[1]!, right: true },
      ],
      yUnit: 'count',
      xLabel: 's since the first send',
      yLabel: 'output tokens/s',
      rightLabel: 'requests in flight',
    });
    const outcomes = Object.entries(s.errors);
    lineChart(errors, {
      x: s.t,
      series:
        outcomes.length > 0
          ? outcomes.map(([o, v], i) => ({
              label: o,
              values: v,
              color: PALETTE[(i + 4) % PALETTE.length]!,
              points: true,
            }))
          : [{ label: 'failures', values: s.t.map(() => 0), color: OK }],
      yUnit: 'plain',
      xLabel: 's since the first send',
      yLabel: 'failed requests per bin',
    });
    lineChart(lag, {
      x: s.t,
      series: [{ label: 'max schedule lag (ms)', values: s.schedule_lag_max_ms, points: true }],
      yUnit: 'plain',
      xLabel: 's since the first send',
      yLabel: 'ms',
    });
  });
  const peak = (v: (number | null)[]) => Math.max(0, ...v.map((x) => x ?? 0));
  const totals = Object.entries(s.errors).map(
    ([o, v]) => [o, v.reduce((a, b) => a + b, 0)] as [string, number],
  );
  return [
    card(
      'Tokens per second and requests in flight',
      tokens,
      h(
        'p',
        {},
        `Bins of ${s.bin_s} s. Peak ${peak(s.tokens_per_s).toFixed(1)} output tokens/s; at most ${peak(s.in_flight).toFixed(1)} requests in flight on average over a bin.`,
      ),
    ),
    card(
      'Failures by outcome',
      errors,
      totals.length > 0
        ? table('Failed requests by outcome', ['outcome', 'requests'], totals)
        : h('p', {}, 'No request failed.'),
    ),
    card(
      'Schedule lag',
      lag,
      h(
        'p',
        {},
        `The largest lag of a send behind its schedule: ${peak(s.schedule_lag_max_ms).toFixed(1)} ms.`,
      ),
      'How late each bin’s sends left against the arrival schedule (the generator’s own health).',
    ),
  ];
}

function missRateCurveCard(
  curve: NonNullable<RunReportData['miss_rate_curve']>,
  mounts: Mount[],
): HTMLElement {
  const host = chartHost('miss-rate-curve');
  mounts.push(() => {
    lineChart(host, {
      x: curve.tbt_deadline_ms,
      series: [{ label: 'p99 miss rate', values: curve.p99_miss_rate }],
      yUnit: 'ratio',
      xLabel: 'TBT deadline (ms)',
      yLabel: 'p99 per-request miss rate',
    });
  });
  const pick = [1, 5, 10, 20, 50, 100];
  return card(
    'P99 miss rate against the TBT deadline',
    host,
    table(
      'p99 per-request decode miss rate',
      ['TBT deadline', 'p99 miss rate'],
      pick
        .map((ms) => [ms, curve.p99_miss_rate[curve.tbt_deadline_ms.indexOf(ms)]] as const)
        .map(([ms, v]) => [`${ms} ms`, fmt(v ?? null, 'ratio')]),
    ),
  );
}
