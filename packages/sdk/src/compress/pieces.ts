/**
 * What the compression worker does with each request, apart from the worker's
 * messaging so it runs in Node's tests as it is: per stream, a string table
 * (dom-pack.ts) and a deflate context, both new when a request is `fresh`.
 */
import { EventType, MAX_INFLATED_FRAME_BYTES, Packer, type DomEvent, type SerializedElement } from '@tandem/protocol';
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
/** The stream `warm()` uses: the page numbers its streams from 1. */
const WARM_STREAM = 0;

export class Pieces {
  /** Streams with a context, oldest first; each holds ~200 KB of windows and tables, and its string table. */
  private readonly streams = new Map<number, Stream>();

  /**
   * Runs the packer, the JSON and deflate over a made-up page, in a stream of its own that is then dropped. The
   * worker calls it a few times once it has said it is ready, one call per task: cold (code compiled on first use, deflate's
   * tables made), the first slice of a snapshot, which is what the agent sees first, left the page about 55 ms later
   * (bench:mirror, end to end: 140 ms after the request, 85 warm); in Node a 40 KB piece takes 19 ms cold, 7 warm.
   */
  warm(): void {
    const card = (i: number): SerializedElement => [
      'div',
      { class: `card c${i % 7}`, 'data-id': `${i}` },
      ['a', { href: `/h/${i}` }, `Hotel ${i}`],
      ['p', 0, `${i * 7} reviews, from ${i * 3} a night`],
    ];
    const root: SerializedElement = ['html', 0, ['head', 0], ['body', { class: 'page' }, ...Array.from({ length: 300 }, (_, i) => card(i))]];
    const snapshot = { url: '', base: '', title: '', quirks: false, width: 1, height: 1, firstId: 2, root };
    this.encode({ stream: WARM_STREAM, events: [[EventType.Snapshot, snapshot]], fresh: true });
    this.streams.delete(WARM_STREAM);
  }

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
