/**
 * Turns a batch of MutationRecords into one MutationBatch. Records are only
 * collected when they arrive; the work happens once per batch, against the
 * document as it is then, so a node added and removed within a batch costs
 * nothing and an attribute changed ten times travels once.
 */
import type { MutationBatch, SerializedNode } from '@tandem/protocol';
import { mirrorsChildren, type NodeIds, type Serializer } from './serialize.js';
import type { Masker } from './mask.js';

export function diffRecords(
  records: MutationRecord[],
  doc: Document,
  ids: NodeIds,
  serializer: Serializer,
  masker: Masker,
): MutationBatch | null {
  const added = new Set<Node>();
  const removed: Node[] = [];
  const attrs = new Map<Element, Set<string>>();
  const texts = new Set<Node>();
  for (const rec of records) {
    if (rec.type === 'childList') {
      rec.addedNodes.forEach((n) => added.add(n));
      rec.removedNodes.forEach((n) => removed.push(n));
    } else if (rec.type === 'attributes') {
      const el = rec.target as Element;
      let names = attrs.get(el);
      if (!names) attrs.set(el, (names = new Set()));
      names.add(rec.attributeName!);
    } else {
      texts.add(rec.target);
    }
  }

  const batch: MutationBatch = {};
  const batchStart = ids.peek();
  const isLive = (n: Node) => n.isConnected && n.ownerDocument === doc;

  // Removals first, including nodes that moved: a moved node is re-sent below
  // with fresh ids, because what happened to it while detached was not observed.
  const gone = new Set<number>();
  for (const n of removed) {
    const id = ids.get(n);
    if (id === undefined || gone.has(id) || (isLive(n) && !added.has(n))) continue;
    gone.add(id);
  }
  if (gone.size) batch.r = [...gone];

  // Additions: only the top of each added subtree, in reverse document order so
  // the next sibling each one is inserted before is already known to the receiver.
  const tops = [...added].filter((n) => isLive(n) && n.parentNode && isTopAdded(n, added, ids));
  tops.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? 1 : -1));
  const adds: NonNullable<MutationBatch['a']> = [];
  for (const n of tops) {
    const parent = n.parentNode!;
    let next = n.nextSibling;
    while (next && ids.get(next) === undefined) next = next.nextSibling;
    const firstId = ids.peek();
    const masked = parent.nodeType === 1 && masker.isMasked(parent as Element);
    const node: SerializedNode | null = serializer.node(n, masked);
    if (node === null) continue;
    adds.push([ids.get(parent)!, next ? ids.get(next)! : 0, firstId, node]);
  }
  if (adds.length) batch.a = adds;

  const fresh = (n: Node) => (ids.get(n) ?? 0) >= batchStart;
  const attrOut: NonNullable<MutationBatch['at']> = [];
  for (const [el, names] of attrs) {
    const id = ids.get(el);
    if (id === undefined || fresh(el) || !isLive(el)) continue;
    const masked = masker.isMasked(el);
    for (const name of names) attrOut.push([id, name, serializer.attr(el, name, masked)]);
  }
  if (attrOut.length) batch.at = attrOut;

  const textOut: NonNullable<MutationBatch['tx']> = [];
  for (const n of texts) {
    const id = ids.get(n);
    if (id === undefined || fresh(n) || !isLive(n) || !n.parentNode || !mirrorsChildren(n.parentNode)) continue;
    const parent = n.parentElement;
    textOut.push([id, serializer.text(n as CharacterData, parent !== null && masker.isMasked(parent))]);
  }
  if (textOut.length) batch.tx = textOut;

  return batch.r || batch.a || batch.at || batch.tx ? batch : null;
}

/** An added node whose parent is mirrored and which no other added node contains. */
function isTopAdded(n: Node, added: Set<Node>, ids: NodeIds): boolean {
  const parent = n.parentNode!;
  if (ids.get(parent) === undefined || !mirrorsChildren(parent)) return false;
  for (let p: Node | null = parent; p; p = p.parentNode) if (added.has(p)) return false;
  return true;
}
