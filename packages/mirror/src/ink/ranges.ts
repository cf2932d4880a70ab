/**
 * Text selections between the visitor's page and the mirror: a range travels as
 * the mirror ids of two text nodes and offsets in their text (TextRange), never
 * as text. Both sides know the same text nodes by the same ids; masked text
 * keeps its length in the mirror, so offsets mean the same on both. A boundary
 * the other side cannot know (inside a blocked element, in Tandem's own UI)
 * makes no range at all.
 */
import type { TextRange } from '@tandem/protocol';

/** Where a range may start or end: an id for a node, or undefined for one the other side does not know. */
type IdOf = (node: Node) => number | null | undefined;
type NodeOf = (id: number) => Node | null | undefined;

export function rangeToWire(range: Range, idOf: IdOf): TextRange | null {
  if (range.collapsed) return null;
  const start = textPoint(range.startContainer, range.startOffset, true);
  const end = textPoint(range.endContainer, range.endOffset, false);
  if (!start || !end) return null;
  const startId = idOf(start[0]);
  const endId = idOf(end[0]);
  if (!startId || !endId) return null;
  return { start: startId, so: start[1], end: endId, eo: end[1] };
}

/** The range a TextRange names in this document, or null when a node is gone or is not text. */
export function rangeFromWire(doc: Document, r: TextRange, nodeOf: NodeOf): Range | null {
  const a = nodeOf(r.start);
  const b = nodeOf(r.end);
  if (!isText(a) || !isText(b)) return null;
  let [s, so, e, eo] = [a, Math.min(r.so, a.length), b, Math.min(r.eo, b.length)];
  // Given backwards (a selection made from right to left): the same text, the other way round.
  if (s === e ? eo < so : (s.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_PRECEDING) !== 0) [s, so, e, eo] = [e, eo, s, so];
  const range = doc.createRange();
  range.setStart(s, so);
  range.setEnd(e, eo);
  return range.collapsed ? null : range;
}

const isText = (n: Node | null | undefined): n is Text => !!n && n.nodeType === 3; // a text node

/**
 * A boundary as a point in a text node: a boundary between elements moves to
 * the start of the next text (for a range's start) or the end of the previous
 * one (for its end), which selects the same characters.
 */
function textPoint(node: Node, offset: number, forward: boolean): [Text, number] | null {
  if (isText(node)) return [node, Math.min(offset, node.length)];
  const kids = node.childNodes;
  const next = kids[offset];
  const prev = kids[offset - 1];
  const doc = node.ownerDocument ?? (node as Document);
  const find = (root: Node | undefined, last: boolean): Text | null => {
    if (!root) return null;
    if (isText(root)) return root;
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    if (!last) return walker.nextNode() as Text | null;
    let found: Text | null = null;
    // Bounded: a boundary deep in a huge element stops looking after a while.
    for (let i = 0, t = walker.nextNode(); t && i < 10_000; i++, t = walker.nextNode()) found = t as Text;
    return found;
  };
  if (forward) {
    const t = find(next, false);
    return t ? [t, 0] : null;
  }
  const t = find(prev, true);
  return t ? [t, t.length] : null;
}
