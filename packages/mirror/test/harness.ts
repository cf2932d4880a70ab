/**
 * Runs in the test page: capture the page's own document and rebuild it into a
 * sandboxed iframe on the same page, passing every batch through JSON as the
 * wire would. Exposes what the tests need on window.tandemTest.
 */
import { startCapture } from '../src/capture/index.js';
import { Rebuilder } from '../src/rebuild/index.js';
import type { DomEvent } from '@tandem/protocol';

const iframe = document.createElement('iframe');
iframe.setAttribute('sandbox', 'allow-same-origin');
iframe.setAttribute('data-tandem-ignore', '');
iframe.style.cssText = 'position:fixed;right:0;bottom:0;width:400px;height:300px';
document.body.appendChild(iframe);

const rebuilder = new Rebuilder(iframe);
let batches = 0;
let bytes = 0;
let snapshots = 0;
/** Every batch as it went on the wire, for tests that look for what must never travel. */
const wire: string[] = [];
const capture = startCapture(document, {
  mask: { selectors: ['.secret'] },
  // A test can ask for tiny slices, so a snapshot is cut many times while the page changes.
  sliceMs: (window as any).__sliceMs,
  onSnapshotComplete: () => snapshots++,
  emit(events: DomEvent[]) {
    const json = JSON.stringify(events);
    wire.push(json);
    bytes += json.length;
    batches++;
    rebuilder.apply(JSON.parse(json) as DomEvent[]);
  },
});

/**
 * Rebuilds a hand-written snapshot (a page whose body holds `body`, ids from 2: html, head, body, then the
 * body's nodes in pre-order), then `later` batches, in a fresh sandboxed frame of its own: what a forged or
 * odd capture could send.
 */
function mirrorBody(body: unknown[], later: unknown[] = []): { doc: Document; remove: () => void } {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.setAttribute('data-tandem-ignore', '');
  document.body.appendChild(frame);
  const r = new Rebuilder(frame);
  const base = 'http://x.test/';
  const root = ['html', 0, ['head', 0], ['body', 0, ...body]];
  r.apply([[0, { url: base, base, title: '', quirks: false, width: 100, height: 100, firstId: 2, root }], ...later] as DomEvent[]);
  return { doc: frame.contentDocument!, remove: () => frame.remove() };
}

(window as any).tandemTest = {
  capture,
  rebuilt: () => iframe.contentDocument!,
  stats: () => ({ batches, bytes, snapshots }),
  wire: () => wire,
  Rebuilder,
  mirrorBody,
};
