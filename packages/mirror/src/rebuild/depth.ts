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
/** Subtrees cut so far, in this page: while none, no element has skipped ids. */
let cuts = 0;

/** Ids the children cut from `node` had: the builder and the matcher step over them after `node`'s own. */
export function skippedIds(node: SerializedElement): number {
  // Asked of every element built or matched; almost no page was ever cut.
  return cuts === 0 ? 0 : (skipped.get(node) ?? 0);
}

/**
 * Cuts `root`, which sits at `depth` (the document element is at 1), where it
 * passes the bound. A shadow root counts as a level, as capture counts it; a
 * nested document does not (its document element is one below the frame).
 */
export function cutTooDeep(root: SerializedNode, depth: number, max = MAX_TREE_DEPTH): void {
  // Two stacks side by side, and only elements with children on them: no pair allocated per node of a snapshot.
  const nodes: SerializedElement[] = [];
  const depths: number[] = [];
  const push = (node: SerializedNode, d: number) => {
    if (typeof node === 'string' || node[0] === '#' || node.length <= 2) return;
    nodes.push(node as SerializedElement);
    depths.push(d);
  };
  push(root, depth);
  while (nodes.length) {
    const el = nodes.pop()!;
    const d = depths.pop()!;
    if (d > max) {
      skipped.set(el, idsBelow(el));
      cuts++;
      el.length = 2;
      continue;
    }
    for (let i = 2; i < el.length; i++) {
      const child = el[i] as SerializedNode;
      push(child, Array.isArray(child) && child[0] === DOC_TAG ? d : d + 1);
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
