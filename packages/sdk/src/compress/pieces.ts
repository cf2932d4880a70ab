/**
 * What the compression worker does with each request, apart from the worker's
 * messaging so it runs in Node's tests as it is: per stream, a string table
 * (dom-pack.ts) and a deflate context, both new when a request is `fresh`.
 */
import { MAX_INFLATED_FRAME_BYTES, Packer, type DomEvent } from '@tandem/protocol';
import { StreamDeflate } from './stream-deflate.js';

export interface PieceRequest {
  stream: number;
  events: DomEvent[];
  fresh: boolean;
}

interface Stream {
  deflate: StreamDeflate;
  packer: Packer;
}

/** An old socket's last frames may still be in flight when the next one starts: a few streams are kept. */
const MAX_STREAMS = 3;

export class Pieces {
  /** Streams with a context, oldest first; each holds ~200 KB of windows and tables, and its string table. */
  private readonly streams = new Map<number, Stream>();

  /** The next piece of the request's stream, or null when its context is gone or its JSON is too large to send. */
  encode({ stream: id, events, fresh }: PieceRequest): Uint8Array<ArrayBuffer> | null {
    let stream = this.streams.get(id);
    if (fresh) {
      this.streams.delete(id);
      stream = { deflate: new StreamDeflate(), packer: new Packer() };
      this.streams.set(id, stream);
      for (const old of this.streams.keys()) if (this.streams.size > MAX_STREAMS) this.streams.delete(old);
    }
    if (!stream) return null;
    const json = new TextEncoder().encode(JSON.stringify(stream.packer.pack(events)));
    // Receivers refuse to inflate more than this. The piece is left out (the page warns); its table entries are
    // not, but receivers see the gap and wait for the next keyframe, which starts a new table.
    if (json.length > MAX_INFLATED_FRAME_BYTES) return null;
    return stream.deflate.piece(json);
  }
}
