/**
 * The Tandem visitor page of the end-to-end benchmark: the real SDK (loader and
 * session bundle from the server) does everything; this only watches the page's
 * socket to the server from outside the SDK, by subclassing the page's
 * `WebSocket` before the SDK opens one: when `resync` (the server's request for a
 * snapshot, which starts capture) arrives, and every frame handed to `send`.
 */
import { install, noteSend } from './e2e-visitor.js';

const state = install();
const Native = window.WebSocket;

class WatchedSocket extends Native {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    if (!String(url).includes('/ws/visitor')) return;
    // Added before the SDK sets onmessage, so it runs first: the time is taken before capture starts.
    this.addEventListener('message', (e: MessageEvent) => {
      if (typeof e.data === 'string' && e.data.includes('"resync"') && (JSON.parse(e.data) as { t?: string }).t === 'resync')
        state.snapshotAt = Date.now();
    });
  }
  override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    super.send(data);
    if (this.url.includes('/ws/visitor')) noteSend(state, data);
  }
}
window.WebSocket = WatchedSocket;
