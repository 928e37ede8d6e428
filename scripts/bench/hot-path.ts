// The shard's per-chunk CPU, without the runtime's network machinery.
//
//   npm run bench:hot-path -- [--streams 64] [--tokens 200] [--repeats 5]
//
// `npm run bench:streams` measures CPU per chunk for the whole local stack (workerd's I/O, the
// runtime's `read()`, the coordinator, D1): that is what a run costs, not what fluidbench's own
// code costs. Here, in plain Node and one process, the same streams are fed from in-memory
// ReadableStreams (one OpenAI-style SSE event per read, as vLLM and most providers send) through:
//   bare:       `reader.read()` + a timestamp + a push per read (the floor any client pays);
//   fluidbench: `streamRequest` with the shard's deferred decoding (stamp and queue per read,
//               then SSE parsing, JSON.parse, the adapter's decode, counting, the record).
// Both run in the same process, alternating, `--repeats` times; the figure is fluidbench − bare,
// per chunk, from process.cpuUsage() (user + system), median and spread over the repeats.
import { parseArgs } from 'node:util';
import { percentile } from '../../src/core/metrics/percentile.ts';
import { adapterFor } from '../../src/core/stream/adapters.ts';
import { createDeferQueue } from '../../src/core/stream/defer-task.ts';
import { streamRequest } from '../../src/core/stream/stream-request.ts';
import { parseTarget } from '../../src/core/stream/target-config.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '64' },
    tokens: { type: 'string', default: '200' },
    repeats: { type: 'string', default: '5' },
  },
});
const streams = Number(values.streams);
const tokens = Number(values.tokens);
const repeats = Number(values.repeats);

const encoder = new TextEncoder();
/** The SSE events of one response: a role chunk, `tokens` content chunks, usage, the end marker. */
function events(i: number): Uint8Array[] {
  const base = { id: `chatcmpl-${i}`, object: 'chat.completion.chunk', created: 1, model: 'm' };
  const out = [
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })}\n\n`,
  ];
  for (let t = 0; t < tokens; t++)
    out.push(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: ' tok' }, finish_reason: null }] })}\n\n`,
    );
  out.push(
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'length' }], usage: { prompt_tokens: 8, completion_tokens: tokens, total_tokens: 8 + tokens } })}\n\n`,
    'data: [DONE]\n\n',
  );
  return out.map((e) => encoder.encode(e));
}

/** A body that hands out one event per read, each on a later macrotask (as reads arrive). */
function body(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise((resolve) =>
        setImmediate(() => {
          if (at < parts.length) controller.enqueue(parts[at++]!);
          else controller.close();
          resolve();
        }),
      );
    },
  });
}

const prepared = Array.from({ length: streams }, (_, i) => events(i));
const chunks = streams * prepared[0]!.length;

async function bare(): Promise<number> {
  const stamps: number[] = [];
  await Promise.all(
    prepared.map(async (parts) => {
      const reader = body(parts).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        const at = Date.now();
        if (done) break;
        stamps.push(at, value.length);
      }
    }),
  );
  return stamps.length;
}

const target = parseTarget({ api: 'openai-chat', base_url: 'http://bench.invalid/v1', model: 'm' });
const adapter = adapterFor('openai-chat');
async function fluidbench(): Promise<number> {
  const defer = createDeferQueue(2);
  const results = await Promise.all(
    prepared.map((parts, i) =>
      streamRequest({
        fetch: async () => new Response(body(parts), { headers: { 'content-type': 'text/event-stream' } }),
        nowMs: Date.now,
        adapter,
        target,
        id: `r-${i}`,
        prompt: 'hello',
        promptTokens: 8,
        maxTokens: tokens,
        timeoutMs: 600_000,
        defer,
      }),
    ),
  );
  for (const r of results)
    if (r.record.outcome !== 'ok' || r.record.output_tokens !== tokens)
      throw new Error(`bench stream failed: ${r.record.outcome} ${r.record.error ?? ''}`);
  return results.length;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measure(run: () => Promise<number>): Promise<number> {
  const t0 = cpuUs();
  await run();
  return (cpuUs() - t0) / chunks;
}

const median = (xs: number[]): number => percentile(xs, 0.5) ?? Number.NaN;
const fmt = (x: number): string => x.toFixed(1);

await bare(); // warm-up: JIT both paths before measuring
await fluidbench();
const bareUs: number[] = [];
const fbUs: number[] = [];
for (let r = 0; r < repeats; r++) {
  bareUs.push(await measure(bare));
  fbUs.push(await measure(fluidbench));
}
const extra = fbUs.map((f, i) => f - bareUs[i]!);
console.log(
  `${streams} streams × ${prepared[0]!.length} reads (${chunks} chunks), ${repeats} repeats, Node ${process.version}`,
);
console.table([
  {
    path: 'bare read + stamp',
    us_per_chunk_median: fmt(median(bareUs)),
    min: fmt(Math.min(...bareUs)),
    max: fmt(Math.max(...bareUs)),
  },
  {
    path: 'fluidbench streamRequest',
    us_per_chunk_median: fmt(median(fbUs)),
    min: fmt(Math.min(...fbUs)),
    max: fmt(Math.max(...fbUs)),
  },
  {
    path: 'fluidbench − bare',
    us_per_chunk_median: fmt(median(extra)),
    min: fmt(Math.min(...extra)),
    max: fmt(Math.max(...extra)),
  },
]);
