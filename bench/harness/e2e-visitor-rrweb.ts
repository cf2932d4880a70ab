/**
 * The rrweb visitor page of the end-to-end benchmark: rrweb 2.2.2's record, with
 * default options, sending each event as JSON over a plain WebSocket to the
 * bench's relay once the relay says an agent is there (`start`), as Tandem's
 * capture starts on the server's `resync`.
 */
import { record } from 'rrweb';
import { install, noteSend } from './e2e-visitor.js';

const state = install();

(window as unknown as { __e2eConnect(url: string): Promise<void> }).__e2eConnect = (url) =>
  new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onerror = () => reject(new Error(`rrweb visitor: could not open ${url}`));
    ws.onopen = () => resolve();
    ws.onmessage = (e) => {
      if (e.data !== 'start') return;
      state.snapshotAt = Date.now();
      record({
        emit(event) {
          const json = JSON.stringify(event);
          ws.send(json);
          noteSend(state, json);
        },
      });
    };
  });
