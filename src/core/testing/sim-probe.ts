import { interTokenTimesUs } from '../metrics/token-times.ts';
import type { SimConfig } from '../sim/sim-config.ts';
import { createSimulator } from '../sim/simulator.ts';
import { type OpenLoopArrivals, openLoopOffsetsUs } from '../workload/arrivals.ts';
import { createRandom } from '../workload/seeded-random.ts';
import { createFakeClock } from './fake-clock.ts';

// One capacity-search probe run in-process on virtual time: the real simulator (its Request →
// Response handler, capacity model and jitter) on the fake clock, arrivals from the product's
// arrival processes, and per-request inter-token times built by the product's metric code from
// the simulator's own send log (in-process there is no network, so sent = received). A probe of
// thousands of simulated seconds takes a fraction of a real second per thousand requests.

/** Open-loop processes with a rate (not trace). */
type RatedArrivals = Exclude<OpenLoopArrivals, { type: 'trace' }>;

export type SimProbeLoad =
  | { dimension: 'qps'; arrivals: RatedArrivals }
  | { dimension: 'concurrency'; n: number };

export interface SimProbeInput {
  /** The simulator instance config; its `seed` is replaced by `seed`. */
  config: SimConfig;
  load: SimProbeLoad;
  /** Measured requests (after the warm-up ones). */
  requests: number;
  warmupRequests: number;
  promptTokens: number;
  outputTokens: number;
  /** Seeds the arrivals and the simulator: the same seed replays the same probe. */
  seed: number;
  /**
   * Called as each measured request ends, in end order; returning true stops the probe at once
   * (no new requests, in-flight ones cancelled), as the product's early abort does.
   */
  onMeasured?: (r: SimProbeRequest) => boolean;
}

export interface SimProbeRequest {
  /** Send order, 0-based, warm-up included. */
  index: number;
  /** HTTP 200 and the stream ended normally with every token. */
  ok: boolean;
  status: number;
  promptTokens: number;
  /** docs/metrics.md#token-times: ittUs[0] is the TTFT. */
  ittUs: number[];
  sendMs: number;
}

export interface SimProbeResult {
  /** Measured requests that ended, in end order. */
  measured: SimProbeRequest[];
  /** Requests sent, warm-up included (what the probe cost). */
  sent: number;
  /** Output tokens received by every request sent. */
  outputTokens: number;
  /** Virtual time from the first send to the end, milliseconds. */
  elapsedMs: number;
  /** onMeasured asked to stop. */
  stopped: boolean;
  /**
   * The offered QPS, or the loop count: on virtual time every send happens exactly on schedule, so
   * the load offered is the load achieved (refused requests count as errors, not as a lower rate).
   */
  achievedLoad: number;
}

const US_PER_MS = 1000;

export async function runSimProbe(input: SimProbeInput): Promise<SimProbeResult> {
  const clock = createFakeClock({ startMs: 0 });
  const chunks = new Map<string, [number, number][]>();
  const sim = createSimulator({
    config: { ...input.config, seed: input.seed },
    nowMs: clock.nowMs,
    sleep: clock.sleep,
    onChunkSent: (e) => chunks.get(e.requestId)?.push([e.sentAtMs, e.tokens]),
  });
  const prompt = Array.from({ length: input.promptTokens }, (_, i) => `w${i}`).join(' ');
  const body = JSON.stringify({ model: 'sim', prompt, max_tokens: input.outputTokens, stream: true });
  const total = input.warmupRequests + input.requests;
  const stop = new AbortController();
  const measured: SimProbeRequest[] = [];
  let sent = 0;
  let outputTokens = 0;

  async function one(index: number): Promise<void> {
    const id = `r${index}`;
    const log: [number, number][] = [];
    chunks.set(id, log);
    const sendMs = clock.nowMs();
    const request = new Request('http://sim.local/v1/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body,
      signal: stop.signal,
    });
    const response = await sim.handle(request);
    let streamOk = response.status === 200;
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) if ((await reader.read()).done) break;
      } catch {
        streamOk = false;
      }
    }
    chunks.delete(id);
    let tokens = 0;
    for (const c of log) tokens += c[1];
    outputTokens += tokens;
    if (index < input.warmupRequests || stop.signal.aborted) return;
    const r: SimProbeRequest = {
      index,
      ok: streamOk && tokens === input.outputTokens,
      status: response.status,
      promptTokens: input.promptTokens,
      ittUs: interTokenTimesUs(log.map(([atMs, n]) => [atMs - sendMs, n] as const)),
      sendMs,
    };
    measured.push(r);
    if (input.onMeasured?.(r)) stop.abort('probe decided');
  }

  const startMs = clock.nowMs();
  const inFlight: Promise<void>[] = [];
  if (input.load.dimension === 'qps') {
    const offsets = openLoopOffsetsUs(input.load.arrivals, createRandom(input.seed, 0x5eed));
    for (const offsetUs of offsets) {
      if (sent >= total || stop.signal.aborted) break;
      const wait = startMs + offsetUs / US_PER_MS - clock.nowMs();
      if (wait > 0) {
        try {
          await clock.sleep(wait, stop.signal);
        } catch {
          break;
        }
      }
      inFlight.push(one(sent++));
    }
  } else {
    const loop = async () => {
      while (sent < total && !stop.signal.aborted) await one(sent++);
    };
    for (let i = 0; i < input.load.n; i++) inFlight.push(loop());
  }
  await Promise.all(inFlight);
  const elapsedMs = clock.nowMs() - startMs;
  const achievedLoad = input.load.dimension === 'concurrency' ? input.load.n : input.load.arrivals.qps;
  return { measured, sent, outputTokens, elapsedMs, stopped: stop.signal.aborted, achievedLoad };
}
