import { crc32 } from '@aws-crypto/crc32';
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

// Splits AWS's binary event stream (`application/vnd.amazon.eventstream`) into frames as bytes
// arrive, whatever the read boundaries. A frame is: total length (4 bytes, big-endian), headers
// length (4), CRC32 of those 8 bytes, the headers, the payload, then the CRC32 of everything
// before it. The maintained codec checks both CRCs and parses the headers; this file only finds
// frame boundaries, and checks the prelude CRC as soon as its 12 bytes are in, so a corrupt
// length never makes it wait for gigabytes that will not come.

const PRELUDE_BYTES = 12;
/** Prelude plus the trailing message CRC: the smallest possible frame. */
const MIN_FRAME_BYTES = 16;

export type FrameMessage = Message;

export interface EventFrameSplitter {
  /** Feeds one read; calls `onFrame` for every frame it completed. Returns an error text once the stream is corrupt. */
  push(bytes: Uint8Array, onFrame: (message: FrameMessage) => void): string | undefined;
  /** At EOF: an error text when part of a frame is left over. */
  end(): string | undefined;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** A splitter for one stream; frames above `maxFrameBytes` are an error. */
export function createEventFrameSplitter(maxFrameBytes: number): EventFrameSplitter {
  let buf = new Uint8Array(0);
  let start = 0;
  let end = 0;
  let failed: string | undefined;

  const append = (bytes: Uint8Array): void => {
    if (end + bytes.length > buf.length) {
      const live = end - start;
      if (live + bytes.length <= buf.length) buf.copyWithin(0, start, end);
      else {
        const next = new Uint8Array(Math.max(live + bytes.length, buf.length * 2, 1024));
        next.set(buf.subarray(start, end));
        buf = next;
      }
      start = 0;
      end = live;
    }
    buf.set(bytes, end);
    end += bytes.length;
  };

  return {
    push(bytes, onFrame) {
      if (failed) return failed;
      append(bytes);
      while (end - start >= PRELUDE_BYTES) {
        const view = new DataView(buf.buffer, buf.byteOffset + start, PRELUDE_BYTES);
        const total = view.getUint32(0);
        const headers = view.getUint32(4);
        if (crc32(buf.subarray(start, start + 8)) !== view.getUint32(8)) {
          failed = 'event-stream frame with a bad prelude CRC';
          return failed;
        }
        if (total < MIN_FRAME_BYTES || headers > total - MIN_FRAME_BYTES) {
          failed = `event-stream frame with impossible lengths (total ${total}, headers ${headers})`;
          return failed;
        }
        if (total > maxFrameBytes) {
          failed = `event-stream frame of ${total} bytes, above ${maxFrameBytes}`;
          return failed;
        }
        if (end - start < total) break;
        let message: FrameMessage;
        try {
          message = codec.decode(buf.subarray(start, start + total));
        } catch (err) {
          failed = `bad event-stream frame: ${err instanceof Error ? err.message : String(err)}`;
          return failed;
        }
        start += total;
        onFrame(message);
      }
      if (start === end) start = end = 0;
      return undefined;
    },
    end() {
      if (failed) return failed;
      const left = end - start;
      if (left === 0) return undefined;
      const total = left >= 4 ? new DataView(buf.buffer, buf.byteOffset + start, 4).getUint32(0) : undefined;
      return `stream ended inside an event-stream frame (${left} of ${total ?? '?'} bytes)`;
    },
  };
}

/** The string value of a frame header, or undefined. */
export function stringHeader(message: FrameMessage, name: string): string | undefined {
  const h = message.headers[name];
  return h !== undefined && h.type === 'string' ? h.value : undefined;
}
