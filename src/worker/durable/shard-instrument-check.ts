import {
  CALIBRATION_SIM,
  type InstrumentSample,
  instrumentSample,
} from '../../core/shard/instrument-check.ts';
import { adapterFor } from '../../core/stream/adapters.ts';
import { createDeferQueue } from '../../core/stream/defer-task.ts';
import { streamRequest } from '../../core/stream/stream-request.ts';
import { parseTarget } from '../../core/stream/target-config.ts';
import type { ShardAssignment } from './run-protocol.ts';

/**
 * The instrument check (docs/metrics.md#instrument-check): a few requests, at once, to the
 * Worker's own simulator through `loopback` (no network), which writes its send time into every
 * token; done before the schedule's origin, once per shard. Null when the run turned it off. Any
 * failure is a failed calibration request in the sample, never a failed slice.
 */
export async function runInstrumentCheck(
  a: ShardAssignment,
  loopback: typeof fetch,
  simApiKey: string | undefined,
): Promise<InstrumentSample | null> {
  const check = a.config.instrument_check;
  if (!check || check.requests === 0) return null;
  const target = parseTarget({
    api: 'openai-chat',
    base_url: 'http://fluidbench.internal/sim/v1',
    model: 'fluidbench-sim',
    extra_body: { sim: CALIBRATION_SIM },
  });
  const signal = AbortSignal.timeout(Math.max(250, a.startAtMs - 100 - Date.now()));
  const adapter = adapterFor('openai-chat');
  const defer = createDeferQueue();
  const results = await Promise.all(
    Array.from({ length: check.requests }, (_, i) =>
      streamRequest({
        fetch: loopback,
        nowMs: Date.now,
        adapter,
        target,
        ...(simApiKey ? { apiKey: simApiKey } : {}),
        id: `${a.runId}-check-${a.index}-${i}`,
        prompt: ' check',
        promptTokens: 1,
        maxTokens: check.output_tokens,
        timeoutMs: 5_000,
        signal,
        collectText: true,
        defer,
      }),
    ),
  );
  return instrumentSample(results);
}
