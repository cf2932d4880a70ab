/**
 * From a mirror id back to the page's node, for agent actions. Ids live on
 * the nodes (see NodeIds), so this walks the page (light trees, open shadow
 * roots, same-origin frames): actions come at human pace, and the snapshot
 * stays free of the cost of a second, reverse map.
 */
import { DOCUMENT_ID, isFrameTag } from '@tandem/protocol';
import type { NodeIds } from './serialize.js';

export function findNode(doc: Document, ids: NodeIds, id: number): Node | null {
  if (id === DOCUMENT_ID) return doc;
  const stack: Node[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (ids.get(node) === id) return node;
    if (node.nodeType === 1) {
      // an element
      const el = node as Element;
      if (el.shadowRoot) stack.push(el.shadowRoot);
      if (isFrameTag(el.localName)) {
        const inner = frameDocument(el as HTMLIFrameElement);
        if (inner) stack.push(inner);
      }
    }
    for (let c = node.lastChild; c; c = c.previousSibling) stack.push(c);
  }
  return null;
}

/** An iframe's (or frame's) document; null for a cross-origin one or none (some browsers throw for a cross-origin one). */
export function frameDocument(frame: HTMLIFrameElement): Document | null {
  try {
    return frame.contentDocument;
  } catch {
    return null;
  }
}
