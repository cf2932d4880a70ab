/**
 * Baseline, second way: the agent's browser navigates a sandboxed iframe to the
 * page's HTML through `srcdoc` (the network-style parser), until its load event.
 */
import { install } from './agent.js';

install(async (stage, [html]) => {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.width = '1280';
  frame.height = '800';
  frame.style.border = '0';
  const loaded = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('srcdoc baseline: no load event within 30 s')), 30_000);
    frame.addEventListener(
      'load',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
  frame.srcdoc = html!;
  stage.appendChild(frame);
  await loaded;
  return frame.contentDocument!;
});
