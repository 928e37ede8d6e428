import http from 'node:http';
import net from 'node:net';
import type { TestProject } from 'vitest/node';
import { startSimServer } from '../../scripts/sim/sim-server.ts';
import { KNEE_SIM_CONFIG } from './knee-sim.ts';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

const closeServer = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * A loopback webhook receiver for the alert tests (test/worker/alerts.test.ts): it answers its first
 * two POSTs with 503, then accepts with 204, and records every POST (headers and body); `GET /received`
 * returns them, `POST /reset` forgets them and fails the next two again.
 */
function startWebhookReceiver(): http.Server {
  let received: { status: number; headers: http.IncomingHttpHeaders; body: string }[] = [];
  return http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      if (body.length < 100_000) body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/received') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
      } else if (req.method === 'POST' && req.url === '/reset') {
        received = [];
        res.writeHead(204).end();
      } else {
        const status = received.length < 2 ? 503 : 204;
        received.push({ status, headers: req.headers, body });
        res.writeHead(status).end();
      }
    });
  });
}

/**
 * A loopback simulated OpenAI target in Node, for the Durable Objects to stream from; a port that
 * resets every connection once accepted (TCP RST); and a port nothing listens on (refused).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sim = await startSimServer({ port: 0, config: { seed: 7 } });
  project.provide('simPort', sim.port);
  // The capacity-search tests' own simulator, with a knee they can compute (knee-sim.ts).
  const knee = await startSimServer({ port: 0, config: KNEE_SIM_CONFIG, recordChunks: false });
  project.provide('kneeSimPort', knee.port);
  const reset = net.createServer((socket) => socket.resetAndDestroy());
  project.provide('resetPort', await listen(reset));
  const closed = net.createServer();
  project.provide('closedPort', await listen(closed));
  await closeServer(closed);
  const webhook = startWebhookReceiver();
  project.provide('webhookPort', await listen(webhook));
  return async () => {
    await closeServer(webhook);
    await closeServer(reset);
    await sim.close();
    await knee.close();
  };
}
