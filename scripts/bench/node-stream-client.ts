// A plain Node streaming client, the same-run baseline of `npm run bench:streams`: N closed-loop
// streams against one OpenAI chat endpoint for a while, one timestamp per read (sub-ms clock),
// events parsed with JSON.parse as a typical client does. Runs in its own process; prints
// `{ records, cpu_ms }` as JSON on stdout (records shaped like fluidbench's: id, sent_at_ms,
// chunks as [offset ms, tokens]).
//
//   node scripts/bench/node-stream-client.ts --url URL --streams 64 --duration 4 --tokens 50
import { parseArgs } from 'node:util';
import { wallNowMs } from './wall-clock.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    streams: { type: 'string', default: '16' },
    duration: { type: 'string', default: '4' },
    tokens: { type: 'string', default: '50' },
    prefix: { type: 'string', default: 'node' },
  },
});
const url = values.url ?? '';
const now = wallNowMs;
const records: { id: string; sent_at_ms: number; chunks: [number, number][] }[] = [];
const untilMs = now() + Number(values.duration) * 1000;
const body = JSON.stringify({
  model: 't',
  stream: true,
  max_tokens: Number(values.tokens),
  messages: [{ role: 'user', content: 'hello '.repeat(64) }],
});
let seq = 0;

async function one(id: string): Promise<void> {
  const sentAt = now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body,
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const utf8 = new TextDecoder();
  const chunks: [number, number][] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    const at = now() - sentAt;
    if (done) break;
    buffer += utf8.decode(value, { stream: true });
    let tokens = 0;
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = event.startsWith('data: ') ? event.slice(6) : '';
      if (data && data !== '[DONE]') {
        const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
        if (parsed.choices?.[0]?.delta?.content) tokens++;
      }
      cut = buffer.indexOf('\n\n');
    }
    if (tokens > 0) chunks.push([at, tokens]);
  }
  records.push({ id, sent_at_ms: sentAt, chunks });
}

const cpu0 = process.cpuUsage();
await Promise.all(
  Array.from({ length: Number(values.streams) }, async () => {
    while (now() < untilMs) await one(`${values.prefix}-${seq++}`);
  }),
);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ records, cpu_ms: (cpu.user + cpu.system) / 1000 }));
