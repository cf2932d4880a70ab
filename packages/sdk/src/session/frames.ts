/**
 * Encodes DOM event batches into binary frames with the stream's sequence
 * numbers. Large payloads are gzipped with the browser's own CompressionStream
 * (no bytes of bundle); a chain keeps frames in order although compression is async.
 */
import { FrameFlag, FrameType, encodeFrame, limits, type DomEvent } from '@tandem/protocol';

/** Below this, gzip costs more time than it saves bytes. */
const GZIP_FROM_BYTES = 16 * 1024;

export class FrameEncoder {
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly send: (frame: Uint8Array) => void) {}

  push(events: DomEvent[], keyframe: boolean): void {
    this.chain = this.chain.then(async () => {
      // A snapshot is encoded in a task of its own, so the page is not held for
      // capture and encoding in one long task.
      if (keyframe) await new Promise((resolve) => setTimeout(resolve, 0));
      const json = new TextEncoder().encode(JSON.stringify(events));
      let payload: Uint8Array<ArrayBuffer> = json;
      let flags = keyframe ? FrameFlag.Keyframe : 0;
      if (json.length >= GZIP_FROM_BYTES && typeof CompressionStream !== 'undefined') {
        payload = await gzip(json);
        flags |= FrameFlag.Gzip;
      }
      if (payload.length > limits.maxDomFrameBytes) {
        console.warn('Tandem: a change was too large to share', payload.length);
        return;
      }
      // A keyframe restarts the stream, so a receiver can start from any keyframe.
      if (keyframe) this.seq = 0;
      this.send(encodeFrame({ type: FrameType.Dom, flags, seq: this.seq++ }, payload));
    });
  }
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
