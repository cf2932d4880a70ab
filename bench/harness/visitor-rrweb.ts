/** The visitor page with rrweb's recorder, default options. */
import { EventType, record } from 'rrweb';
import { install } from './visitor.js';

install({
  name: 'rrweb',
  start(snapshotDone, change) {
    const snapshot: unknown[] = [];
    let complete = false;
    const stop = record({
      emit(event) {
        if (complete) {
          change(JSON.stringify(event));
          return;
        }
        // Meta (type 4) then FullSnapshot (type 2): sent together as one message.
        snapshot.push(event);
        if (event.type === EventType.FullSnapshot) {
          complete = true;
          snapshotDone([snapshot]);
        }
      },
    });
    return () => stop?.();
  },
});
