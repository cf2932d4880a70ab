/**
 * Tandem's rebuild, as the viewer runs it: each message parsed, unpacked (one string table from the keyframe on) and
 * applied in order. Kind `tandem`: the page prepared first as the console prepares itself (agent.ts); kind `cold`:
 * not, as a viewer that connects at once (the watch page).
 */
import { Unpacker } from '@tandem/protocol';
import { Rebuilder } from '@tandem/mirror/rebuild';
import { install, sandboxedFrame } from './agent.js';

install(async (stage, messages, timing) => {
  const frame = sandboxedFrame(stage, 1280, 800);
  const rebuilder = new Rebuilder(frame);
  const unpacker = new Unpacker();
  for (const m of messages) {
    const p0 = performance.now();
    const events = unpacker.unpack(JSON.parse(m));
    timing.parseMs += performance.now() - p0;
    rebuilder.apply(events);
  }
  return rebuilder.document;
});
