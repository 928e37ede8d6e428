// An independent loopback target for timing benchmarks: a plain node:http server in its own
// process that streams OpenAI chat chunks on a fixed schedule and logs, per x-request-id, when it
// received the request (its headers) and when it wrote every chunk (sub-ms wall clock).
//
//   node scripts/bench/timing-target.ts [--port 0] [--first-ms 20] [--gap-ms 20]
//
// Prints `listening <url>` on stdout. `GET /log` answers the log so far as JSON and clears it.
// Every chunk carries one token; the request's `max_tokens` sets how many.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { wallNowMs } from './wall-clock.ts';

export interface TargetLogEntry {
  /** Wall ms when the request's headers arrived. */
  receivedAtMs: number;
  /** Wall ms when each token chunk was written (one token each). */
  sentAtMs: number[];
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'first-ms': { type: 'string', default: '20' },
    'gap-ms': { type: 'string', default: '20' },
  },
});
const firstMs = Number(values['first-ms']);
const gapMs = Number(values['gap-ms']);
const now = wallNowMs;
let log: Record<string, TargetLogEntry> = {};
let anon = 0;

const server = createServer((req, res) => {
  const receivedAtMs = now();
  if (req.method === 'GET' && req.url === '/log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(log));
    log = {};
    return;
  }
  const id = String(req.headers['x-request-id'] ?? `anon-${anon++}`);
  const entry: TargetLogEntry = { receivedAtMs, sentAtMs: [] };
  log[id] = entry;
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.on('end', () => {
    let tokens = 16;
    try {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
        max_tokens?: number;
        max_completion_tokens?: number;
      };
      tokens = Math.max(1, Math.min(100_000, body.max_completion_tokens ?? body.max_tokens ?? 16));
    } catch {}
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const start = now();
    const head = `{"id":"${id}","object":"chat.completion.chunk","created":0,"model":"t","choices":[{"index":0,"delta":{"content":"`;
    let k = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    // Each chunk on an absolute schedule (start + first + k·gap), so timer lateness never accumulates.
    const tick = (): void => {
      if (closed) return;
      res.write(`data: ${head}t${k}"},"finish_reason":null}]}\n\n`);
      entry.sentAtMs.push(now());
      k++;
      if (k >= tokens) {
        res.write(
          `data: {"id":"${id}","object":"chat.completion.chunk","created":0,"model":"t","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":${tokens},"total_tokens":${tokens + 1}}}\n\ndata: [DONE]\n\n`,
        );
        res.end();
        return;
      }
      setTimeout(tick, Math.max(0, start + firstMs + k * gapMs - now()));
    };
    setTimeout(tick, firstMs);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
