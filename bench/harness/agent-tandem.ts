/** Tandem's rebuild, as the viewer runs it: each message parsed and applied in order. */
import type { DomEvent } from '@tandem/protocol';
import { Rebuilder } from '@tandem/mirror/rebuild';
import { install, sandboxedFrame } from './agent.js';

install(async (stage, messages, timing) => {
  const frame = sandboxedFrame(stage, 1280, 800);
  const rebuilder = new Rebuilder(frame);
  for (const m of messages) {
    const p0 = performance.now();
    const events = JSON.parse(m) as DomEvent[];
    timing.parseMs += performance.now() - p0;
    rebuilder.apply(events);
  }
  return rebuilder.document;
});
