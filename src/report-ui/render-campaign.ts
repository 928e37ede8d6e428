import type {
  CompareReportData,
  HistoryReportData,
  ProfileReportData,
  SearchReportData,
} from '../core/report/report-data.ts';
import {
  BAD,
  chartHost,
  drawTools,
  errorBar,
  hLine,
  joinedLineChart,
  lineChart,
  OK,
  PALETTE,
  topLeftQuadrant,
  vBand,
} from './charts.ts';
import { card, fmt, h, isoTime, table } from './dom.ts';
import { type Mount, notes } from './render-run.ts';

function page(title: string, meta: string, ...body: (HTMLElement | null)[]): HTMLElement {
  return h(
    'div',
    { class: 'report' },
    h('header', { class: 'page' }, h('h1', {}, title), h('div', { class: 'meta' }, meta)),
    h('main', {}, ...body),
  );
}

export function renderSearch(data: SearchReportData): { el: HTMLElement; mounts: Mount[] } {
  const host = chartHost('search-probes');
  const probes = [...data.probes].sort((a, b) => a.load - b.load);
  // One x for the probes (replicates share a load) and the fitted curve's grid, each row one of them.
  const fit = data.fit;
  const rows = [
    ...probes.map((p) => ({ x: p.load, probe: p, fitted: null as number | null })),
    ...(fit?.curve.load ?? []).map((x, i) => ({ x, probe: null, fitted: fit!.curve.bad_fraction[i]! })),
  ].sort((a, b) => a.x - b.x);
  const mounts: Mount[] = [
    () => {
      lineChart(host, {
        x: rows.map((r) => r.x),
        series: [
          {
            label: 'pass',
            values: rows.map((r) => (r.probe?.verdict === 'pass' ? r.probe.bad_fraction : null)),
            color: OK,
            points: true,
            line: false,
          },
          {
            label: 'fail',
            values: rows.map((r) => (r.probe?.verdict === 'fail' ? r.probe.bad_fraction : null)),
            color: BAD,
            points: true,
            line: false,
          },
          ...(fit
            ? [
                {
                  label: `fitted (${fit.part})`,
                  values: rows.map((r) => r.fitted),
                  color: '#3867d6',
                  dash: [6, 4],
                },
              ]
            : []),
        ],
        xUnit: 'plain',
        yUnit: 'ratio',
        xLabel: 'offered load',
        yLabel: 'bad fraction',
        yRange: [0, Math.min(1, Math.max(0.05, ...probes.map((p) => p.hi)) * 1.1)],
        draw: (u) => {
          const { lo, hi } = data.bracket;
          if (lo !== null && hi !== null) vBand(u, lo, hi, 'rgba(56,103,214,0.12)');
          if (data.threshold !== null)
            hLine(u, data.threshold, '#555', `threshold ${fmt(data.threshold, 'ratio')}`);
          for (const p of probes) errorBar(u, p.load, p.lo, p.hi, p.verdict === 'pass' ? OK : BAD);
          return probes.length;
        },
      });
    },
  ];
  const b = data.bracket;
  return {
    el: page(
      data.title,
      `state ${data.search.state}${data.search.stop_reason ? ` · ${data.search.stop_reason}` : ''} · capacity between ${b.lo === null ? '–' : fmt(b.lo, 'plain')} and ${b.hi === null ? '–' : fmt(b.hi, 'plain')}`,
      card(
        'Probes: bad fraction with its Wilson interval',
        host,
        table(
          'Every probe',
          ['#', 'load', 'requests', 'bad fraction', 'interval', 'verdict', 'binding part'],
          data.probes.map((p) => [
            p.index,
            fmt(p.load, 'plain'),
            p.requests,
            fmt(p.bad_fraction, 'ratio'),
            `${fmt(p.lo, 'ratio')} – ${fmt(p.hi, 'ratio')}`,
            p.verdict,
            p.binding_part,
          ]),
        ),
        fit
          ? `Each probe at its offered load: the share of bad requests with its 95% Wilson interval, the threshold (grey) and the final bracket (shaded). Dashed: the model strategy's logistic fit of the ${fit.part} part's bad fraction on log-load, recomputed from the probes; it crosses the threshold (${fmt(fit.threshold, 'ratio')}) at ${fmt(fit.root, 'plain')}, the root before it is clamped to the bracket.`
          : 'Each probe at its offered load: the share of bad requests with its 95% Wilson interval, the threshold and the final bracket (shaded).',
      ),
      Object.keys(data.region_brackets).length > 0
        ? h(
            'section',
            { class: 'card' },
            h('h3', {}, 'Per region'),
            table(
              'Bracket per region',
              ['region', 'lo', 'hi'],
              Object.entries(data.region_brackets).map(([r, v]) => [
                r,
                v.lo === null ? '–' : fmt(v.lo, 'plain'),
                v.hi === null ? '–' : fmt(v.hi, 'plain'),
              ]),
            ),
          )
        : null,
      notes(data.notes),
    ),
    mounts,
  };
}

export function renderProfile(data: ProfileReportData): { el: HTMLElement; mounts: Mount[] } {
  const fitHost = chartHost('profile-fit');
  const resHost = chartHost('profile-residuals');
  const split = data.curve.extrapolated_from;
  const inside = data.curve.prompt_tokens
    .map((x, i) => [x, data.curve.prefill_s[i]!] as const)
    .filter(([x]) => split === null || x <= split);
  const beyond = data.curve.prompt_tokens
    .map((x, i) => [x, data.curve.prefill_s[i]!] as const)
    .filter(([x]) => split !== null && x >= split);
  const mounts: Mount[] = [
    () => {
      const curves = [
        {
          label: 'samples',
          x: data.samples.map((s) => s.prompt_tokens),
          y: data.samples.map((s) => s.ttft_s),
          color: '#9aa3b5',
          points: true,
          line: false,
        },
        {
          label: 'minimum per length',
          x: data.minima.map((m) => m.prompt_tokens),
          y: data.minima.map((m) => m.ttft_s),
          color: PALETTE[1]!,
          points: true,
          line: false,
        },
        { label: 'fit', x: inside.map(([x]) => x), y: inside.map(([, y]) => y), color: PALETTE[0]! },
        {
          label: 'extrapolated',
          x: beyond.map(([x]) => x),
          y: beyond.map(([, y]) => y),
          color: PALETTE[0]!,
          dash: [6, 4],
        },
      ].filter((c) => c.x.length > 0);
      if (curves.length > 0)
        joinedLineChart(
          fitHost,
          dedupe(curves),
          { xUnit: 'tokens', yUnit: 's', xLabel: 'prompt tokens', yLabel: 'TTFT / prefill' },
          (u) => {
            if (split !== null) vBand(u, split, data.curve.prompt_tokens.at(-1) ?? split, 'rgba(0,0,0,0.04)');
            return 0;
          },
        );
      if (data.minima.length > 0)
        lineChart(resHost, {
          x: data.minima.map((m) => m.prompt_tokens),
          series: [
            { label: 'residual', values: data.minima.map((m) => m.residual_s), points: true, line: false },
          ],
          xUnit: 'tokens',
          yUnit: 's',
          xLabel: 'prompt tokens',
          yLabel: 'measured − fit',
          draw: (u) => {
            hLine(u, 0, '#555');
            return 0;
          },
        });
    },
  ];
  const fit = data.fit;
  return {
    el: page(
      data.title,
      `state ${data.profile.state}${fit ? ` · fit over ${fit.points} lengths: rmse ${fmt(fit.rmse_s, 's')}, max error ${fmt(fit.max_abs_error_s, 's')}` : ''}`,
      h(
        'div',
        { class: 'grid' },
        card(
          'TTFT against prompt length',
          fitHost,
          table(
            'Minimum TTFT per length and the fit',
            ['prompt tokens', 'min TTFT', 'fit', 'residual'],
            data.minima.map((m) => [
              m.prompt_tokens,
              fmt(m.ttft_s, 's'),
              fmt(m.predicted_s, 's'),
              fmt(m.residual_s, 's'),
            ]),
          ),
          split !== null
            ? `The fitted prefill predictor; dashed (shaded) beyond the longest profiled prompt (${split} tokens), where it is extrapolated.`
            : undefined,
        ),
        card(
          'Residuals',
          resHost,
          h('p', {}, fit ? `Largest relative error ${fmt(fit.max_rel_error, 'ratio')}.` : 'No fit.'),
        ),
      ),
      notes(data.notes),
    ),
    mounts,
  };
}

/** uPlot.join needs strictly ascending x per table: keep the smallest y of repeated x. */
function dedupe<T extends { x: number[]; y: number[] }>(curves: T[]): T[] {
  return curves.map((c) => {
    const best = new Map<number, number>();
    c.x.forEach((x, i) => {
      best.set(x, Math.min(best.get(x) ?? Number.POSITIVE_INFINITY, c.y[i]!));
    });
    const xs = [...best.keys()].sort((a, b) => a - b);
    return { ...c, x: xs, y: xs.map((x) => best.get(x)!) };
  });
}

export function renderHistory(data: HistoryReportData): { el: HTMLElement; mounts: Mount[] } {
  const mounts: Mount[] = [];
  const cards = data.series.map((s, i) => {
    const host = chartHost(`history-${i}`);
    mounts.push(() => {
      lineChart(host, {
        x: s.t_ms.map((t) => t / 1000),
        time: true,
        series: [
          { label: s.metric, values: s.value, points: true },
          { label: 'band high', values: s.band_hi, color: 'rgba(56,103,214,0.35)', width: 1 },
          { label: 'band low', values: s.band_lo, color: 'rgba(56,103,214,0.35)', width: 1 },
        ],
        bands: [[2, 3]],
        yUnit: s.metric.endsWith('_s') ? 's' : 'count',
        xLabel: 'time',
        yLabel: s.metric,
        draw: (u) => {
          const { ctx, x, y, dpr } = drawTools(u);
          ctx.save();
          ctx.strokeStyle = BAD;
          ctx.lineWidth = 2 * dpr;
          for (const f of s.flags) {
            ctx.beginPath();
            ctx.arc(x(f.at_ms / 1000), y(f.value), 7 * dpr, 0, 2 * Math.PI);
            ctx.stroke();
          }
          ctx.restore();
          return s.flags.length;
        },
      });
    });
    return card(
      s.label,
      host,
      table(
        `${s.metric} over time`,
        ['time', 'value', 'baseline band', 'flag'],
        s.t_ms.map((t, k) => [
          isoTime(t),
          s.value[k]!,
          s.band_lo[k] === null ? '–' : `${s.band_lo[k]!.toPrecision(4)} – ${s.band_hi[k]!.toPrecision(4)}`,
          s.flags.find((f) => f.at_ms === t)?.reason ?? '',
        ]),
      ),
      `Worse when ${s.worse_when}. The shaded band is the baseline (median of the previous 7 points) ± its band; circled points were flagged as regressions.`,
    );
  });
  return {
    el: page(
      data.title,
      `${data.series.length} series`,
      h('div', { class: 'grid' }, ...cards),
      data.series.length === 0 ? h('p', {}, 'No history yet.') : null,
      notes(data.notes),
    ),
    mounts,
  };
}

export function renderCompare(data: CompareReportData): { el: HTMLElement; mounts: Mount[] } {
  const host = chartHost('compare-scatter');
  const points = data.scatter.rows.map((i) => data.rows[i]!);
  const { ttft_split_s: ttftSplit, output_tps_split: tpsSplit } = data.scatter;
  if (ttftSplit !== null && tpsSplit !== null) host.dataset.quadrant = `${ttftSplit} ${tpsSplit}`;
  const mounts: Mount[] = [
    () => {
      joinedLineChart(
        host,
        dedupe(
          points.map((r, i) => ({
            label: `${r.label} · ${r.region}`,
            x: [r.ttft_p50_s!],
            y: [r.output_tps_p50!],
            color: PALETTE[i % PALETTE.length]!,
            points: true,
            line: false,
          })),
        ),
        { xUnit: 's', yUnit: 'tok/s', xLabel: 'TTFT p50', yLabel: 'output speed p50' },
        undefined,
        ttftSplit === null || tpsSplit === null
          ? undefined
          : (u) => topLeftQuadrant(u, ttftSplit, tpsSplit, 'rgba(46,158,91,0.12)'),
      );
    },
  ];
  const cell = (i: number | null) => {
    if (i === null) return '–';
    const r = data.rows[i]!;
    return `${fmt(r.ttft_p50_s, 's')} · ${fmt(r.output_tps_p50, 'tok/s')} · miss ${fmt(r.miss_rate, 'ratio')}${r.attractive ? ' ★' : ''}`;
  };
  const quadrant =
    ttftSplit === null || tpsSplit === null
      ? 'Too few points for a quadrant.'
      : `The shaded top-left quadrant (TTFT p50 ≤ ${fmt(ttftSplit, 's')}, output speed p50 ≥ ${fmt(tpsSplit, 'tok/s')}, the medians of the points) is the attractive one; ★ marks its points.`;
  return {
    el: page(
      data.title,
      'Lower TTFT (left) and higher output speed (top) is better: the attractive quadrant is the top left.',
      card(
        'TTFT against output speed, per run and region',
        host,
        table(
          'Runs by region',
          [
            'run',
            'region',
            'requests',
            'TTFT p50',
            'output tok/s p50',
            'TBT p99',
            'miss rate',
            'errors',
            'quadrant',
          ],
          data.rows.map((r) => [
            r.label,
            r.region,
            r.requests,
            fmt(r.ttft_p50_s, 's'),
            fmt(r.output_tps_p50, 'tok/s'),
            fmt(r.tbt_p99_s, 's'),
            fmt(r.miss_rate, 'ratio'),
            fmt(r.error_rate, 'ratio'),
            r.attractive ? '★' : '',
          ]),
        ),
        quadrant,
      ),
      h(
        'section',
        { class: 'card', 'data-table': 'region-by-run' },
        h('h3', {}, 'Region × run'),
        table(
          'TTFT p50 · output speed p50 · deadline miss rate, per region (rows) and run (columns)',
          ['region', ...data.runs.map((r) => r.label)],
          data.matrix.regions.map((region, i) => [region, ...data.matrix.cells[i]!.map(cell)]),
        ),
      ),
      notes(data.notes),
    ),
    mounts,
  };
}
