/**
 * The visitor page's side of the end-to-end benchmark (bench/e2e/), evaluated in
 * the page once it has loaded. Records, on the browser's wall clock (Date.now(),
 * the one clock the visitor and agent pages share), when the snapshot started,
 * every message the page handed to its socket, the long tasks, and the churn's
 * ticks. Exposed as `window.__e2e`.
 */
import { startChurn, type Churn } from './churn.js';
import { frameKeyer } from './frame-key.js';

export interface Sent {
  /** Date.now() just after the message was handed to the socket. */
  at: number;
  /** Bytes of binary data; UTF-16 units of text. */
  size: number;
  binary: boolean;
  /** A DOM frame's place in the stream (frame-key.ts). */
  frame?: string;
}

export interface E2eVisitorState {
  /** When the snapshot started: the visitor received the request for it (Tandem's `resync`, the relay's `start`). */
  snapshotAt: number;
  sent: Sent[];
  /** Long tasks: [start, duration] on the Date.now() clock. */
  longTasks: [number, number][];
  longTaskSupported: boolean;
  /** Date.now() when tick n (index n - 1) was written into the tick element. */
  ticks: number[];
}

/** What the bench polls while it waits for the snapshot: a few numbers, so the polling itself costs the page next to nothing. */
export interface E2eProgress {
  snapshotAt: number;
  /** Messages of the given kind (binary or text) sent since the snapshot started, and when the last one was. */
  sent: number;
  lastAt: number;
}

export interface E2eVisitor {
  state: E2eVisitorState;
  progress(binary: boolean): E2eProgress;
  elements(): number;
  churnStart(seed: number, intervalMs: number, perTick: number): void;
  churnStop(): { ops: number; seconds: number };
}

/** Cheap on purpose (this runs inside the measured window): a string's length in UTF-16 units; the bench counts exact bytes from Playwright's `framesent`. */
const sizeOf = (data: unknown): number =>
  typeof data === 'string'
    ? data.length
    : data instanceof Blob
      ? data.size
      : ArrayBuffer.isView(data) || data instanceof ArrayBuffer
        ? data.byteLength
        : 0;

/** Installs `window.__e2e`, and a small fixed tick counter the churn writes into (never touched by the churn itself). */
export function install(): E2eVisitorState {
  const state: E2eVisitorState = { snapshotAt: 0, sent: [], longTasks: [], longTaskSupported: false, ticks: [] };
  const toEpoch = Date.now() - performance.now();
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) state.longTasks.push([toEpoch + e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    state.longTaskSupported = true;
  } catch {
    state.longTaskSupported = false;
  }

  const tick = document.createElement('div');
  tick.id = 'bench-tick';
  tick.dataset.benchSkip = '';
  // Out of the flow and tiny: the page around it does not move.
  tick.setAttribute('style', 'position:fixed;left:0;bottom:0;font:10px monospace;background:#fff;z-index:2147483647');
  tick.textContent = '0';
  document.body.appendChild(tick);

  let churn: Churn | null = null;
  const api: E2eVisitor = {
    state,
    progress(binary) {
      let sent = 0;
      let lastAt = 0;
      for (let i = state.sent.length - 1; i >= 0; i--) {
        const m = state.sent[i]!;
        if (m.at < state.snapshotAt) break;
        if (m.binary !== binary) continue;
        sent++;
        lastAt = Math.max(lastAt, m.at);
      }
      return { snapshotAt: state.snapshotAt, sent, lastAt };
    },
    elements: () => document.getElementsByTagName('*').length,
    churnStart(seed, intervalMs, perTick) {
      state.ticks = [];
      const text = tick.firstChild as Text;
      churn = startChurn(seed, intervalMs, perTick, () => {
        text.data = String(state.ticks.length + 1);
        state.ticks.push(Date.now());
      });
    },
    churnStop() {
      const made = churn?.stop() ?? { ops: 0, seconds: 0 };
      churn = null;
      return made;
    },
  };
  (window as unknown as { __e2e: E2eVisitor }).__e2e = api;
  return state;
}

const frameKey = frameKeyer();

/** Notes what a socket sends (after the send call returned). */
export function noteSend(state: E2eVisitorState, data: unknown): void {
  const binary = typeof data !== 'string';
  state.sent.push({ at: Date.now(), size: sizeOf(data), binary, frame: binary ? frameKey(data) : undefined });
}
