/**
 * rrweb's live replay, the fastest path we found: a live-mode Replayer whose
 * baseline time is now, so every event already received is applied at once
 * (synchronously, in the microtask after addEvent) instead of on the timer.
 */
import { Replayer } from 'rrweb';
import { install } from './agent.js';

install(async (stage, messages, timing) => {
  const p0 = performance.now();
  const events = messages.flatMap((m) => JSON.parse(m) as unknown[]);
  timing.parseMs += performance.now() - p0;
  const replayer = new Replayer([], { root: stage, liveMode: true, mouseTail: false, showWarning: false });
  const rebuilt = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('rrweb replay: no full snapshot rebuilt within 30 s')), 30_000);
    replayer.on('fullsnapshot-rebuilded', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  replayer.startLive();
  for (const e of events) replayer.addEvent(e as Parameters<Replayer['addEvent']>[0]);
  await rebuilt;
  return replayer.iframe.contentDocument!;
});
