// Where a shard's CPU goes while it streams (issue 13's profile).
//
//   node scripts/bench/profile-streams.ts [--streams 64] [--duration 8] [--tokens 50] [--top 30]
//
// Starts the Node simulator and the local stack with workerd's inspector on a free port, runs one
// closed-loop run and takes a V8 CPU profile of the Worker's isolate (shards, coordinator, API)
// over it through the DevTools protocol. Prints self time grouped by source file and the top
// functions, and the CPU of every workerd thread (from /proc), which shows whether local D1 and
// the Durable Objects share one thread.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../src/cli/api-client.ts';
import { freePort, startLocalStack } from '../local-stack.ts';
import { startSimServer } from '../sim/sim-server.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '64' },
    duration: { type: 'string', default: '8' },
    tokens: { type: 'string', default: '50' },
    top: { type: 'string', default: '30' },
    out: { type: 'string' },
    /** Copy of the bundle workerd ran, to read the profile's line numbers against. */
    'bundle-out': { type: 'string' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Per-thread CPU (utime + stime, ms) of every workerd process, by thread name. */
function workerdThreads(group: number): Map<string, number> {
  const out = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = execFileSync('pgrep', ['-g', String(group), 'workerd'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return out;
  }
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
        out.set(`${pid}/${tid} ${name}`, ((Number(f[11]) + Number(f[12])) / 100) * 1000);
      } catch {}
    }
  }
  return out;
}

async function cdp(url: string) {
  // The inspector proxy wants a local Origin (undici's WebSocket takes headers as a Node extension).
  const ws = new WebSocket(url, { headers: { origin: 'http://localhost' } } as unknown as string[]);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  };
  return {
    send: (method: string, params: object = {}) =>
      new Promise<unknown>((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

const sim = await startSimServer({
  port: 0,
  config: {
    prefill_base_ms: 20,
    prefill_us_per_token: 20,
    decode_ms_per_token: 20,
    jitter: 0,
    capacity: { max_sequences: 100_000, queue_limit: 100_000, batch_slowdown: 0 },
  },
});
const inspectorPort = await freePort();
const stack = await startLocalStack({
  port: 0,
  extraArgs: ['--inspector-port', String(inspectorPort)],
  log: () => {},
});
const client = new ApiClient({ url: stack.url, token: { token: stack.token, source: 'the local stack' } });
try {
  const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const target = list[0]?.webSocketDebuggerUrl;
  if (!target) throw new Error('no inspector target');
  const session = await cdp(target);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 200 });
  const threads0 = workerdThreads(stack.processGroup);
  await session.send('Profiler.start');
  const streams = Number(values.streams);
  const durationS = Number(values.duration);
  const created = await client.createRun({
    name: `profile-${streams}`,
    target: { api: 'openai-chat', base_url: `${sim.url}/v1`, model: 'sim', continuous_usage: true },
    workload: {
      arrivals: { type: 'concurrency', n: streams },
      lengths: { type: 'fixed', prompt_tokens: 64, output_tokens: Number(values.tokens) },
      duration_s: durationS,
    },
    regions: [{ location: 'wnam', share: 1 }],
    streams_per_shard: 64,
    timeouts: { request_s: 300, run_s: durationS + 600 },
  });
  let state = 'running';
  while (!['done', 'failed', 'cancelled'].includes(state)) {
    await new Promise((r) => setTimeout(r, 500));
    state = (await client.getRun(created.id)).state;
  }
  const { profile } = (await session.send('Profiler.stop')) as { profile: Profile };
  const threads1 = workerdThreads(stack.processGroup);
  session.close();
  if (values.out) writeFileSync(values.out, JSON.stringify(profile));
  const bundleOut = values['bundle-out'];
  if (bundleOut)
    for (const dir of readdirSync('.wrangler/tmp'))
      if (dir.startsWith('dev-')) copyFileSync(`.wrangler/tmp/${dir}/index.js`, bundleOut);

  // Self time per node from the samples (each sample's delta belongs to the sampled node).
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFile = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.replace(/^.*\/(src|node_modules)\//, '$1/') : `(${functionName || 'native'})`;
    if (functionName !== '(idle)' && functionName !== '(program)') total += us;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const top = Number(values.top);
  const show = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / (wallMs * 1000)).toFixed(1).padStart(5)}%  ${k}`,
      )
      .join('\n');
  console.log(
    `run ${created.id}: ${state}; profile wall ${wallMs.toFixed(0)} ms, busy (not idle/program) ${(total / 1000).toFixed(0)} ms`,
  );
  console.log(`\nself time by file:\n${show(byFile)}`);
  console.log(`\nself time by function:\n${show(byFn)}`);
  const deltas = [...threads1]
    .map(([k, ms]) => [k, ms - (threads0.get(k) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1]);
  console.log(
    `\nworkerd threads with CPU during the run:\n${deltas.map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${k}`).join('\n')}`,
  );
} finally {
  await stack.stop();
  await sim.close();
}
