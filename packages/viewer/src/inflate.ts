/**
 * The receiving end of a stream's deflate context (FrameFlag.Deflate), and
 * gunzip for frames gzipped on their own, both bounded: a frame that would
 * inflate past limits.maxInflatedFrameBytes throws before it takes the memory,
 * so a small hostile frame cannot exhaust the agent's browser.
 */
import { Inflate } from 'fflate';
import { concatBytes, limits } from '@tandem/protocol';

/** Compressed bytes handed to the inflater at a time: deflate expands at most ~1032x, so ~4 MB of output past the bound at worst. */
const STEP = 4096;
const SYNC_FLUSH = [0, 0, 0xff, 0xff];

export class InflateError extends Error {}

export class StreamInflate {
  private readonly inflate: Inflate;
  private parts: Uint8Array[] = [];
  private length = 0;

  constructor(private readonly maxBytes = limits.maxInflatedFrameBytes) {
    this.inflate = new Inflate((chunk) => {
      this.length += chunk.length;
      if (this.length > this.maxBytes) throw new InflateError('a frame inflates past the limit');
      this.parts.push(chunk);
    });
  }

  /**
   * Inflates the next piece. A piece that does not end in a sync flush is truncated or not ours; after
   * any throw this context is unusable (the caller drops it and resyncs).
   */
  piece(bytes: Uint8Array): Uint8Array {
    if (bytes.length < 4 || SYNC_FLUSH.some((b, i) => bytes[bytes.length - 4 + i] !== b)) {
      throw new InflateError('a deflate piece must end in a sync flush');
    }
    this.parts = [];
    this.length = 0;
    for (let at = 0; at < bytes.length; at += STEP) this.inflate.push(bytes.subarray(at, at + STEP));
    return joined(this.parts);
  }
}

/** Gunzips one frame, reading the output as it comes and stopping past the bound. */
export async function gunzip(bytes: Uint8Array, maxBytes = limits.maxInflatedFrameBytes): Promise<Uint8Array> {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  // Not awaited: the write completes only as the output is read below.
  writer.write(bytes.slice()).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    length += r.value.length;
    if (length > maxBytes) {
      void reader.cancel().catch(() => {});
      throw new InflateError('a frame inflates past the limit');
    }
    parts.push(r.value);
  }
  return joined(parts);
}

/** One part is returned as it is: no copy for the common case of a small frame. */
const joined = (parts: readonly Uint8Array[]): Uint8Array => (parts.length === 1 ? parts[0]! : concatBytes(parts));
