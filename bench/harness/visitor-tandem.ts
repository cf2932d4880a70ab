/** The visitor page with Tandem's capture (the code the session bundle runs). */
import { startCapture } from '@tandem/mirror/capture';
import { Packer, type DomEvent } from '@tandem/protocol';
import { scrollCandidates } from '../../packages/mirror/src/capture/scrollers.js';
import { install } from './visitor.js';

/** A worker that only receives: its messages are cloned on this page's main thread as the SDK's compression worker's are. */
const worker = new Worker(URL.createObjectURL(new Blob(['onmessage = () => {};'], { type: 'text/javascript' })));
const RENDERED = { contentVisibilityAuto: true } as CheckVisibilityOptions;
const scrolls: number[] = [];

install({
  name: 'tandem',
  start(snapshotDone, change) {
    const snapshot: unknown[][] = [];
    let complete = false;
    const capture = startCapture(document, {
      emit(events, keyframe) {
        // A large snapshot is sliced: the keyframe and every batch after it until
        // onSnapshotComplete are messages of the snapshot.
        if (!complete && (keyframe || snapshot.length > 0)) snapshot.push(events);
        else change(JSON.stringify(events));
      },
      onSnapshotComplete() {
        if (complete) return;
        complete = true;
        snapshotDone(snapshot);
      },
    });
    return () => capture.stop();
  },
  afterwards(messages) {
    // The SDK posts each message of the snapshot to its compression worker (sdk/session/compressor.ts): the page
    // pays for the structured clone.
    const t0 = performance.now();
    for (const events of messages) worker.postMessage({ stream: 1, events, fresh: false });
    const t1 = performance.now();
    // After the last slice, capture reads the offsets of the elements the CSS makes scroll containers
    // (capture/index.ts: scanScrolls, in slices of its own): the same reads, at once. The bench pages' CSS can tell.
    for (const el of scrollCandidates(document) ?? []) {
      if (el.checkVisibility && !el.checkVisibility(RENDERED)) continue;
      scrolls.push(el.scrollLeft, el.scrollTop);
    }
    const t2 = performance.now();
    scrolls.length = 0;
    return { handOffMs: t1 - t0, scanMs: t2 - t1 };
  },
  // Packed as the SDK's compression worker sends them (dom-pack.ts): one string table from the keyframe on.
  // Changes are counted unpacked (their JSON is made as they come).
  encode(messages) {
    const packer = new Packer();
    return messages.map((m) => JSON.stringify(packer.pack(m as DomEvent[])));
  },
});
