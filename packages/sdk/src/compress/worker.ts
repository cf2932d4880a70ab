/**
 * The compression worker (dist/tandem-compress.js): encodes a session's DOM
 * frames off the page's main thread — packs the events (dom-pack.ts), makes
 * the JSON and its UTF-8, and deflates it — in one context per stream. The session
 * bundle starts it from a blob: URL of this file's text and falls back to
 * gzip on the main thread when the page's CSP (or anything else) refuses it.
 *
 * Messages in: { stream, events, fresh } (events structured-cloned, which
 * costs the page less than making the JSON); `fresh` starts a new context
 * and string table for the stream (its first piece after a keyframe). The
 * page has one socket at a time, but an old socket's last frames may still be
 * in flight when the next one starts, so each stream keeps its own context.
 * Messages out: 'ready' once, then one transferred Uint8Array per piece (null
 * for a piece whose context is gone or whose JSON passes what a receiver
 * inflates), in the order the pieces came: a worker
 * handles its messages one at a time, in order.
 */
import { Pieces, type PieceRequest } from './pieces.js';

export type { PieceRequest };

interface WorkerScope {
  onmessage: ((e: MessageEvent<PieceRequest>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const pieces = new Pieces();

/** A request of the page came: it warms the code itself, the warm-up stops. */
let requested = false;

scope.onmessage = (e) => {
  requested = true;
  const out = pieces.encode(e.data);
  if (out) scope.postMessage(out, [out.buffer]);
  else scope.postMessage(null);
};
scope.postMessage('ready');

// Warm-up (Pieces.warm) one round per task, after 'ready': a keyframe that comes meanwhile waits for one round at
// most, never for all of them. Warmed before 'ready', a loaded machine made the page give up waiting (300 ms) and
// send the keyframe outside the stream's context.
let rounds = 5;
const warm = () => {
  if (requested || rounds-- <= 0) return;
  pieces.warm();
  setTimeout(warm, 0);
};
setTimeout(warm, 0);
