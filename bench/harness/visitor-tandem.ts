/** The visitor page with Tandem's capture (the code the session bundle runs). */
import { startCapture } from '@tandem/mirror/capture';
import { install } from './visitor.js';

install({
  name: 'tandem',
  start(snapshotDone, change) {
    const snapshot: unknown[][] = [];
    let complete = false;
    const capture = startCapture(document, {
      emit(events, keyframe) {
        // Every keyframe batch until onSnapshotComplete is one message of the snapshot.
        if (!complete && keyframe) snapshot.push(events);
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
});
