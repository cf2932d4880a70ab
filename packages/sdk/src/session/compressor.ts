/**
 * The page's handle on the compression worker (../compress/worker.ts). The
 * worker's script comes from the Tandem server like this bundle; a Worker must
 * be same-origin, so it starts from a blob: URL of the fetched text. Until it
 * says it is ready, and for good once anything fails (a CSP without worker-src
 * or blob:, Trusted Types, a fetch error, an error in the worker), `ready` is
 * false and the encoder compresses on the main thread instead.
 */
import type { DomEvent } from '@tandem/protocol';
import type { PieceRequest } from '../compress/worker.js';

export interface Compressor {
  /** True while pieces can be sent to the worker. */
  readonly ready: boolean;
  /** Resolves once the worker is ready or has failed, or after `ms`, whichever comes first. */
  settled(ms: number): Promise<void>;
  /**
   * `events` packed, as JSON, as the next piece of `stream`'s deflate context (`fresh`: a new context and
   * string table from here); null when the worker failed before answering, the context is gone, or the
   * JSON is too large to send.
   */
  encode(stream: number, events: DomEvent[], fresh: boolean): Promise<Uint8Array | null>;
}

export const COMPRESS_BUNDLE = '/tandem-compress.js';

class WorkerCompressor implements Compressor {
  ready = false;
  private worker: Worker | null = null;
  private failed = false;
  private readonly waiting: Array<(out: Uint8Array | null) => void> = [];
  private readonly started: Promise<void>;

  constructor(server: string) {
    this.started = this.start(server).catch(() => this.fail());
  }

  settled(ms: number): Promise<void> {
    return Promise.race([this.started, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
  }

  encode(stream: number, events: DomEvent[], fresh: boolean): Promise<Uint8Array | null> {
    if (!this.ready || !this.worker) return Promise.resolve(null);
    const request: PieceRequest = { stream, events, fresh };
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      try {
        // Cloned here, at once: later changes to the events do not reach the worker.
        this.worker!.postMessage(request);
      } catch {
        this.fail(); // answers this piece (null) and those in flight; the main thread encodes from now on
      }
    });
  }

  private async start(server: string): Promise<void> {
    const res = await fetch(server + COMPRESS_BUNDLE, { credentials: 'omit' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`); // never shown: start() fails quietly, the main thread encodes
    const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/javascript' }));
    try {
      // Throws at once under a CSP that refuses blob: workers (Chromium); other browsers fire `error` instead.
      const worker = new Worker(url);
      this.worker = worker;
      worker.onmessage = (e: MessageEvent<Uint8Array | null | 'ready'>) => {
        if (e.data === 'ready') this.ready = !this.failed;
        else this.waiting.shift()?.(e.data);
      };
      worker.onerror = worker.onmessageerror = () => this.fail();
      // Started once it says ready, or once it failed (onerror above has run by then).
      await new Promise((resolve) => {
        worker.addEventListener('message', resolve, { once: true });
        worker.addEventListener('error', resolve, { once: true });
      });
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  private fail(): void {
    this.failed = true;
    this.ready = false;
    this.worker?.terminate();
    this.worker = null;
    // Pieces in flight are lost: the encoder leaves their sequence numbers out, and receivers resync.
    for (const resolve of this.waiting.splice(0)) resolve(null);
  }
}

let started: Compressor | null = null;

/** The page's one compression worker, started on first use (a session starting or resuming). */
export function compressor(server: string): Compressor {
  return (started ??= new WorkerCompressor(server));
}
