/**
 * Baseline, first way: the agent's browser parses the page's own HTML (with a
 * <base> to its address) through document.write into a sandboxed iframe.
 */
import { install, sandboxedFrame } from './agent.js';

install(async (stage, [html]) => {
  const frame = sandboxedFrame(stage, 1280, 800);
  const doc = frame.contentDocument!;
  doc.open();
  doc.write(html!);
  doc.close();
  return doc;
});
