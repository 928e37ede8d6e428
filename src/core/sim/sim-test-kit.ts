import { createParser } from 'eventsource-parser';
import { createFakeClock, type FakeClock } from '../testing/fake-clock.ts';
import { parseSimConfig, type SimConfigInput } from './sim-config.ts';
import type { ChunkSentEvent } from './sim-stream-body.ts';
import { createSimulator, type Simulator, type SimulatorOptions } from './simulator.ts';

// Test support for the simulator: a simulator on the fake clock (src/core/testing/fake-clock.ts:
// timings are exact and tests take no wall time), and an SSE reader.

export interface SimHarness {
  sim: Simulator;
  clock: FakeClock;
  sent: ChunkSentEvent[];
}

/** A simulator on a virtual clock; jitter defaults to 0 here so timings are exact. */
export function simHarness(
  config: SimConfigInput = {},
  extra: Partial<Omit<SimulatorOptions, 'config'>> = {},
): SimHarness {
  const clock = createFakeClock();
  const sent: ChunkSentEvent[] = [];
  const sim = createSimulator({
    config: parseSimConfig({ jitter: 0, ...config }),
    nowMs: clock.nowMs,
    sleep: clock.sleep,
    onChunkSent: (e) => sent.push(e),
    ...extra,
  });
  return { sim, clock, sent };
}

export function simRequest(
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal; method?: string } = {},
): Request {
  return new Request(`http://sim.test${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

/** A prompt of exactly `n` one-token words. */
export function words(n: number): string {
  return Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
}

export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'm',
    messages: [{ role: 'user', content: words(10) }],
    max_tokens: 5,
    stream: true,
    ...extra,
  };
}

export interface SseEvent {
  atMs: number;
  data: string;
}

export interface SseResult {
  events: SseEvent[];
  /** Parsed JSON of every event except [DONE]. */
  json: Record<string, unknown>[];
  /** `data: [DONE]` was the last event. */
  doneLast: boolean;
  /** The body stream failed (disconnect). */
  error: unknown;
}

/** Reads a whole SSE body, stamping each event with the read's time. */
export async function readSse(
  response: Response,
  nowMs: () => number,
  options: { stopAfterEvents?: number } = {},
): Promise<SseResult> {
  const events: SseEvent[] = [];
  let atMs = 0;
  const parser = createParser({ onEvent: (e) => events.push({ atMs, data: e.data }) });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let error: unknown;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      atMs = nowMs();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (options.stopAfterEvents !== undefined && events.length >= options.stopAfterEvents) {
        await reader.cancel('test stops reading');
        break;
      }
    }
  } catch (e) {
    error = e;
  }
  const json = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
  return { events, json, doneLast: events.at(-1)?.data === '[DONE]', error };
}

/** Token text of an OpenAI chat or legacy completions chunk. */
export function chunkText(chunk: Record<string, unknown>): string {
  const choice = (chunk.choices as Record<string, unknown>[] | undefined)?.[0];
  if (!choice) return '';
  const delta = choice.delta as { content?: string } | undefined;
  return delta?.content ?? (choice.text as string | undefined) ?? '';
}
