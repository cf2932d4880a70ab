/**
 * Agents' ink on the visitor's page (strokes, the laser, highlights, their text
 * selections, each in the agent's colour) and the visitor's own text selection,
 * sent to the agents as positions only. The ink is drawn in Tandem's shadow
 * root, which capture ignores: agents draw it in their own viewers.
 */
import { InkLayer, rangeFromWire, rangeToWire } from '@tandem/mirror/ink';
import type { Capture } from '@tandem/mirror/capture';
import type { ServerToVisitor, TextRange } from '@tandem/protocol';

/** The visitor's selection is sent at most this often while it changes. */
const SELECTION_EVERY_MS = 150;

type InkMessage = Extract<ServerToVisitor, { t: 'ink' | 'agentSelection' }>;

/** Draws an agent's ink message over the page. */
export function drawInk(layer: InkLayer, msg: InkMessage, capture: Capture | null): void {
  if (msg.t === 'agentSelection') {
    const range = msg.range && capture ? rangeFromWire(document, msg.range, (id) => capture.nodeOf(id)) : null;
    return layer.selection(msg.agentId, msg.color, range ? () => range.getClientRects() : null);
  }
  const a = msg.a;
  if (a.k === 'stroke') layer.stroke(msg.agentId, msg.color, a.id, a.pts, a.end);
  else if (a.k === 'laser') layer.laser(msg.agentId, msg.color, a.x, a.y);
  else layer.clear();
}

/** Sends the visitor's text selection (or null once it goes) while the page is shared; returns the undo. */
export function watchSelection(capture: () => Capture | null, send: (range: TextRange | null) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 'null';
  const flush = () => {
    timer = undefined;
    const c = capture();
    const sel = document.getSelection();
    const range = c && sel && sel.rangeCount > 0 ? rangeToWire(sel.getRangeAt(0), (n) => c.idOf(n)) : null;
    const key = JSON.stringify(range);
    if (key === last) return;
    last = key;
    send(range);
  };
  const onChange = () => {
    timer ??= setTimeout(flush, SELECTION_EVERY_MS);
  };
  document.addEventListener('selectionchange', onChange);
  return () => {
    clearTimeout(timer);
    document.removeEventListener('selectionchange', onChange);
  };
}
