/**
 * The bound on how deep the mirror's documents nest (MAX_TREE_DEPTH): a tree
 * deeper than it is cut before anything of it is built. A client that is not
 * our capture may send any depth, and a deep enough chain of elements crashes
 * the agent's renderer as it lays them out (about 3,000 nested blocks in
 * Chromium), or ends the rebuild's recursion with a RangeError, and then the
 * viewer would ask for the same snapshot again and again.
 *
 * The children of an element at the bound are dropped in place; the ids they
 * had (nodes are numbered in pre-order) are noted on the element, so the
 * nodes after it keep theirs (see `skippedIds`).
 */
import { DOC_TAG, MAX_TREE_DEPTH, type SerializedElement, type SerializedNode } from '@tandem/protocol';
import { dom } from './dom.js';

const skipped = new WeakMap<SerializedElement, number>();

/** Ids the children cut from `node` had: the builder and the matcher step over them after `node`'s own. */
export function skippedIds(node: SerializedElement): number {
  return skipped.get(node) ?? 0;
}

/**
 * Cuts `root`, which sits at `depth` (the document element is at 1), where it
 * passes the bound. A shadow root counts as a level, as capture counts it; a
 * nested document does not (its document element is one below the frame).
 */
export function cutTooDeep(root: SerializedNode, depth: number, max = MAX_TREE_DEPTH): void {
  const stack: [SerializedNode, number][] = [[root, depth]];
  while (stack.length) {
    const [node, d] = stack.pop()!;
    if (typeof node === 'string' || node[0] === '#' || node.length <= 2) continue;
    const el = node as SerializedElement;
    if (d > max) {
      skipped.set(el, idsBelow(el));
      el.length = 2;
      continue;
    }
    for (let i = 2; i < el.length; i++) {
      const child = el[i] as SerializedNode;
      stack.push([child, Array.isArray(child) && child[0] === DOC_TAG ? d : d + 1]);
    }
  }
}

/**
 * The ids the nodes below `node` have, as they are given in pre-order (shadow roots and nested documents have
 * one each), with those of children cut from it or from its descendants. Without recursion: `node` may be deep.
 */
export function idsBelow(node: SerializedNode): number {
  let count = 0;
  const stack: SerializedNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (typeof n === 'string' || n[0] === '#') continue;
    count += skippedIds(n as SerializedElement);
    for (let i = 2; i < n.length; i++) {
      count++;
      stack.push(n[i] as SerializedNode);
    }
  }
  return count;
}

/** The depth of a node of a mirror document, counted as `cutTooDeep` counts (a shadow root is a level), up to `max + 1`. */
export function depthOf(node: Node, max = MAX_TREE_DEPTH): number {
  let depth = 0;
  // Through the prototypes' getters: the mirrored page's named properties can shadow parentNode on a form.
  for (let n: Node | null = node; n && dom.type(n) !== 9 && depth <= max; depth++) {
    n = dom.type(n) === 11 ? ((n as ShadowRoot).host ?? null) : dom.parent(n);
  }
  return depth;
}
