/**
 * Turns a batch of MutationRecords into one MutationBatch. Records are only
 * collected when they arrive; the work happens once per batch, against the
 * document as it is then, so a node added and removed within a batch costs
 * nothing and an attribute changed ten times travels once.
 */
import { PROP, type MutationBatch, type SerializedNode } from '@tandem/protocol';
import { mirrorsChildren, type NodeIds, type Serializer } from './serialize.js';
import type { Masker } from './mask.js';
import { linkCss, styleElementCss } from './styles.js';

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

export function diffRecords(records: MutationRecord[], ctx: DiffContext, extra: Map<Node, Set<string>>): MutationBatch | null {
  const { ids, serializer, masker } = ctx;
  const added = new Set<Node>();
  const removed: Node[] = [];
  const attrs = new Map<Node, Set<string>>();
  const texts = new Set<Node>();
  const touch = (el: Node, name: string) => {
    let names = attrs.get(el);
    if (!names) attrs.set(el, (names = new Set()));
    names.add(name);
  };
  for (const rec of records) {
    const target = rec.target;
    if (rec.type === 'childList') {
      // A <style> whose text changed: its CSS travels, not its text nodes.
      if (target.nodeType === 1 && (target as Element).localName === 'style') touch(target as Element, PROP.css);
      rec.addedNodes.forEach((n) => added.add(n));
      rec.removedNodes.forEach((n) => removed.push(n));
    } else if (rec.type === 'attributes') {
      touch(target as Element, rec.attributeName!);
      if (rec.attributeName === 'open' && (target as Element).localName === 'dialog') touch(target as Element, PROP.modal);
    } else {
      const parent = target.parentNode;
      if (parent?.nodeType === 1 && (parent as Element).localName === 'style') touch(parent as Element, PROP.css);
      else texts.add(target);
    }
  }
  for (const [node, names] of extra) for (const name of names) touch(node, name);

  const batch: MutationBatch = {};
  const batchStart = ids.peek();
  const isLive = (n: Node) => n.isConnected;

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
  const tops = inReverseTreeOrder([...added].filter((n) => isLive(n) && n.parentNode && isTopAdded(n, added, ids)));
  const adds: NonNullable<MutationBatch['a']> = [];
  for (const n of tops) {
    const parent = n.parentNode!;
    let next = n.nextSibling;
    while (next && ids.get(next) === undefined) next = next.nextSibling;
    const firstId = ids.peek();
    const node: SerializedNode | null = serializer.node(n, contentMasked(parent, masker));
    if (node === null) continue;
    adds.push([ids.get(parent)!, next ? ids.get(next)! : 0, firstId, node]);
  }
  if (adds.length) batch.a = adds;

  const fresh = (n: Node) => (ids.get(n) ?? 0) >= batchStart;
  const attrOut: NonNullable<MutationBatch['at']> = [];
  for (const [node, names] of attrs) {
    const id = ids.get(node);
    if (id === undefined || fresh(node) || !isLive(node)) continue;
    if (node.nodeType !== 1) {
      // A document or shadow root: only its adopted sheets change.
      attrOut.push([id, PROP.adopted, serializer.rootAdopted(node as Document | ShadowRoot)]);
      continue;
    }
    const el = node as Element;
    const masked = masker.isMasked(el);
    for (const name of names) attrOut.push([id, name, name.charCodeAt(0) === 32 ? propValue(el, name, serializer, masked) : serializer.attr(el, name, masked)]);
  }
  if (attrOut.length) batch.at = attrOut;

  const textOut: NonNullable<MutationBatch['tx']> = [];
  for (const n of texts) {
    const id = ids.get(n);
    if (id === undefined || fresh(n) || !isLive(n) || !n.parentNode || !mirrorsChildren(n.parentNode)) continue;
    textOut.push([id, serializer.text(n as CharacterData, contentMasked(n.parentNode, masker))]);
  }
  if (textOut.length) batch.tx = textOut;

  return batch.r || batch.a || batch.at || batch.tx ? batch : null;
}

/** The current value of a property-like key (see PROP) of an element. */
function propValue(el: Element, name: string, serializer: Serializer, masked: boolean): string | null {
  if (name === PROP.css) return el.localName === 'link' ? linkCss(el as HTMLLinkElement) : styleElementCss(el as HTMLStyleElement);
  const props = serializer.props(el, serializer.masksValue(el, masked));
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
