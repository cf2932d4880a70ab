/**
 * The compression worker (dist/tandem-compress.js): deflates a session's DOM
 * frames off the page's main thread, in one context per stream. The session
 * bundle starts it from a blob: URL of this file's text and falls back to
 * gzip on the main thread when the page's CSP (or anything else) refuses it.
 *
 * Messages in: { stream, bytes, fresh } with `bytes` transferred; `fresh`
 * starts a new context for the stream (its first piece after a keyframe). The
 * page has one socket at a time, but an old socket's last frames may still be
 * in flight when the next one starts, so each stream keeps its own context.
 * Messages out: 'ready' once, then one transferred Uint8Array per piece (null
 * for a piece whose context is gone), in the order the pieces came: a worker
 * handles its messages one at a time, in order.
 */
import { StreamDeflate } from './stream-deflate.js';

export interface PieceRequest {
  stream: number;
  bytes: Uint8Array<ArrayBuffer>;
  fresh: boolean;
}

interface WorkerScope {
  onmessage: ((e: MessageEvent<PieceRequest>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
/** Streams with a context, oldest first; each holds ~200 KB of windows and tables. */
const streams = new Map<number, StreamDeflate>();
const MAX_STREAMS = 3;

scope.onmessage = (e) => {
  const { stream: id, bytes, fresh } = e.data;
  let stream = streams.get(id);
  if (fresh) {
    streams.delete(id);
    stream = new StreamDeflate();
    streams.set(id, stream);
    for (const old of streams.keys()) if (streams.size > MAX_STREAMS) streams.delete(old);
  }
  if (!stream) return scope.postMessage(null);
  const out = stream.piece(bytes);
  scope.postMessage(out, [out.buffer]);
};
scope.postMessage('ready');
