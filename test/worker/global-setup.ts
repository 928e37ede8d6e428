import type { TestProject } from 'vitest/node';
import { startSimServer } from '../../scripts/sim/sim-server.ts';

/** A loopback simulated OpenAI target in Node, for the Durable Objects to stream from. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sim = await startSimServer({ port: 0, config: { seed: 7 } });
  project.provide('simPort', sim.port);
  return () => sim.close();
}
