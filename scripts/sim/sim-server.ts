import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { abortableSleep } from '../../src/core/run/abortable-sleep.ts';
import { parseSimConfig } from '../../src/core/sim/sim-config.ts';
import { createSimulator, type RequestEndEvent, type SimulatorStats } from '../../src/core/sim/simulator.ts';

// The simulated OpenAI-compatible target served from Node (tests, local runs). Chunks reach the
// socket as they are enqueued: @hono/node-server flushes headers at once and writes each read.

export interface ChunkLogEntry {
  index: number;
  tokens: number;
  sentAtMs: number;
}

export interface SimServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Simulator config (validated with parseSimConfig; throws on bad values). */
  config?: unknown;
  /** One line per request on stderr. */
  log?: boolean;
  /** Keep the per-chunk send log (default true; a long-running server may turn it off). */
  recordChunks?: boolean;
}

export interface SimServer {
  url: string;
  port: number;
  /** Send time of every token-carrying chunk, per x-request-id (generated ids are `sim-<n>`). */
  chunkLog: Map<string, ChunkLogEntry[]>;
  /** How each request ended as the target saw it, per x-request-id (when chunks are recorded). */
  endLog: Map<string, Omit<RequestEndEvent, 'requestId'>>;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

/** Wall clock with sub-millisecond resolution, comparable across the process. */
export const preciseNowMs = (): number => performance.timeOrigin + performance.now();

/**
 * A body that, when the simulator fails its stream (a simulated disconnect), drops the TCP
 * connection instead of letting the adapter log the error and answer 500 or end the chunked body
 * cleanly. Destroying the socket closes the response, which cancels this stream.
 */
function dropConnectionOnError(
  body: ReadableStream<Uint8Array>,
  outgoing: HttpBindings['outgoing'] | Http2Bindings['outgoing'],
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch {
        outgoing.destroy();
        return;
      }
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => {});
    },
  });
}

export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const config = parseSimConfig(options.config ?? {});
  const host = options.host ?? '127.0.0.1';
  const chunkLog = new Map<string, ChunkLogEntry[]>();
  const endLog = new Map<string, Omit<RequestEndEvent, 'requestId'>>();
  const record = options.recordChunks ?? true;
  const simulator = createSimulator({
    config,
    nowMs: preciseNowMs,
    sleep: abortableSleep,
    onChunkSent: record
      ? ({ requestId, ...entry }) => {
          const list = chunkLog.get(requestId);
          if (list) list.push(entry);
          else chunkLog.set(requestId, [entry]);
        }
      : undefined,
    onRequestEnd: record ? ({ requestId, ...end }) => endLog.set(requestId, end) : undefined,
  });

  const server = createAdaptorServer({
    hostname: host,
    // Leave the process's Request/Response alone: importers (tests) share the globals.
    overrideGlobalObjects: false,
    fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
      const response = await simulator.handle(request);
      if (options.log) {
        const id = response.headers.get('x-request-id') ?? '-';
        console.error(`${request.method} ${new URL(request.url).pathname} ${response.status} ${id}`);
      }
      if (!response.body) return response;
      return new Response(dropConnectionOnError(response.body, env.outgoing), {
        status: response.status,
        headers: response.headers,
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    chunkLog,
    endLog,
    stats: () => simulator.stats(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Open streams would keep close() waiting; dropping them aborts their generation.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8790' },
      host: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const config = values.config ? JSON.parse(await readFile(values.config, 'utf8')) : {};
  const server = await startSimServer({
    port: Number(values.port),
    host: values.host,
    config,
    log: !values.quiet,
    recordChunks: false,
  });
  console.log(server.url);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
