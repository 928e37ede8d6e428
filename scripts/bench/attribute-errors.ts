// Lines large chunk errors up with what the stack did at that moment.
//
//   node scripts/bench/attribute-errors.ts DIR [--row 8-fluidbench] [--over-ms 3] [--list 40]
//
// DIR is a `bench:streams --dump DIR` output. Events: the records' send marks (`send`) and each
// request's last read (`req-end`), plus any stack log line of the form `TL <kind> <epoch ms> ...`
// (add such console.log lines temporarily to the code under suspicion: heartbeat, flush, batch
// store, coordinator calls; Date.now() in workerd is the time of the I/O event that started the
// work). For each kind: the share of large errors whose window (target write − 1 ms … client read)
// holds such an event, against the share of all chunks, and the chunk-error p99 with and without
// one; then the large errors grouped into stalls (reads within 3 ms of each other) with the events
// near each.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    row: { type: 'string', default: '8-fluidbench' },
    'over-ms': { type: 'string', default: '3' },
    list: { type: 'string', default: '40' },
  },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: attribute-errors.ts DIR [--row 8-fluidbench] [--over-ms 3]');
const overMs = Number(values['over-ms']);

type Chunk = [writeMs: number, readMs: number, id: string, token: number];
const dump = JSON.parse(readFileSync(path.join(dir, `${values.row}.json`), 'utf8')) as {
  chunks: Chunk[];
  records: { id: string; sent_at_ms: number }[];
};
const { chunks } = dump;
const t0 = Math.min(...chunks.map((c) => c[0]));
const t1 = Math.max(...chunks.map((c) => c[1]));

const events = new Map<string, number[]>();
const add = (kind: string, at: number): void => {
  if (at < t0 - 50 || at > t1 + 50) return;
  const list = events.get(kind) ?? [];
  list.push(at);
  events.set(kind, list);
};
for (const line of readFileSync(path.join(dir, 'stack.log'), 'utf8').split('\n')) {
  const m = /\bTL (\S+) (\d{13})\b/.exec(line);
  if (m) add(m[1]!, Number(m[2]));
}
for (const r of dump.records) add('send', r.sent_at_ms);
const lastRead = new Map<string, number>();
for (const [, read, id] of chunks) lastRead.set(id, Math.max(lastRead.get(id) ?? 0, read));
for (const at of lastRead.values()) add('req-end', at);
for (const list of events.values()) list.sort((a, b) => a - b);

/** Whether `kind` has an event in [from, to]. */
function within(kind: string, from: number, to: number): boolean {
  const list = events.get(kind) ?? [];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length && list[lo]! <= to;
}
const errOf = (c: Chunk): number => c[1] - c[0];
const p99 = (xs: number[]): string => {
  if (xs.length === 0) return '–';
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!.toFixed(1);
};
const big = chunks.filter((c) => errOf(c) > overMs);
console.log(
  `${values.row}: ${chunks.length} chunks over ${((t1 - t0) / 1000).toFixed(1)} s; ${big.length} (${((100 * big.length) / chunks.length).toFixed(2)}%) over ${overMs} ms; chunk error p99 ${p99(chunks.map(errOf))} ms`,
);
console.log('kind            events  share of large  share of all  p99 with  p99 without');
for (const kind of [...events.keys()].sort()) {
  const hit = (c: Chunk) => within(kind, c[0] - 1, c[1]);
  const withEv = chunks.filter(hit).map(errOf);
  const without = chunks.filter((c) => !hit(c)).map(errOf);
  console.log(
    `${kind.padEnd(15)} ${String(events.get(kind)!.length).padStart(6)}  ${(big.filter(hit).length / Math.max(1, big.length)).toFixed(2).padStart(14)}  ${(withEv.length / chunks.length).toFixed(2).padStart(12)}  ${p99(withEv).padStart(8)}  ${p99(without).padStart(11)}`,
  );
}

// Stalls: large errors whose reads are within 3 ms of each other.
big.sort((a, b) => a[1] - b[1]);
const stalls: Chunk[][] = [];
for (const c of big) {
  const last = stalls.at(-1);
  if (last && c[1] - last.at(-1)![1] <= 3) last.push(c);
  else stalls.push([c]);
}
console.log(
  `\n${stalls.length} stalls (times from the first chunk write; events relative to the stall's first write, ms)`,
);
for (const stall of stalls.slice(0, Number(values.list))) {
  const from = Math.min(...stall.map((c) => c[0]));
  const to = Math.max(...stall.map((c) => c[1]));
  const near: string[] = [];
  for (const [kind, list] of events)
    for (const at of list)
      if (at >= from - 5 && at <= to + 1)
        near.push(`${kind}@${at - from >= 0 ? '+' : ''}${(at - from).toFixed(0)}`);
  console.log(
    `t=${((from - t0) / 1000).toFixed(3).padStart(7)} s  chunks ${String(stall.length).padStart(3)}  max ${Math.max(
      ...stall.map(errOf),
    )
      .toFixed(1)
      .padStart(5)} ms  ${near.slice(0, 10).join(' ')}`,
  );
}
