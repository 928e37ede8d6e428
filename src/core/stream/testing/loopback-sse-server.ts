import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A tiny scripted HTTP server on 127.0.0.1 (port 0) for streaming tests: each request gets a
// response script of writes, pauses and disconnects, so tests control pacing and framing.

export type Step =
  | string
  | Uint8Array
  | { delayMs: number }
  /** Drop the connection abruptly (no chunked terminator). */
  | { destroy: true }
  /** Keep the connection open until the client goes away. */
  | { hang: true };

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long before sending the status line and headers. */
  headerDelayMs?: number;
  steps?: Step[];
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LoopbackServer {
  /** e.g. http://127.0.0.1:54321 */
  origin: string;
  requests: ReceivedRequest[];
  /** Sets the script for subsequent requests. */
  respond(handler: (req: ReceivedRequest) => ScriptedResponse): void;
  close(): Promise<void>;
}

export async function startLoopbackServer(): Promise<LoopbackServer> {
  let handler: (req: ReceivedRequest) => ScriptedResponse = () => ({ status: 404 });
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts).toString('utf8'),
      };
      requests.push(received);
      void play(res, handler(received));
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function play(res: ServerResponse, script: ScriptedResponse): Promise<void> {
  res.on('error', () => {}); // the client may cancel mid-script
  let clientGone = false;
  res.on('close', () => {
    clientGone = true;
  });
  res.socket?.setNoDelay(true); // one write, one TCP segment: keeps the script's pacing visible
  if (script.headerDelayMs) await sleep(script.headerDelayMs);
  if (clientGone) return;
  res.writeHead(script.status ?? 200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...script.headers,
  });
  res.flushHeaders();
  for (const step of script.steps ?? []) {
    if (clientGone) return;
    if (typeof step === 'string' || step instanceof Uint8Array) res.write(step);
    else if ('delayMs' in step) await sleep(step.delayMs);
    else if ('destroy' in step) {
      res.socket?.destroy();
      return;
    } else {
      await new Promise<void>((resolve) => {
        if (clientGone) resolve();
        else res.on('close', () => resolve());
      });
      return;
    }
  }
  if (!clientGone) res.end();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
