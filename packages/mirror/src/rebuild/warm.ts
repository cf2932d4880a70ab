/**
 * Readies the rebuild's code for a viewer's first snapshot. A large page is
 * built by tens of thousands of calls of a few functions (the unpacker, the
 * writer, the matcher); the first time they run, the engine runs them slowly
 * until it has compiled them (on the 1.6 MB bench page the writer, matcher
 * and unpacker took about 165-180 ms cold, 125-145 ms after the warm-up). A
 * viewer waits anyway for its first snapshot (the visitor's page has to be
 * captured first), so it builds a made-up page meanwhile, the way a snapshot goes once it is inflated (JSON parsed,
 * unpacked, written, parsed, matched, in slices), in a hidden frame it then
 * removes.
 *
 * The made-up page is generic markup, nothing of any visitor's page: what it
 * warms is code (Tandem's, and the browser's own parser, DOM and style engine
 * in this page's process), not caches of any page's stylesheets or images.
 * Nothing in it loads (no addresses to fetch), and its frame is sandboxed
 * without scripts as the viewer's own.
 */
import { EventType, Packer, Unpacker } from '@tandem/protocol';
import { Rebuilder } from './index.js';
import { madeUpSnapshot } from './made-up-page.js';

export { madeUpSnapshot } from './made-up-page.js';

/** The made-up page's size: about 10,300 nodes (300 KB of JSON), in a keyframe and 7 slices (a few tens of ms each here). */
const CARDS = 240;
const PER_SLICE = 30;

/** Runs a step of the warm-up; the default runs it at once. */
export type Step = (run: () => void) => void;

/**
 * Builds the made-up page in a hidden frame put in `host`, one batch per
 * `step`, then removes the frame; resolves then. `stop` is asked before each
 * batch: true ends the warm-up there (a real snapshot is coming, and the rest
 * would only be in its way). Never throws, never stays pending: a warm-up that
 * fails leaves the code as cold as it was, nothing else.
 */
export function warmRebuild(host: Element, step: Step = (run) => run(), stop: () => boolean = () => false): Promise<void> {
  return new Promise((resolve) => {
    let frame: HTMLIFrameElement | null = null;
    let rebuilder: Rebuilder | null = null;
    const end = () => {
      try {
        // The end of the snapshot closes its parse (and its idle timer) before the frame goes.
        rebuilder?.apply([[EventType.SnapshotEnd]]);
      } catch {
        // nothing to close
      }
      frame?.remove();
      resolve();
    };
    try {
      frame = host.ownerDocument.createElement('iframe');
      frame.setAttribute('sandbox', 'allow-same-origin');
      frame.setAttribute('title', 'Tandem warm-up');
      frame.setAttribute('aria-hidden', 'true');
      frame.tabIndex = -1;
      // Not displayed: nothing is laid out or drawn; the parse and the DOM calls are the same.
      frame.style.display = 'none';
      host.appendChild(frame);
      const batches = madeUpSnapshot(CARDS, PER_SLICE);
      const packer = new Packer();
      const unpacker = new Unpacker();
      rebuilder = new Rebuilder(frame);
      let i = 0;
      const next = () => {
        try {
          if (stop()) return end();
          // As frames arrive: packed, as JSON, parsed and unpacked with the stream's one table.
          rebuilder!.apply(unpacker.unpack(JSON.parse(JSON.stringify(packer.pack(batches[i++]!)))));
          if (i < batches.length) step(next);
          else end();
        } catch {
          end();
        }
      };
      step(next);
    } catch {
      end();
    }
  });
}
