/** The visitor page with Tandem's capture (the code the session bundle runs). */
import { startCapture } from '@tandem/mirror/capture';
import { Packer, type DomEvent } from '@tandem/protocol';
import { install } from './visitor.js';

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
  // Packed as the SDK's compression worker sends them (dom-pack.ts): one string table from the keyframe on.
  // Changes are counted unpacked (their JSON is made as they come).
  encode(messages) {
    const packer = new Packer();
    return messages.map((m) => JSON.stringify(packer.pack(m as DomEvent[])));
  },
});
