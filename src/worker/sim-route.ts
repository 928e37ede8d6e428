import type { Context } from 'hono';
import { abortableSleep } from '../core/run/abortable-sleep.ts';
import { parseSimConfig } from '../core/sim/sim-config.ts';
import { createSimulator, type Simulator } from '../core/sim/simulator.ts';
import { settingsOf } from './env.ts';

/**
 * The built-in simulated target under `/sim/v1/…`, one instance (one capacity queue) per isolate.
 * Its knobs come from the SIM_CONFIG variable; it requires the SIM_API_KEY secret when one is set.
 */
let simulator: Simulator | undefined;

export function simulatorRoute(c: Context<{ Bindings: Env }>): Promise<Response> {
  const knobs = settingsOf(c.env).SIM_CONFIG;
  simulator ??= createSimulator({
    config: parseSimConfig({
      ...(knobs ? (JSON.parse(knobs) as object) : {}),
      ...(c.env.SIM_API_KEY ? { api_key: c.env.SIM_API_KEY } : {}),
    }),
    nowMs: Date.now,
    sleep: abortableSleep,
  });
  return simulator.handle(c.req.raw);
}
