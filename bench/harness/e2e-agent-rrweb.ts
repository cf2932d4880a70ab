/**
 * rrweb's agent page of the end-to-end benchmark, on the relay's own origin: a
 * live-mode Replayer (rrweb's documented live setup: `startLive()`, then
 * `addEvent` for each event as it arrives) fed from the bench's plain WebSocket
 * relay.
 */
import { Replayer } from 'rrweb';

(window as unknown as { __e2eAgent: unknown }).__e2eAgent = {
  connect(url: string): Promise<void> {
    const replayer = new Replayer([], { root: document.getElementById('stage')!, liveMode: true, mouseTail: false, showWarning: false });
    replayer.startLive();
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onerror = () => reject(new Error(`rrweb agent: could not open ${url}`));
      ws.onopen = () => resolve();
      ws.onmessage = (e) => replayer.addEvent(JSON.parse(e.data as string) as Parameters<Replayer['addEvent']>[0]);
    });
  },
};
