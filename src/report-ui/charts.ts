import uPlot from 'uplot';
import { fmt, h, type Unit } from './dom.ts';

// uPlot wrappers: every chart draws on a canvas inside a `.chart` element whose `data-drawn`
// attribute counts what its last draw painted (points, segments), which the browser tests check.

export const PALETTE = [
  '#3867d6',
  '#e67e22',
  '#8e44ad',
  '#16a085',
  '#c0392b',
  '#7f8c8d',
  '#2c3e50',
  '#d35400',
];
export const OK = '#2e9e5b';
export const BAD = '#d6453d';

const HEIGHT = 260;

function chartWidth(host: HTMLElement): number {
  return Math.max(320, Math.min(1200, (host.parentElement?.clientWidth ?? 600) - 24));
}

/** A host element; the chart is created once it is in the document (uPlot measures its parent). */
export function chartHost(name: string): HTMLDivElement {
  return h('div', { class: 'chart', 'data-chart': name, 'data-drawn': 0, role: 'img' });
}

function markDrawn(host: HTMLElement, count: number): void {
  host.dataset.drawn = String(count);
}

function axisValues(unit: Unit): uPlot.Axis['values'] {
  return (_u, splits) =>
    splits.map((v) => (v === null ? '' : fmt(v, unit).replace(' req/s', '').replace(' tok/s', '')));
}

export interface LineSeries {
  label: string;
  values: (number | null)[];
  color?: string;
  dash?: number[];
  points?: boolean;
  line?: boolean;
  width?: number;
  /** Draw against a second y axis on the right (its own scale). */
  right?: boolean;
}

/** Lines (and/or points) over one shared, ascending x. */
export function lineChart(
  host: HTMLElement,
  options: {
    x: number[];
    series: LineSeries[];
    xUnit?: Unit;
    yUnit: Unit;
    xLabel: string;
    yLabel: string;
    time?: boolean;
    bands?: [number, number][];
    draw?: (u: uPlot) => number;
    /** Painted under the series (after the axes and grid); returns what it painted. */
    underlay?: (u: uPlot) => number;
    yRange?: [number, number];
    /** Plot height in CSS pixels (default 260). */
    height?: number;
    /** The right axis' label, when a series is drawn against it. */
    rightLabel?: string;
  },
): uPlot {
  const drawnPoints = options.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  let underlaid = 0;
  const u = new uPlot(
    {
      width: chartWidth(host),
      height: options.height ?? HEIGHT,
      scales: {
        x: { time: options.time === true },
        ...(options.yRange ? { y: { range: options.yRange } } : {}),
      },
      axes: [
        {
          label: options.xLabel,
          ...(options.time || !options.xUnit ? {} : { values: axisValues(options.xUnit) }),
        },
        { label: options.yLabel, values: axisValues(options.yUnit), size: 70 },
        ...(options.rightLabel
          ? [{ label: options.rightLabel, scale: 'y2', side: 1 as const, grid: { show: false } }]
          : []),
      ],
      series: [
        { label: options.xLabel },
        ...options.series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          width: s.width ?? 1.5,
          ...(s.right ? { scale: 'y2' } : {}),
          spanGaps: true,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.line === false ? { paths: () => null } : {}),
          points: { show: s.points ?? false, size: 7, fill: s.color ?? PALETTE[i % PALETTE.length] },
          value: (_u: uPlot, v: number | null) => fmt(v, options.yUnit),
        })),
      ],
      ...(options.bands
        ? { bands: options.bands.map(([a, b]) => ({ series: [a, b], fill: 'rgba(56,103,214,0.12)' })) }
        : {}),
      hooks: {
        drawAxes: [
          (chart: uPlot) => {
            underlaid = options.underlay ? options.underlay(chart) : 0;
          },
        ],
        draw: [
          (chart: uPlot) =>
            markDrawn(host, drawnPoints + underlaid + (options.draw ? options.draw(chart) : 0)),
        ],
      },
      legend: { live: true },
    },
    [options.x, ...options.series.map((s) => s.values)] as uPlot.AlignedData,
    host,
  );
  return u;
}

/** Several curves with their own x values, joined onto one x (uPlot.join). */
export function joinedLineChart(
  host: HTMLElement,
  curves: {
    label: string;
    x: number[];
    y: number[];
    color?: string;
    dash?: number[];
    points?: boolean;
    line?: boolean;
  }[],
  axes: { xUnit: Unit; yUnit: Unit; xLabel: string; yLabel: string; yRange?: [number, number] },
  draw?: (u: uPlot) => number,
  underlay?: (u: uPlot) => number,
): uPlot {
  const joined = uPlot.join(curves.map((c) => [c.x, c.y] as uPlot.AlignedData));
  return lineChart(host, {
    x: joined[0] as number[],
    series: curves.map((c, i) => ({
      label: c.label,
      values: joined[i + 1] as (number | null)[],
      ...(c.color ? { color: c.color } : {}),
      ...(c.dash ? { dash: c.dash } : {}),
      ...(c.points !== undefined ? { points: c.points } : {}),
      ...(c.line !== undefined ? { line: c.line } : {}),
    })),
    ...axes,
    ...(draw ? { draw } : {}),
    ...(underlay ? { underlay } : {}),
  });
}

/** The canvas context and device-pixel helpers of a draw hook. */
export function drawTools(u: uPlot) {
  const x = (v: number) => u.valToPos(v, 'x', true);
  const y = (v: number) => u.valToPos(v, 'y', true);
  return { ctx: u.ctx, x, y, dpr: devicePixelRatio || 1 };
}

/** A vertical segment from lo to hi at x (error bars). */
export function errorBar(u: uPlot, xv: number, lo: number, hi: number, color: string): void {
  const { ctx, x, y, dpr } = drawTools(u);
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5 * dpr;
  ctx.beginPath();
  ctx.moveTo(x(xv), y(lo));
  ctx.lineTo(x(xv), y(hi));
  ctx.moveTo(x(xv) - 4 * dpr, y(lo));
  ctx.lineTo(x(xv) + 4 * dpr, y(lo));
  ctx.moveTo(x(xv) - 4 * dpr, y(hi));
  ctx.lineTo(x(xv) + 4 * dpr, y(hi));
  ctx.stroke();
  ctx.restore();
}

/** A horizontal line across the plot at y = v. */
export function hLine(u: uPlot, v: number, color: string, label?: string): void {
  const { ctx, y, dpr } = drawTools(u);
  ctx.save();
  ctx.strokeStyle = color;
  ctx.setLineDash([6 * dpr, 4 * dpr]);
  ctx.lineWidth = 1.5 * dpr;
  ctx.beginPath();
  ctx.moveTo(u.bbox.left, y(v));
  ctx.lineTo(u.bbox.left + u.bbox.width, y(v));
  ctx.stroke();
  if (label) {
    ctx.fillStyle = color;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText(label, u.bbox.left + 6 * dpr, y(v) - 4 * dpr);
  }
  ctx.restore();
}

/** A shaded vertical band between x = a and x = b. */
export function vBand(u: uPlot, a: number, b: number, color: string): void {
  const { ctx, x } = drawTools(u);
  ctx.save();
  ctx.fillStyle = color;
  ctx.fillRect(x(a), u.bbox.top, x(b) - x(a), u.bbox.height);
  ctx.restore();
}

/** Shades the plot area left of x = xv and above y = yv (clipped to the plot); 1 when drawn. */
export function topLeftQuadrant(u: uPlot, xv: number, yv: number, color: string): number {
  const { ctx, x, y } = drawTools(u);
  const { left, top, width, height } = u.bbox;
  const right = Math.min(left + width, Math.max(left, x(xv)));
  const bottom = Math.min(top + height, Math.max(top, y(yv)));
  if (right <= left || bottom <= top) return 0;
  ctx.save();
  ctx.fillStyle = color;
  ctx.fillRect(left, top, right - left, bottom - top);
  ctx.restore();
  return 1;
}
