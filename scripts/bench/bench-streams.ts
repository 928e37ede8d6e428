// Chunk-timestamp accuracy and throughput of a local run (issue 3's measurement).
//
//   npm run bench:streams -- [--streams 16,64,256] [--duration 20] [--tokens 200] [--decode-ms 20]
//                            [--streams-per-shard 32] [--json]
//
// Starts the Node simulator (which logs its own send time for every chunk) and the local stack
// (wrangler dev: workerd with local D1 and Durable Objects), runs a closed-loop benchmark at each
// stream count, exports the records and compares every client chunk timestamp with the target's
// log. Prints: timestamp error p50/p99 (client − target, same host), ITL error p99, chunks per
// second sustained, and workerd CPU per chunk (from /proc, all workerd processes of the stack:
// shards, coordinator, D1 writes), beside the simulator's own CPU.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../src/cli/api-client.ts';
import { percentile } from '../../src/core/metrics/percentile.ts';
import type { RequestRecord } from '../../src/core/record/request-record.ts';
import { startLocalStack } from '../local-stack.ts';
import { compareChunkTiming } from '../sim/chunk-timing.ts';
import { startSimServer } from '../sim/sim-server.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '16,64,256' },
    duration: { type: 'string', default: '20' },
    tokens: { type: 'string', default: '200' },
    'decode-ms': { type: 'string', default: '20' },
    'streams-per-shard': { type: 'string', default: '32' },
    json: { type: 'boolean', default: false },
  },
});
const streamCounts = values.streams.split(',').map(Number);
const durationS = Number(values.duration);
const outputTokens = Number(values.tokens);
const decodeMs = Number(values['decode-ms']);
const streamsPerShard = Number(values['streams-per-shard']);

/** utime + stime of every workerd process, in ms (Linux /proc; 0 elsewhere). */
function workerdCpuMs(): number {
  let pids: string[] = [];
  try {
    pids = execFileSync('pgrep', ['workerd'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return 0;
  }
  const ticksPerS = 100;
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return (ticks / ticksPerS) * 1000;
}

const sim = await startSimServer({
  port: 0,
  config: {
    prefill_base_ms: 20,
    prefill_us_per_token: 20,
    decode_ms_per_token: decodeMs,
    jitter: 0,
    capacity: { max_sequences: 100_000, queue_limit: 100_000, batch_slowdown: 0 },
  },
});
const stack = await startLocalStack({ port: 0, log: () => {} });
const client = new ApiClient({ url: stack.url, token: { token: stack.token, source: 'the local stack' } });

const rows: Record<string, number | string | null>[] = [];
try {
  for (const streams of streamCounts) {
    sim.chunkLog.clear();
    const config = {
      name: `bench-streams-${streams}`,
      target: {
        api: 'openai-chat',
        base_url: `${sim.url}/v1`,
        model: 'fluidbench-sim',
        continuous_usage: true,
      },
      workload: {
        arrivals: { type: 'concurrency', n: streams },
        lengths: { type: 'fixed', prompt_tokens: 64, output_tokens: outputTokens },
        duration_s: durationS,
      },
      regions: [{ location: 'wnam', share: 1 }],
      streams_per_shard: streamsPerShard,
      timeouts: { request_s: 300, run_s: durationS + 600 },
    };
    const cpu0 = workerdCpuMs();
    const simCpu0 = process.cpuUsage();
    const created = await client.createRun(config);
    let state = 'running';
    while (!['done', 'failed', 'cancelled'].includes(state)) {
      await new Promise((r) => setTimeout(r, 1000));
      state = (await client.getRun(created.id)).state;
    }
    const cpuMs = workerdCpuMs() - cpu0;
    const simCpu = process.cpuUsage(simCpu0);
    const records: RequestRecord[] = [];
    for await (const page of client.requestPages(created.id, 100_000))
      for (const line of page.lines) records.push(JSON.parse(line) as RequestRecord);

    const timing = compareChunkTiming(records, sim.chunkLog);
    const errors = timing.errorsMs;
    const itlErrors = timing.itlErrorsMs;
    const chunks = errors.length;
    errors.sort((a, b) => a - b);
    itlErrors.sort((a, b) => a - b);
    const spanS = (timing.lastMs - timing.firstMs) / 1000;
    rows.push({
      streams,
      shards: created.shards,
      state,
      requests: records.length,
      ok: records.filter((r) => r.outcome === 'ok').length,
      chunks,
      chunks_per_s: Math.round(chunks / spanS),
      err_p50_ms: round(percentile(errors, 0.5)),
      err_p99_ms: round(percentile(errors, 0.99)),
      err_max_ms: round(errors[errors.length - 1] ?? null),
      itl_err_p99_ms: round(percentile(itlErrors, 0.99)),
      workerd_cpu_s: round(cpuMs / 1000),
      // The simulator runs in this process and competes for the same cores.
      sim_cpu_s: round((simCpu.user + simCpu.system) / 1e6),
      cpu_us_per_chunk: chunks > 0 ? round((cpuMs * 1000) / chunks) : null,
    });
    if (!values.json) console.error(JSON.stringify(rows[rows.length - 1]));
  }
} finally {
  await stack.stop();
  await sim.close();
}

function round(x: number | null | undefined): number | null {
  return x === null || x === undefined ? null : Math.round(x * 100) / 100;
}

if (values.json)
  console.log(JSON.stringify({ machine: `${cpus().length}× ${cpus()[0]?.model}`, rows }, null, 2));
else console.table(rows);
