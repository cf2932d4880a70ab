/**
 * Encodes DOM event batches into binary frames with the stream's sequence
 * numbers. When the page allows the compression worker, the events go to it as
 * they are: it packs them (repeated strings as indexes, dom-pack.ts), writes
 * the JSON and deflates it as the next piece of the stream's one context, so a
 * change costs what it adds to the snapshot before it. On a busy page, a change of
 * under DIRECT_BELOW characters of JSON goes as it is, without the worker. Without it (not
 * ready yet, or refused by the page's CSP), the JSON is made here, unpacked,
 * and large payloads are gzipped on their own with the browser's
 * CompressionStream. Frames leave in order although encoding is async.
 */
import { FrameFlag, FrameType, MAX_DOM_FRAME_BYTES, MAX_INFLATED_FRAME_BYTES, encodeFrame, type DomEvent } from '@tandem/protocol';
import type { Compressor } from './compressor.js';

/** Below this, gzip on the main thread costs more time than it saves bytes. */
const GZIP_FROM_BYTES = 16 * 1024;
/**
 * While the page is busy, a change smaller than this (characters of JSON) is sent from here, unpacked and uncompressed.
 * Through the worker, its answer waits until the page's main thread is free again, often behind a frame of the page's
 * own rendering: at 1,000 changes/s on the 1.6 MB bench page that put the agent twice as far behind (lag p50 30
 * against 18 ms, p95 75 against 50 ms), to save a few hundred bytes a frame. Large changes, whose bytes count, and
 * every change on a page whose main thread answers at once (typing on an ordinary page), go into the stream's context.
 */
const DIRECT_BELOW = 1024;
/** The page is busy when a worker's answer took longer than this to reach it (a frame at 60 Hz), and for a second after. */
const BUSY_AFTER_MS = 16;
const BUSY_FOR_MS = 1000;
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
  /** Until when (performance.now()) the page counts as busy: the worker's answers reached it late (BUSY_AFTER_MS). */
  private busyUntil = 0;

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
        // A keyframe restarts the stream (and its deflate context and string table), so a receiver can start from any keyframe.
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
    const asked = performance.now();
    // A keyframe of a small page may go as it is too: it starts the stream, deflate context and string table anew.
    if (this.compressor?.ready && (asked > this.busyUntil || !jsonBelow(events, DIRECT_BELOW))) {
      const fresh = !this.deflating;
      this.deflating = true;
      // The worker packs, writes the JSON and deflates: the page only clones the events to it.
      return this.compressor.encode(this.stream, events, fresh).then((payload) => {
        // Any answer counts, a snapshot's too (its first piece takes the worker itself long): the changes after it waited anyway.
        if (performance.now() - asked > BUSY_AFTER_MS) this.busyUntil = performance.now() + BUSY_FOR_MS;
        return payload && { payload, flag: FrameFlag.Deflate | FrameFlag.Packed };
      });
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

/**
 * Whether `value`'s JSON is shorter than about `limit`: sizes counted as it is walked (strings, and two per item for its
 * comma or key), given up once past the limit, so a large batch costs little to rule out.
 */
export const jsonBelow = (value: unknown, limit: number): boolean => left(value, limit) > 0;

/**
 * `limit` less the size of `value`, counted until it is 0 or less (past it, only the path down to the item that got
 * there is finished). Recursive: as deep as the batch nests, which capture bounds (MAX_TREE_DEPTH).
 */
function left(value: unknown, limit: number): number {
  if (value && typeof value == 'object') {
    // An array as it is: Object.values copied every array on the way down, a snapshot slice's thousands of additions
    // among them (for...in is worse: it lists every index first).
    for (const item of Array.isArray(value) ? value : Object.values(value)) if ((limit = left(item, limit - 2)) <= 0) break;
    return limit;
  }
  // A string's length and quotes; a number, true, false or null as 6.
  return limit - ((value as string | null)?.length ?? 4) - 2;
}

/**
 * Fed through the stream's writer: about 6x faster than through Blob → stream → Response. Read through a Response:
 * as fast as a reader's loop in Chromium (20 KB to 1 MB), in fewer bytes of the bundle.
 */
async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new CompressionStream('gzip');
  const writer = stream.writable.getWriter();
  // Not awaited: the write completes only as the output is read below.
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}
