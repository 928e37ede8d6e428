// npm run bench:search [-- --seeds 5 --requests 1000 --tokens 32 --dimension qps|concurrency]
// Capacity searches against the built-in simulator with a known knee (src/core/sim/sim-capacity.ts)
// and realistic jitter, in-process on virtual time: the real simulator, arrivals, per-request
// metrics, SLO classification and early abort (src/core/testing/sim-search-probe.ts). Runs etalon
// mode, model mode cold, and model mode warm from 0.9× and 1.1× the true capacity, for several
// seeds, and prints per mode: probes, requests, output tokens, simulated and real wall time, the
// error of the answer against the analytic capacity (median and worst over seeds), and requests as
// a percentage of etalon's. Goal: model ≤ 50% of etalon's requests cold, ≤ 35% warm, at equal or
// better accuracy. `--dimension concurrency` runs the closed loop (model mode only: etalon
// searches QPS), whose true capacity is the knee itself.
import { parseArgs } from 'node:util';
import { createCapacitySearch } from '../../src/core/search/capacity-search.ts';
import type { SearchResult, SearchSettingsInput } from '../../src/core/search/search-protocol.ts';
import { parseSlo } from '../../src/core/search/slo.ts';
import { analyticCapacity } from '../../src/core/sim/sim-capacity.ts';
import { parseSimConfig } from '../../src/core/sim/sim-config.ts';
import { runSimSearch } from '../../src/core/testing/sim-search-probe.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '1000' },
    tokens: { type: 'string', default: '32' },
    dimension: { type: 'string', default: 'qps' },
  },
});
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const probeRequests = Number(values.requests);
const outputTokens = Number(values.tokens);
const promptTokens = 256;
if (values.dimension !== 'qps' && values.dimension !== 'concurrency') {
  throw new Error(`--dimension must be qps or concurrency, got ${values.dimension}`);
}
const dimension = values.dimension;

// A vLLM-like step of 20 ms, ±10% jitter on every step and prefill, and a sharp knee at 32
// sequences (3× slower steps beyond), judged by etalon's default tbt_ttft SLO (P99 TBT ≤ 30 ms,
// P90 TTFT ≤ 100 ms). Constant arrivals make the QPS capacity exact: 32 / S.
const config = parseSimConfig({
  decode_ms_per_token: 20,
  prefill_base_ms: 20,
  prefill_us_per_token: 50,
  jitter: 0.1,
  capacity: {
    max_sequences: 256,
    queue_limit: 4096,
    batch_slowdown: 0,
    knee: { sequences: 32, slowdown: 3 },
  },
});
const slo = parseSlo({ type: 'tbt_ttft' });
const truth = analyticCapacity(config, slo, dimension, { promptTokens, outputTokens, arrivals: 'constant' });
const unit = dimension === 'qps' ? 'QPS' : 'concurrent streams';

interface Mode {
  name: string;
  settings: SearchSettingsInput;
  warmStartLoad?: number;
  answer: (r: SearchResult) => number | null;
}
const common = {
  dimension,
  arrivals: { type: 'constant' },
  slo: { type: 'tbt_ttft' },
  probe: { requests: probeRequests, warmup_requests: 0 },
  cooldown_s: 0,
  ...(dimension === 'concurrency' ? { load: { min: 1, max: 256 } } : {}),
} as const;
// Warm starts from a previous answer 10% off, rounded to whole streams for concurrency.
const warm = (f: number) => (dimension === 'qps' ? f * truth.load : Math.round(f * truth.load));
// The model's root; in whole streams the largest passing load is the answer (the root lies between).
const modelAnswer = (r: SearchResult) => (dimension === 'qps' ? (r.root?.load ?? null) : r.bracket.lo);
const allModes: Mode[] = [
  { name: 'etalon', settings: { ...common, mode: 'etalon' }, answer: (r) => r.bracket.lo },
  {
    name: 'model cold',
    settings: { ...common, mode: 'model', warm_start: 'off' },
    answer: modelAnswer,
  },
  {
    name: 'model warm 0.9×',
    settings: { ...common, mode: 'model', warm_start: { load: warm(0.9) } },
    answer: modelAnswer,
  },
  {
    name: 'model warm 1.1×',
    settings: { ...common, mode: 'model', warm_start: { load: warm(1.1) } },
    answer: modelAnswer,
  },
];
const modes = dimension === 'qps' ? allModes : allModes.filter((m) => m.settings.mode !== 'etalon');

console.log(
  `simulator: step 20 ms ±10%, knee at 32 sequences (×3 beyond), ${promptTokens} prompt + ${outputTokens} output tokens; SLO tbt_ttft (etalon defaults); ${dimension === 'qps' ? 'constant arrivals' : 'closed loop'}; ${probeRequests} requests per probe; seeds ${seeds.join(',')}`,
);
console.log(
  `true capacity (analytic): ${truth.load.toFixed(3)} ${unit} (n* = ${truth.sequences}, S = ${truth.serviceMs.toFixed(1)} ms; jitter blurs the QPS knee by ±${(100 * truth.serviceJitter).toFixed(1)}% per σ)\n`,
);

interface Row {
  probes: number;
  requests: number;
  tokens: number;
  simulated_s: number;
  real_s: number;
  errors: number[];
  stops: string[];
}
const rows = new Map<string, Row>();
for (const mode of modes) {
  const row: Row = { probes: 0, requests: 0, tokens: 0, simulated_s: 0, real_s: 0, errors: [], stops: [] };
  for (const seed of seeds) {
    const started = performance.now();
    // maxOutputTokensPerRequest bounds the pooled TBT values, so a TBT fail can be decided early.
    const search = createCapacitySearch(mode.settings, { maxOutputTokensPerRequest: outputTokens });
    const run = await runSimSearch(search, {
      config,
      promptTokens,
      outputTokens,
      seed,
      abort: mode.settings.mode !== 'etalon',
    });
    row.real_s += (performance.now() - started) / 1000;
    row.probes += run.result.probes.length;
    row.requests += run.sent;
    row.tokens += run.outputTokens;
    row.simulated_s += run.elapsed_s;
    const answer = mode.answer(run.result);
    row.errors.push(answer === null ? Number.POSITIVE_INFINITY : Math.abs(answer / truth.load - 1));
    row.stops.push(run.result.stop_reason);
  }
  rows.set(mode.name, row);
}

const n = seeds.length;
const etalonRequests = rows.get('etalon')?.requests;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const header = [
  'mode',
  'probes',
  'requests',
  'out tokens',
  'sim time',
  'real time',
  'err median',
  'err worst',
  'req vs etalon',
];
const table = [...rows].map(([name, r]) => [
  name,
  (r.probes / n).toFixed(1),
  (r.requests / n).toFixed(0),
  (r.tokens / n).toFixed(0),
  `${(r.simulated_s / n).toFixed(0)} s`,
  `${(r.real_s / n).toFixed(2)} s`,
  pct(median(r.errors)),
  pct(Math.max(...r.errors)),
  etalonRequests === undefined ? 'n/a' : pct(r.requests / etalonRequests),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log('per search, mean over seeds (errors over seeds):');
console.log(line(header));
for (const t of table) console.log(line(t));
console.log('');
for (const [name, r] of rows) console.log(`${name}: stop reasons ${r.stops.join(', ')}`);
