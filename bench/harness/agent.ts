/**
 * Agent-page side: turns what arrived (snapshot messages as JSON strings, or
 * the page's HTML for the native baseline) into a laid-out document, timed
 * with performance.now(). Bundled once per kind; driven through `window.__agent`.
 */
import { warmRebuild } from '@tandem/mirror/warm';

export interface AgentResult {
  /** From the first byte being in memory to the first animation frame after a forced layout. */
  ms: number;
  /**
   * From the first byte being in memory to the end of the forced layout: the build and layout the target
   * compares. The frame after it is left out there: what it holds depends on when each kind's picture
   * responses land (Tandem's requests leave before its layout and are answered during it; the browser's own
   * parse lays out before its requests leave, and their answers come after the frame).
   */
  laidOutMs: number;
  /** Of which JSON.parse of the messages (0 for the native baseline). */
  parseMs: number;
  /** Elements in the rendered document and the laid-out height of its body: a check that all three render the same page. */
  elements: number;
  height: number;
  /** Stylesheets that had not loaded within the wait (should be 0). */
  sheetsPending: number;
  /** Phases of `ms`: building the document, waiting for linked stylesheets, the forced layout, the next frame. */
  phases: { build: number; sheets: number; layout: number; frame: number };
}

export type Render = (stage: HTMLElement, payload: string[], timing: { parseMs: number }) => Promise<Document>;

const SHEET_WAIT_MS = 5_000;

/** An iframe like the viewer's: sandboxed, same origin, no scripts, the visitor's viewport size. */
export function sandboxedFrame(stage: HTMLElement, width: number, height: number): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.width = String(width);
  frame.height = String(height);
  frame.style.border = '0';
  stage.appendChild(frame);
  return frame;
}

/** Waits (bounded) for every linked stylesheet of `doc`: a page without its CSS has not been "seen" yet. */
async function stylesheets(doc: Document): Promise<number> {
  const links = Array.from(doc.querySelectorAll<HTMLLinkElement>('link[rel~="stylesheet"]')).filter((l) => !l.sheet);
  if (!links.length) return 0;
  let pending = links.length;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, SHEET_WAIT_MS);
    for (const l of links) {
      const done = () => {
        if (--pending === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      l.addEventListener('load', done, { once: true });
      l.addEventListener('error', done, { once: true });
    }
  });
  return pending;
}

/**
 * What the agent's page does before any snapshot comes: the console readies the rebuild when it opens (viewer's
 * prepareViewer, mirror's warm.ts). The bench has every agent page do it (kind `cold` aside), then wait, before the
 * payload is there: a made-up page built in a hidden frame warms the browser's own parser, DOM and style engine as
 * much as Tandem's code, and the pages it is set against (the browser's own parse, rrweb) start as warm.
 */
export function install(render: Render): void {
  (window as unknown as { __agent: unknown }).__agent = {
    prepare: () => warmRebuild(document.body, (run) => setTimeout(run, 0)),
    async run(): Promise<AgentResult> {
      const payload = (window as unknown as { __payload: string[] }).__payload;
      const stage = document.getElementById('stage')!;
      const timing = { parseMs: 0 };
      // Start on a quiet page, between frames.
      await new Promise((r) => requestAnimationFrame(r));
      await new Promise((r) => setTimeout(r, 0));
      const t0 = performance.now();
      const doc = await render(stage, payload, timing);
      const t1 = performance.now();
      const sheetsPending = await stylesheets(doc);
      const t2 = performance.now();
      const height = doc.body ? doc.body.offsetHeight : 0; // forces style and layout
      const t3 = performance.now();
      await new Promise((r) => requestAnimationFrame(r));
      const t4 = performance.now();
      return {
        ms: t4 - t0,
        laidOutMs: t3 - t0,
        parseMs: timing.parseMs,
        elements: doc.getElementsByTagName('*').length,
        height,
        sheetsPending,
        phases: { build: t1 - t0, sheets: t2 - t1, layout: t3 - t2, frame: t4 - t3 },
      };
    },
  };
}
