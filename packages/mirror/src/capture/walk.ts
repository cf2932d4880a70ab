/**
 * The tree walk behind every serialization. It keeps its place on an explicit
 * stack, so a snapshot can stop when its time slice is over and go on later:
 * the page is never held for the whole of a large document. What was already
 * sent stays sent; children found after a cut travel as additions to their
 * parent (see `cut`).
 *
 * Between slices the page may change. The walk reads each next child from the
 * live tree, so it sees the page as it is when it gets there; the changes to
 * parts already sent are caught by the MutationObserver and sent after the
 * snapshot (see diffRecords and its per-record boundaries).
 */
import {
  DOC_TAG,
  MAX_TREE_DEPTH,
  isFrameTag,
  PROP,
  type Attrs,
  type MutationBatch,
  type SerializedElement,
  type SerializedNode,
} from '@tandem/protocol';
import { adoptedCss } from './styles.js';
import { frameDocument } from './lookup.js';
import type { NodeIds, Serializer, Shell } from './serialize.js';

/**
 * A node as the walk has it: the shell the serializer filled, and, while its children are being serialized (it is on
 * the stack), where the walk is in them.
 */
interface Frame extends Shell {
  /** The element or shadow root whose children are being serialized. */
  children: Node;
  value: SerializedElement;
  id: number;
  /** The last child serialized (or skipped), to find the next one. */
  last: Node | null;
  /** Whether `value` has already been sent: later children then travel as additions. */
  sent: boolean;
}

/** How many steps run between two looks at the clock. */
const CHECK_EVERY = 64;

export class Walk {
  /**
   * The open elements, `stack[0..top)`. `stack[top]` is the shell of the next node, and frames above it are kept to
   * be used again: on the 1.6 MB bench page a snapshot serializes 36,558 nodes, 19,491 of them elements with
   * children, and a new object for each was garbage for the collector.
   */
  private readonly stack: Frame[] = [];
  private top = 0;
  private adds: NonNullable<MutationBatch['a']> = [];
  /**
   * Ids this walk gave to nodes it then met again: the page moved them from a
   * part already sent to a part not yet walked. Their first copy must go.
   */
  private stale: number[] = [];
  /**
   * The page changed while the walk paused (pageChanged): a node may come again, and the child the walk stopped after
   * may have moved away. Until then neither can happen (every change makes a record), and both checks are skipped.
   */
  private moved = false;
  /** Ids from here on were given by this walk. */
  private readonly firstId: number;

  constructor(
    private readonly serializer: Serializer,
    private readonly ids: NodeIds,
  ) {
    this.firstId = ids.peek();
  }

  /** Serializes `node` itself; its descendants follow as `run` goes. */
  start(node: Node, masked: boolean): SerializedNode | null {
    const id = this.ids.peek();
    const shell = this.serializer.shell(node, masked, this.next());
    if (!shell) return null;
    // Read first: descending into an iframe's document fills shells of its own.
    const value = shell.value;
    this.descend(id, shell);
    return value;
  }

  /** Starts on the document of an iframe (or returns null when it cannot be read). */
  nestedDocument(frame: HTMLIFrameElement, masked: boolean): SerializedElement | null {
    const doc = frameDocument(frame);
    if (!doc?.documentElement) return null;
    this.ids.assign(doc);
    this.serializer.enterRoot(doc);
    const attrs: Attrs = { [PROP.base]: doc.baseURI };
    const css = adoptedCss(doc);
    if (css !== null) attrs[PROP.adopted] = css;
    const out: SerializedElement = [DOC_TAG, attrs];
    const root = this.start(doc.documentElement, masked);
    if (root !== null) out.push(root);
    return out;
  }

  /** Goes on until the walk is done (true) or `deadline` (performance.now()) has passed (false). */
  run(deadline: number): boolean {
    let steps = 0;
    while (this.top) {
      if (++steps % CHECK_EVERY === 0 && deadline !== Infinity && performance.now() > deadline) return false;
      const frame = this.stack[this.top - 1]!;
      if (frame.shadow) {
        const root = frame.shadow;
        frame.shadow = null;
        this.child(frame, root);
        continue;
      }
      const next = this.nextChild(frame);
      if (next === null) {
        this.top--;
        continue;
      }
      frame.last = next;
      this.child(frame, next);
    }
    return true;
  }

  /**
   * The page's tree changed since the last slice (there were records): an element the walk is inside may have become
   * masked or blocked (a class, an attribute, a move into such an element). Its children
   * still to come are then masked as it is now, or not sent at all where it is blocked: what the page hides never goes
   * out, even in the rest of a snapshot. The changes sent after the snapshot send such an element again as it is (and
   * one unmasked meanwhile, which stays masked until then).
   */
  pageChanged(): void {
    this.moved = true;
    for (let i = 0; i < this.top; i++) {
      const frame = this.stack[i]!;
      // As the page is now, ancestors read afresh (a shadow root's: its host's).
      const node = frame.children;
      const now = this.serializer.masker.protection(node.nodeType === 11 ? (node as ShadowRoot).host : (node as Element));
      if (now) frame.masked = true;
      // A blocked one, and everything below it: nothing more of them is walked.
      if (now === 'blocked') this.top = i;
    }
  }

  /**
   * Everything serialized so far is about to be sent. Open parents are marked
   * sent; children they get from now on are returned as additions instead.
   */
  cut(): MutationBatch {
    for (let i = 0; i < this.top; i++) this.stack[i]!.sent = true;
    const batch: MutationBatch = {};
    if (this.stale.length) batch.r = this.stale;
    if (this.adds.length) batch.a = this.adds;
    this.adds = [];
    this.stale = [];
    return batch;
  }

  private child(frame: Frame, node: Node): void {
    if (this.moved) {
      const previous = this.ids.get(node);
      if (previous !== undefined && previous >= this.firstId) this.stale.push(previous);
    }
    const id = this.ids.peek();
    const shell = this.serializer.shell(node, frame.masked, this.next());
    if (!shell) return;
    if (frame.sent) this.adds.push([frame.id, 0, id, shell.value]);
    else frame.value.push(shell.value);
    this.descend(id, shell);
  }

  /** The shell for the next node: the frame it becomes if the walk goes into it. */
  private next(): Frame {
    return (this.stack[this.top] ??= {} as Frame);
  }

  /** `id`: the first id `shell` took, its node's. `shell` is `next()`, read before anything asks for the next one. */
  private descend(id: number, shell: Shell): void {
    // None for text, comments, blocked elements and those whose children are not mirrored (serialize.ts: OPAQUE). A
    // shadow root comes with its host's children: no element whose children are not mirrored can host one.
    if (!shell.children) return;
    const frame = shell as Frame;
    const value = frame.value;
    // A frame's (an <iframe>'s or <frame>'s) child is its document: the serializer gives the frame element itself.
    if (isFrameTag(value[0])) {
      // `value` was read first: the document's shells are filled in the same object.
      const doc = this.nestedDocument(frame.children as HTMLIFrameElement, shell.masked);
      if (doc) value.push(doc);
      return;
    }
    // Below MAX_TREE_DEPTH nothing is sent (the agent would drop it): such a page is not a real one.
    if (this.top >= MAX_TREE_DEPTH) return;
    frame.id = id;
    frame.last = null;
    frame.sent = false;
    this.top++;
  }

  /** The next child to serialize, read from the live tree. */
  private nextChild(frame: Frame): Node | null {
    const { children: node, last } = frame;
    if (last === null) return node.firstChild;
    if (!this.moved || last.parentNode === node) return last.nextSibling;
    // The last child we serialized has been moved away since: go on after the last child of ours still there (read
    // now, when this frame is on top again: children this walk serialized meanwhile count). Nodes inserted before it
    // are additions.
    let after: Node | null = null;
    for (let c = node.firstChild; c; c = c.nextSibling) {
      const id = this.ids.get(c);
      if (id !== undefined && id >= this.firstId) after = c;
    }
    return after ? after.nextSibling : node.firstChild;
  }
}
