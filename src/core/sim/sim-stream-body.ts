import type { GenerationEnd } from './sim-generation.ts';

// The response body of one simulated stream, shared by every wire protocol the simulator speaks:
// writes that fail quietly once the client is gone, and the ending that matches how the
// generation ended.

export interface SimStreamBody {
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
export function simStreamBody(abort: AbortController): SimStreamBody {
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
