// Timing fidelity, same run: fluidbench beside plain clients on one independent target.
//
//   npm run bench:streams -- [--streams 8,16,64,256] [--duration 4] [--tokens 50] [--gap-ms 20]
//                            [--streams-per-shard 256] [--clients fluidbench,node,python] [--json]
//                            [--poll-ms 250] [--dump DIR]
//
// Starts an independent loopback target in its own process (scripts/bench/timing-target.ts: a
// plain node:http server that streams one token every --gap-ms and logs when it received each
// request and wrote each chunk) and the local stack (wrangler dev: workerd with local D1 and
// Durable Objects). For each stream count it runs, one after the other on the same target:
// fluidbench (a closed-loop run, records exported), a plain Node streaming client in a separate
// process, and a Python asyncio client in a separate process (aiohttp when installed, raw asyncio
// streams otherwise; skipped without python3). Per row: send mark → target receipt p50/p99, chunk
// error (client read time − target write time) p50/p99, and CPU per chunk (fluidbench: every
// workerd process of the stack, from /proc; the clients: their own process). Loopback, same
// host: the error is loopback latency, scheduling and clock resolution (workerd: whole ms).
// The bench leaves the stack alone while a run sends (a status request holds the shared thread for
// ~5 ms locally) and polls its state every --poll-ms after the run's duration.
// --dump DIR writes, per row, every chunk's target write time and client read time (epoch ms) with
// the records' send marks, and the stack's log lines with their receipt times: enough to line the
// large errors up with what the stack did then.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../src/cli/api-client.ts';
import { percentile } from '../../src/core/metrics/percentile.ts';
import { startLocalStack } from '../local-stack.ts';
import type { TargetLogEntry } from './timing-target.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '8,16,64,256' },
    duration: { type: 'string', default: '4' },
    tokens: { type: 'string', default: '50' },
    'gap-ms': { type: 'string', default: '20' },
    /** Default: the run config's own default (32), so 64 streams run on 2 shards and 256 on 8. */
    'streams-per-shard': { type: 'string' },
    clients: { type: 'string', default: 'fluidbench,node,python' },
    json: { type: 'boolean', default: false },
    /**
     * How often the bench asks the stack whether a fluidbench run is done. Locally each request to
     * the API costs the one workerd thread the shards read on ~3–5 ms (wrangler dev's entry path
     * included), which shows in the chunk errors; deployed, the API runs apart from the shards.
     */
    'poll-ms': { type: 'string', default: '250' },
    /** Writes every chunk's error with absolute times (and the stack's log lines) to this directory. */
    dump: { type: 'string' },
  },
});
const streamCounts = values.streams.split(',').map(Number);
const durationS = Number(values.duration);
const outputTokens = Number(values.tokens);
const clients = new Set(values.clients.split(','));
const pollMs = Number(values['poll-ms']);
const HERE = import.meta.dirname;

interface ClientRecord {
  id: string;
  sent_at_ms: number;
  chunks: readonly (readonly [number, number])[];
}

/** utime + stime of the stack's workerd processes (its process group), in ms (Linux /proc; 0 elsewhere). */
function workerdCpuMs(): number {
  let pids: string[] = [];
  if (!stack) return 0;
  try {
    pids = execFileSync('pgrep', ['-g', String(stack.processGroup), 'workerd'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return (ticks / 100) * 1000;
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import asyncio'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs a child to completion; resolves its stdout. */
function runChild(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** One chunk: the target's write time, the client's read time (epoch ms), request id, token index. */
type ChunkTiming = [writeMs: number, readMs: number, id: string, token: number];

function compare(
  records: readonly ClientRecord[],
  log: Record<string, TargetLogEntry>,
  dump?: ChunkTiming[],
) {
  const sendMs: number[] = [];
  const errMs: number[] = [];
  for (const r of records) {
    const t = log[r.id];
    if (!t) continue;
    sendMs.push(t.receivedAtMs - r.sent_at_ms);
    let tokens = 0;
    for (const [offsetMs, n] of r.chunks) {
      if (n <= 0) continue;
      tokens += n;
      const target = t.sentAtMs[Math.min(tokens, t.sentAtMs.length) - 1];
      if (target === undefined) continue;
      errMs.push(r.sent_at_ms + offsetMs - target);
      dump?.push([target, r.sent_at_ms + offsetMs, r.id, tokens]);
    }
  }
  sendMs.sort((a, b) => a - b);
  errMs.sort((a, b) => a - b);
  return {
    requests: sendMs.length,
    chunks: errMs.length,
    send_p50_ms: round(percentile(sendMs, 0.5)),
    send_p99_ms: round(percentile(sendMs, 0.99)),
    err_p50_ms: round(percentile(errMs, 0.5)),
    err_p99_ms: round(percentile(errMs, 0.99)),
    err_max_ms: round(errMs[errMs.length - 1]),
  };
}

function round(x: number | null | undefined): number | null {
  return x === null || x === undefined ? null : Math.round(x * 100) / 100;
}

// The target, in its own process.
const target = spawn(
  process.execPath,
  [path.join(HERE, 'timing-target.ts'), '--first-ms', '20', '--gap-ms', values['gap-ms']],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const targetUrl = await new Promise<string>((resolve, reject) => {
  target.stdout.once('data', (b: Buffer) => resolve(/listening (\S+)/.exec(b.toString())?.[1] ?? ''));
  target.once('exit', () => reject(new Error('the timing target exited')));
});
const takeLog = async (): Promise<Record<string, TargetLogEntry>> =>
  (await (await fetch(`${targetUrl}/log`)).json()) as Record<string, TargetLogEntry>;
const endpoint = `${targetUrl}/v1/chat/completions`;
const python = clients.has('python') && hasPython();

const dumpDir = values.dump;
if (dumpDir) mkdirSync(dumpDir, { recursive: true });
/** The stack's output lines, each with the bench's receipt time (epoch ms). */
const stackLines: string[] = [];
const stack = clients.has('fluidbench')
  ? await startLocalStack({
      port: 0,
      log: dumpDir ? (line) => stackLines.push(`${Date.now()} ${line}`) : () => {},
    })
  : undefined;
const api = stack
  ? new ApiClient({ url: stack.url, token: { token: stack.token, source: 'the local stack' } })
  : undefined;

function perRequest(n: number | undefined, requests: number | undefined): number | null {
  return n === undefined || !requests ? null : Math.round((n / requests) * 1000) / 1000;
}

interface RunOutput {
  records: ClientRecord[];
  cpuMs: number;
  name?: string;
  /** fluidbench only: its own instrument check and cost estimate, from /results. */
  extra?: Record<string, number | null>;
  /** fluidbench with --json: the run's cost section from /results. */
  cost?: unknown;
}

async function runFluidbench(streams: number, seconds: number): Promise<RunOutput> {
  if (!api) throw new Error('no stack');
  const cpu0 = workerdCpuMs();
  const created = await api.createRun({
    name: `bench-streams-${streams}`,
    target: { api: 'openai-chat', base_url: `${targetUrl}/v1`, model: 't' },
    workload: {
      arrivals: { type: 'concurrency', n: streams },
      lengths: { type: 'fixed', prompt_tokens: 64, output_tokens: outputTokens },
      duration_s: seconds,
    },
    regions: [{ location: 'wnam', share: 1 }],
    ...(values['streams-per-shard'] ? { streams_per_shard: Number(values['streams-per-shard']) } : {}),
    timeouts: { request_s: 120, run_s: seconds + 300 },
  });
  // Not a word to the stack while the run sends: locally the API shares the shards' thread, and
  // each status request held it for ~5 ms (deployed, it does not). Then poll until it has ended.
  await new Promise((r) => setTimeout(r, seconds * 1000));
  let state = 'running';
  while (!['done', 'failed', 'cancelled'].includes(state)) {
    await new Promise((r) => setTimeout(r, pollMs));
    state = (await api.getRun(created.id)).state;
  }
  const cpuMs = workerdCpuMs() - cpu0;
  const records: ClientRecord[] = [];
  for await (const page of api.requestPages(created.id, 100_000))
    for (const line of page.lines) records.push(JSON.parse(line) as ClientRecord);
  const results = await api.getResults(created.id);
  const check = results.regions.wnam?.instrument_check;
  return {
    records,
    cpuMs,
    extra: {
      shards: created.shards,
      check_send_p99_ms: round(check?.send_to_headers_ms.p99),
      check_err_p99_ms: round(check?.chunk_error_ms.p99),
      usd_per_m_requests: round(results.cost?.usd_per_million_requests),
      // Rows written per request (the part of the cost the storage design decides).
      do_rows_per_req: perRequest(results.cost?.usage.do_rows_written, results.cost?.usage.requests),
      d1_rows_per_req: perRequest(results.cost?.usage.d1_rows_written, results.cost?.usage.requests),
    },
    ...(values.json && results.cost ? { cost: results.cost } : {}),
  };
}

const rows: Record<string, unknown>[] = [];
try {
  if (api) {
    await runFluidbench(2, 1); // warm-up: the first run compiles the Worker's code paths
    await takeLog();
  }
  for (const streams of streamCounts) {
    const runs: { client: string; go: () => Promise<RunOutput> }[] = [];
    if (api) runs.push({ client: 'fluidbench', go: () => runFluidbench(streams, durationS) });
    if (clients.has('node'))
      runs.push({
        client: 'node',
        go: async () => {
          const out = JSON.parse(
            await runChild(process.execPath, [
              path.join(HERE, 'node-stream-client.ts'),
              '--url',
              endpoint,
              '--streams',
              String(streams),
              '--duration',
              String(durationS),
              '--tokens',
              String(outputTokens),
            ]),
          ) as { records: ClientRecord[]; cpu_ms: number };
          return { records: out.records, cpuMs: out.cpu_ms };
        },
      });
    if (python)
      runs.push({
        client: 'python',
        go: async () => {
          const out = JSON.parse(
            await runChild('python3', [
              path.join(HERE, 'asyncio-stream-client.py'),
              endpoint,
              String(streams),
              String(durationS),
              String(outputTokens),
              'py',
            ]),
          ) as { records: ClientRecord[]; cpu_ms: number; client: string };
          return { records: out.records, cpuMs: out.cpu_ms, name: out.client };
        },
      });
    for (const run of runs) {
      await takeLog();
      const { records, cpuMs, name, extra, cost } = await run.go();
      const chunks: ChunkTiming[] | undefined = dumpDir ? [] : undefined;
      const log = await takeLog();
      const figures = compare(records, log, chunks);
      if (dumpDir && chunks) {
        const file = path.join(dumpDir, `${streams}-${run.client}.json`);
        // Each record with the target's receipt of it (epoch ms), for the send → receipt tail.
        const dumped = records.map(({ chunks: _, ...r }) => ({
          ...r,
          received_at_ms: log[r.id]?.receivedAtMs ?? null,
        }));
        writeFileSync(file, JSON.stringify({ chunks, records: dumped }));
      }
      rows.push({
        streams,
        client: name ? `${run.client} (${name})` : run.client,
        ...figures,
        cpu_us_per_chunk: figures.chunks > 0 ? round((cpuMs * 1000) / figures.chunks) : null,
        ...extra,
        ...(cost !== undefined ? { cost: cost as never } : {}),
      });
      if (!values.json) console.error(JSON.stringify(rows[rows.length - 1]));
    }
  }
} finally {
  if (dumpDir) writeFileSync(path.join(dumpDir, 'stack.log'), stackLines.join('\n'));
  await stack?.stop();
  target.kill('SIGTERM');
}

const machine = `${cpus().length}× ${cpus()[0]?.model}`;
if (values.json) console.log(JSON.stringify({ machine, rows }, null, 2));
else {
  console.log(
    `machine: ${machine}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  console.table(rows);
}
