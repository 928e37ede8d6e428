import type { ChunkSink, GenerationEnd } from './sim-generation.ts';
import { reasoningInChunk, type SimStreamWriter } from './sim-stream-writer.ts';

// The response body of one simulated stream, shared by every wire protocol the simulator speaks:
// the protocol's writer (sim-stream-writer.ts) gives the bytes of each step, writes fail quietly
// once the client is gone, and the ending matches how the generation ended.

export interface ChunkSentEvent {
  requestId: string;
  index: number;
  tokens: number;
  sentAtMs: number;
}

export interface SimStream {
  requestId: string;
  /** Aborted when the client goes away; the body's cancellation aborts it too. */
  abort: AbortController;
  /** The first `reasoningTokens` output tokens are reasoning. */
  reasoningTokens: number;
  nowMs: () => number;
  /** Runs the generation timeline, calling the sink as each chunk is due. */
  generate(sink: ChunkSink): Promise<GenerationEnd>;
  /** Called right after each token-carrying chunk is enqueued. */
  onChunkSent?: ((e: ChunkSentEvent) => void) | undefined;
  /** How the generation ended, before the body's last bytes. */
  onEnd(end: GenerationEnd): void;
}

/** The 200 streaming response: `writer`'s start, one part per chunk, then its end or its error. */
export function simStreamResponse(writer: SimStreamWriter, s: SimStream): Response {
  const stream = simStreamBody(s.abort);
  const send = (bytes: Uint8Array): boolean => bytes.length > 0 && stream.enqueue(bytes);
  send(writer.start());
  const generation = s.generate((index, tokens, cumulative, isLast) => {
    const reasoning = reasoningInChunk(tokens, cumulative, s.reasoningTokens);
    if (send(writer.chunk(reasoning, tokens - reasoning, cumulative, isLast)))
      s.onChunkSent?.({ requestId: s.requestId, index, tokens, sentAtMs: s.nowMs() });
  });
  stream.settle(generation, { done: () => send(writer.end()), fault: () => send(writer.error()) }, s.onEnd);
  return new Response(stream.body, {
    status: 200,
    headers: {
      'content-type': writer.contentType,
      'cache-control': 'no-cache',
      'x-request-id': s.requestId,
    },
  });
}

interface SimStreamBody {
  readonly body: ReadableStream<Uint8Array>;
  /** Writes bytes; false once the generation was aborted or the client cancelled the body. */
  enqueue(bytes: Uint8Array): boolean;
  /**
   * Ends the body when `generation` settles: the protocol's closing part after a full generation,
   * its in-stream error after an injected fault, a dropped connection for `disconnect`; `onEnd`
   * runs first. A rejected generation is a bug, not a simulated fault: it fails the body rather
   * than leave the client hanging.
   */
  settle(
    generation: Promise<GenerationEnd>,
    closing: { done: () => void; fault: () => void },
    onEnd: (end: GenerationEnd) => void,
  ): void;
}

/** A body whose cancellation aborts the generation behind it. */
function simStreamBody(abort: AbortController): SimStreamBody {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel(reason) {
      abort.abort(reason);
    },
  });
  return {
    body,
    enqueue(bytes) {
      // After a cancel the controller rejects writes: the generation stops at its next step anyway.
      if (abort.signal.aborted) return false;
      try {
        controller.enqueue(bytes);
        return true;
      } catch {
        return false;
      }
    },
    settle(generation, closing, onEnd) {
      generation
        .then((end) => {
          onEnd(end);
          if (end === 'done') closing.done();
          else if (end === 'in_stream') closing.fault();
          else if (end === 'disconnect') {
            controller.error(new Error('simulated disconnect'));
            return;
          }
          try {
            controller.close();
          } catch {
            // Already closed by the client's cancel.
          }
        })
        .catch((e: unknown) => {
          try {
            controller.error(e);
          } catch {}
        });
    },
  };
}
