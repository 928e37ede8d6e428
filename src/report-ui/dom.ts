// Tiny DOM helpers for the report and the dashboard: elements are built with textContent only (no
// innerHTML), so nothing from the data is ever parsed as markup.

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (strings; `class` included) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

export type Unit = 's' | 'ratio' | 'qps' | 'tok/s' | 'count' | 'tokens' | 'plain';

/** A number for people: seconds as ms below 1 s, ratios as percent. */
export function fmt(value: number | null | undefined, unit: Unit): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  switch (unit) {
    case 's':
      return Math.abs(value) < 1
        ? `${(value * 1000).toPrecision(4).replace(/\.?0+$/, '')} ms`
        : `${value.toFixed(3)} s`;
    case 'ratio':
      return `${(value * 100).toFixed(2)} %`;
    case 'qps':
      return `${value.toFixed(2)} req/s`;
    case 'tok/s':
      return `${value.toFixed(1)} tok/s`;
    case 'plain':
      return String(Number(value.toPrecision(4)));
    case 'tokens':
    case 'count':
      return Math.round(value).toLocaleString('en-US');
  }
}

/** A table from a header row and body rows (the text alternative of a chart). */
export function table(caption: string, head: string[], rows: (string | number)[][]): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, String(c)))))),
  );
}

/** A chart card: title, the chart host, and its text alternative in a <details>. */
export function card(
  title: string,
  chart: HTMLElement,
  alternative: HTMLElement | string,
  help?: string,
): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    h('h3', {}, title),
    help ? h('p', { class: 'help' }, help) : null,
    chart,
    h('details', { class: 'alt' }, h('summary', {}, 'as text'), alternative),
  );
}

export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '–' : new Date(ms).toISOString().replace('.000Z', 'Z');
}
