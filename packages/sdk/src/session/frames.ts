/**
 * Encodes DOM event batches into binary frames with the stream's sequence
 * numbers. When the page allows the compression worker, the events go to it as
 * they are: it packs them (repeated strings as indexes, dom-pack.ts), writes
 * the JSON and deflates it as the next piece of the stream's one context, so a
 * change costs what it adds to the snapshot before it. Without the worker (not
 * ready yet, or refused by the page's CSP), the JSON is made here, unpacked,
 * and large payloads are gzipped on their own with the browser's
 * CompressionStream. Frames leave in order although encoding is async.
 */
import { FrameFlag, FrameType, MAX_DOM_FRAME_BYTES, MAX_INFLATED_FRAME_BYTES, encodeFrame, type DomEvent } from '@tandem/protocol';
import type { Compressor } from './compressor.js';

/** Below this, gzip on the main thread costs more time than it saves bytes. */
const GZIP_FROM_BYTES = 16 * 1024;
/**
 * How long a keyframe waits for a worker that is still starting (a page that resumes a session asks
 * for it as it connects): the snapshot then goes into the context the changes after it refer to.
 * Under a CSP that refuses the worker, it fails as soon as its script is fetched.
 */
const WAIT_FOR_WORKER_MS = 300;

let streams = 0;

interface Encoded {
  payload: Uint8Array;
  flag: number;
}

export class FrameEncoder {
  private seq = 0;
  /** This socket's context in the worker, apart from an earlier socket's frames still in flight. */
  private readonly stream = ++streams;
  /** A piece went into the worker's context since the last keyframe: the next one continues that context. */
  private deflating = false;
  /** Encoding, in push order. */
  private encoded: Promise<void> = Promise.resolve();
  /** Sending, in the same order, each frame once its compression is done. */
  private sent: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (frame: Uint8Array) => void,
    private readonly compressor: Compressor | null = null,
  ) {}

  push(events: DomEvent[], keyframe: boolean): void {
    this.encoded = this.encoded.then(async () => {
      if (keyframe) {
        await this.compressor?.settled(WAIT_FOR_WORKER_MS);
        // A snapshot is encoded in a task of its own, so the page is not held for
        // capture and encoding in one long task.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      // A keyframe restarts the stream (and its deflate context and string table), so a receiver can start from any keyframe.
      if (keyframe) {
        this.seq = 0;
        this.deflating = false;
      }
      // A frame that is not sent leaves its number out: receivers see a gap and resync, never a wrong page.
      const seq = this.seq++;
      const encoding = this.encode(events).catch(() => null);
      this.sent = this.sent.then(async () => {
        const frame = await encoding;
        if (!frame) return;
        if (frame.payload.length > MAX_DOM_FRAME_BYTES) {
          console.warn('Tandem: a change was too large to share', frame.payload.length);
          return;
        }
        const flags = (keyframe ? FrameFlag.Keyframe : 0) | frame.flag;
        this.send(encodeFrame({ type: FrameType.Dom, flags, seq }, frame.payload));
      });
    });
  }

  private encode(events: DomEvent[]): Promise<Encoded | null> {
    if (this.compressor?.ready) {
      const fresh = !this.deflating;
      this.deflating = true;
      // The worker packs, writes the JSON and deflates: the page only clones the events to it.
      return this.compressor
        .encode(this.stream, events, fresh)
        .then((payload) => payload && { payload, flag: FrameFlag.Deflate | FrameFlag.Packed });
    }
    const json = new TextEncoder().encode(JSON.stringify(events));
    // Receivers refuse to inflate more than this; sending it would only make them resync.
    if (json.length > MAX_INFLATED_FRAME_BYTES) {
      console.warn('Tandem: a change was too large to share', json.length);
      return Promise.resolve(null);
    }
    if (json.length >= GZIP_FROM_BYTES && typeof CompressionStream !== 'undefined') {
      return gzip(json).then((payload) => ({ payload, flag: FrameFlag.Gzip }));
    }
    return Promise.resolve({ payload: json, flag: 0 });
  }
}

/** Fed through the stream's writer: about 6x faster than through Blob → stream → Response. */
async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new CompressionStream('gzip');
  const writer = stream.writable.getWriter();
  // Not awaited: the write completes only as the output is read below.
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const parts: Uint8Array[] = [];
  let length = 0;
  const reader = stream.readable.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    parts.push(r.value);
    length += r.value.length;
  }
  const out = new Uint8Array(length);
  length = 0;
  for (const p of parts) {
    out.set(p, length);
    length += p.length;
  }
  return out;
}
