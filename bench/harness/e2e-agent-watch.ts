/**
 * Watches the agent's mirror from outside the viewer, in the agent's page (the
 * mirror iframe is same-origin to it): a MutationObserver on the iframe's
 * document notes when anything was applied, and, while `sampling`, one
 * animation frame after each batch it forces layout and notes the time, the
 * laid-out height of the body and the element count. During the churn it only
 * reads the mirrored tick counter. It also notes when each message reached the
 * page's sockets (a WebSocket subclass, as the visitor harness has), so a lag
 * can be split into the visitor's, the server's and the agent's part. Times are
 * Date.now(), the clock the visitor page uses too (both pages run in one
 * Chromium on one machine). Exposed as `window.__watch`.
 */
import { frameKeyer } from './frame-key.js';

export interface WatchState {
  /** [Date.now() after the forced layout, body height, elements], one per animation frame with changes. */
  samples: [number, number, number][];
  /** [tick value seen, Date.now() of the mutation callback that first showed it]. */
  ticks: [number, number][];
  lastMutation: number;
  mutations: number;
  /** The mirror iframe's document was replaced this many times. */
  documents: number;
  /** [Date.now() when a message reached one of the page's sockets (before the page's own handler), binary, DOM frame's place (frame-key.ts)]. */
  received: [number, boolean, string?][];
}

const state: WatchState = { samples: [], ticks: [], lastMutation: 0, mutations: 0, documents: 0, received: [] };

// Sockets the page opens from here on (the viewer's, after the join): their listener goes first, before the page's own.
// One keyer for all of them, as the visitor harness has one for its page: both count the keyframes they saw, so a
// viewer that reconnects (and gets a new keyframe) still pairs with the visitor's frames.
const frameKey = frameKeyer();
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.addEventListener('message', (e: MessageEvent) => {
      const binary = typeof e.data !== 'string';
      state.received.push([Date.now(), binary, binary ? frameKey(e.data) : undefined]);
    });
  }
};
let doc: Document | null = null;
let sampling = true;
let framePending = false;
let lastTick = 0;

function sample(): void {
  framePending = false;
  if (!doc?.body) return;
  const height = doc.body.scrollHeight; // forces style and layout
  state.samples.push([Date.now(), height, doc.getElementsByTagName('*').length]);
}

function applied(): void {
  const now = Date.now();
  state.lastMutation = now;
  state.mutations++;
  const tick = Number(doc?.getElementById('bench-tick')?.textContent);
  if (tick > lastTick) {
    lastTick = tick;
    state.ticks.push([tick, now]);
  }
  if (sampling && !framePending) {
    framePending = true;
    requestAnimationFrame(sample);
  }
}

const observer = new MutationObserver(applied);

function arm(selector: string): void {
  // The viewer may create its iframe, or the iframe its document, at any time: looked for until the page closes.
  setInterval(() => {
    const next = document.querySelector<HTMLIFrameElement>(selector)?.contentDocument ?? null;
    if (!next || next === doc) return;
    observer.disconnect();
    doc = next;
    state.documents++;
    observer.observe(doc, { childList: true, subtree: true, characterData: true, attributes: true });
    applied();
  }, 20);
}

(window as unknown as { __watch: unknown }).__watch = {
  state,
  arm,
  setSampling(on: boolean) {
    sampling = on;
  },
};
