import type { SimKnobs } from './sim-config.ts';
import type { Fault } from './sim-generation.ts';
import { requestRandom } from './sim-random.ts';

// Per-request fault injection, checked in order: HTTP error, in-stream error, disconnect.

export interface FaultChoice {
  httpStatus: number | null;
  fault: Fault;
  faultAtChunk: number;
}

/** Deterministic per (seed, request index): a fixed number of draws, whatever the rates. */
export function chooseFault(seed: number, index: number, knobs: SimKnobs, chunks: number): FaultChoice {
  const r = requestRandom(seed, index);
  const [uHttp, uStatus, uStream, uDisconnect, uAt] = [r(), r(), r(), r(), r()];
  const { errors } = knobs;
  // Mid-way: after at least one chunk when there is more than one, and never after the last.
  const faultAtChunk = chunks > 1 ? 1 + Math.floor(uAt * (chunks - 1)) : 0;
  if (uHttp < errors.http_rate) {
    const status = errors.http_statuses[Math.floor(uStatus * errors.http_statuses.length)] ?? 500;
    return { httpStatus: status, fault: 'none', faultAtChunk };
  }
  if (uStream < errors.in_stream_rate) return { httpStatus: null, fault: 'in_stream', faultAtChunk };
  if (uDisconnect < errors.disconnect_rate) return { httpStatus: null, fault: 'disconnect', faultAtChunk };
  return { httpStatus: null, fault: 'none', faultAtChunk };
}
