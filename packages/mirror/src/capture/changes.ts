/**
 * Turns a batch of MutationRecords into one MutationBatch. Records are only
 * collected when they arrive; the work happens once per batch, against the
 * document as it is then, so a node added and removed within a batch costs
 * nothing and an attribute changed ten times travels once.
 */
import { PROP, type MutationBatch, type SerializedNode } from '@tandem/protocol';
import { mirrorsChildren, type NodeIds, type Serializer } from './serialize.js';
import type { Masker } from './mask.js';
import { adoptedCss, linkCss, styleElementCss } from './styles.js';

export interface DiffContext {
  ids: NodeIds;
  serializer: Serializer;
  masker: Masker;
}

/** Masked state of the content of `parent` (an element, a shadow root or a document). */
export function contentMasked(parent: Node, masker: Masker): boolean {
  if (parent.nodeType === 1) return masker.isMasked(parent as Element);
  if (parent.nodeType === 11) return masker.isMasked((parent as ShadowRoot).host);
  return masker.maskedByDefault;
}

/**
 * A record with its boundary: the id the next serialized node would get when
 * the record was taken. A node with a smaller id was sent before the change, so
 * the change must follow; a node with this id or a larger one was serialized
 * after it (by a sliced snapshot going on, or by this batch) and already shows it.
 */
export type Observed = [record: MutationRecord, boundary: number];

export function diffRecords(records: Observed[], ctx: DiffContext, extra: Map<Node, Set<string>>): MutationBatch | null {
  const { ids, serializer, masker } = ctx;
  const batchStart = ids.peek();
  const added = new Map<Node, number>();
  const removed: Observed[] = [];
  const attrs = new Map<Node, { names: Set<string>; boundary: number }>();
  const texts = new Map<Node, number>();
  const touch = (node: Node, name: string, boundary: number) => {
    const entry = attrs.get(node);
    if (entry) {
      entry.names.add(name);
      entry.boundary = Math.max(entry.boundary, boundary);
    } else {
      attrs.set(node, { names: new Set([name]), boundary });
    }
  };
  for (const observed of records) {
    const [rec, boundary] = observed;
    const target = rec.target;
    if (rec.type === 'childList') {
      // A <style> whose text changed: its CSS travels, not its text nodes.
      if (target.nodeType === 1 && (target as Element).localName === 'style') touch(target, PROP.css, boundary);
      rec.addedNodes.forEach((n) => added.set(n, Math.max(added.get(n) ?? 0, boundary)));
      if (rec.removedNodes.length) removed.push(observed);
    } else if (rec.type === 'attributes') {
      touch(target, qualifiedName(target as Element, rec), boundary);
      if (rec.attributeName === 'open' && (target as Element).localName === 'dialog') touch(target, PROP.modal, boundary);
    } else {
      const parent = target.parentNode;
      if (parent?.nodeType === 1 && (parent as Element).localName === 'style') touch(parent, PROP.css, boundary);
      else texts.set(target, Math.max(texts.get(target) ?? 0, boundary));
    }
  }
  for (const [node, names] of extra) for (const name of names) touch(node, name, batchStart);

  const batch: MutationBatch = {};
  const isLive = (n: Node) => n.isConnected;
  // Nothing goes out from inside a blocked element: not what is added to it, not its attributes or text. It has an id
  // (its box), and so may its old content, when a rule blocked it after it was sent. Asked once per node and batch.
  const blockedNow = new Map<Node, boolean>();
  const inBlocked = (n: Node) => {
    let blocked = blockedNow.get(n);
    if (blocked === undefined) blockedNow.set(n, (blocked = masker.inBlocked(n)));
    return blocked;
  };

  // An attribute change can make a masking or blocking rule start or stop
  // applying: such an element is sent again whole, under its new state.
  const remask = new Set<Element>();
  for (const node of attrs.keys()) {
    if (node.nodeType !== 1 || !isLive(node) || ids.get(node) === undefined) continue;
    const el = node as Element;
    if (masker.isMasked(el) !== serializer.sentMasked.has(el) || masker.isBlocked(el) !== serializer.sentBlocked.has(el)) remask.add(el);
  }
  for (const el of remask) added.set(el, Infinity);
  const sentBefore = (n: Node, boundary: number) => {
    const id = ids.get(n);
    return id !== undefined && id < boundary;
  };

  // Removals first, including nodes that moved: a moved node is re-sent below
  // with fresh ids, because what happened to it while detached was not observed.
  const gone = new Set<number>();
  for (const [rec, boundary] of removed) {
    rec.removedNodes.forEach((n) => {
      if (!sentBefore(n, boundary) || (isLive(n) && !added.has(n))) return;
      gone.add(ids.get(n)!);
    });
  }
  for (const el of remask) gone.add(ids.get(el)!);
  if (gone.size) batch.r = [...gone];

  // Additions: only the top of each added subtree, in reverse document order so
  // the next sibling each one is inserted before is already known to the receiver.
  // A node serialized after it was added (by a sliced snapshot) is already there.
  const toSend = new Set(
    [...added.keys()].filter((n) => {
      const id = ids.get(n);
      return isLive(n) && n.parentNode && !(id !== undefined && id >= added.get(n)!);
    }),
  );
  // Only an ancestor that is sent itself carries a node along; one the snapshot already holds does not.
  const candidates = [...toSend].filter((n) => isTopAdded(n, toSend, ids));
  const adds: NonNullable<MutationBatch['a']> = [];
  for (const n of inReverseTreeOrder(candidates)) {
    const parent = n.parentNode!;
    if (inBlocked(parent)) continue;
    let next = n.nextSibling;
    while (next && ids.get(next) === undefined) next = next.nextSibling;
    const firstId = ids.peek();
    const node: SerializedNode | null = serializer.node(n, contentMasked(parent, masker));
    if (node === null) continue;
    adds.push([ids.get(parent)!, next ? ids.get(next)! : 0, firstId, node]);
  }
  if (adds.length) batch.a = adds;

  const attrOut: NonNullable<MutationBatch['at']> = [];
  for (const [node, { names, boundary }] of attrs) {
    const id = ids.get(node);
    if (!sentBefore(node, Math.min(boundary, batchStart)) || !isLive(node) || inBlocked(node)) continue;
    if (node.nodeType !== 1) {
      // A document or shadow root: only its adopted sheets change ("" when it has none left, so a removal travels too).
      attrOut.push([id!, PROP.adopted, adoptedCss(node as Document | ShadowRoot) ?? '']);
      continue;
    }
    const el = node as Element;
    const masked = masker.isMasked(el);
    for (const name of names)
      attrOut.push([id!, name, name.charCodeAt(0) === 32 ? propValue(el, name, serializer, masked) : serializer.attr(el, name, masked)]);
  }
  if (attrOut.length) batch.at = attrOut;

  const textOut: NonNullable<MutationBatch['tx']> = [];
  for (const [n, boundary] of texts) {
    if (
      !sentBefore(n, Math.min(boundary, batchStart)) ||
      !isLive(n) ||
      !n.parentNode ||
      !mirrorsChildren(n.parentNode) ||
      inBlocked(n.parentNode)
    )
      continue;
    textOut.push([ids.get(n)!, serializer.text(n as CharacterData, contentMasked(n.parentNode, masker))]);
  }
  if (textOut.length) batch.tx = textOut;

  return batch.r || batch.a || batch.at || batch.tx ? batch : null;
}

/** An attribute's name as written ("xlink:href"): the record has only its local name and namespace. */
function qualifiedName(el: Element, rec: MutationRecord): string {
  const local = rec.attributeName!;
  if (!rec.attributeNamespace) return local;
  const attr = el.getAttributeNodeNS(rec.attributeNamespace, local);
  if (attr) return attr.name;
  if (rec.attributeNamespace === 'http://www.w3.org/1999/xlink') return `xlink:${local}`;
  if (rec.attributeNamespace === 'http://www.w3.org/XML/1998/namespace') return `xml:${local}`;
  return local;
}

/** The current value of a property-like key (see PROP) of an element. */
function propValue(el: Element, name: string, serializer: Serializer, masked: boolean): string | null {
  if (name === PROP.css) return el.localName === 'link' ? linkCss(el as HTMLLinkElement) : styleElementCss(el as HTMLStyleElement);
  const props = serializer.props(el, serializer.masker.masksValue(el, masked));
  return props?.[name] ?? null;
}

/**
 * Sorts nodes last-first in tree order, tree by tree: nodes of different trees
 * (a shadow root, an iframe's document) have no order between them, and mixing
 * them in one sort would make the comparison inconsistent.
 */
function inReverseTreeOrder(nodes: Node[]): Node[] {
  const byRoot = new Map<Node, Node[]>();
  for (const n of nodes) {
    const root = n.getRootNode();
    const group = byRoot.get(root);
    if (group) group.push(n);
    else byRoot.set(root, [n]);
  }
  const out: Node[] = [];
  for (const group of byRoot.values()) {
    group.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? 1 : -1));
    out.push(...group);
  }
  return out;
}

/** An added node whose parent is mirrored and which no other added node contains. */
function isTopAdded(n: Node, added: Set<Node>, ids: NodeIds): boolean {
  const parent = n.parentNode!;
  if (ids.get(parent) === undefined || !mirrorsChildren(parent)) return false;
  for (let p: Node | null = parent; p; p = p.parentNode) if (added.has(p)) return false;
  return true;
}
