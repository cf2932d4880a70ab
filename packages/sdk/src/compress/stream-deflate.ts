/**
 * One raw-deflate context for a stream of pieces: each piece ends in a sync
 * flush, so the receiver can inflate it whole, and it refers back to what the
 * pieces before it carried (the last 32 KB), so a small change after a snapshot
 * costs a few bytes. Runs in the compression worker (worker.ts).
 */
import { Deflate } from 'fflate';
import { concatBytes } from '@tandem/protocol';

/** fflate's Deflate keeps its bit position in `s.r`: the low 3 bits, and the unfinished last byte above them. */
interface DeflateState {
  s: { r?: number };
}

export class StreamDeflate {
  private deflate: Deflate;
  private out: Uint8Array[] = [];

  constructor(private readonly level: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6) {
    this.deflate = this.fresh();
  }

  /** Starts a new context: nothing before this point is referred to again. */
  reset(): void {
    this.deflate = this.fresh();
  }

  /** Deflates `bytes` as the next piece of the stream, ending in a sync flush (00 00 FF FF). */
  piece(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
    this.out = [];
    this.deflate.push(bytes);
    this.deflate.flush();
    this.out.push(syncFlushMarker(this.deflate as unknown as DeflateState));
    return concatBytes(this.out);
  }

  private fresh(): Deflate {
    return new Deflate({ level: this.level }, (chunk) => this.out.push(chunk));
  }
}

/**
 * The empty stored block of a sync flush, written here because fflate 0.8.3's own `flush(true)` passes
 * its packed state as a bit position and writes a broken block whenever the last byte is unfinished
 * (1 piece in ~20 on real batches; zlib then fails with "invalid stored block lengths"). The block is
 * 3 zero header bits after the unfinished byte's bits, padding to the byte, then LEN 0000 and NLEN FFFF.
 */
function syncFlushMarker(deflate: DeflateState): Uint8Array {
  const packed = deflate.s.r ?? 0;
  const bits = packed & 7;
  const lastByte = packed >> 3;
  deflate.s.r = 0;
  // The header's 3 bits fit in the unfinished byte (which is 0 when no bits are pending), or spill into one more.
  return bits <= 5 ? Uint8Array.of(lastByte, 0, 0, 0xff, 0xff) : Uint8Array.of(lastByte, 0, 0, 0, 0xff, 0xff);
}
