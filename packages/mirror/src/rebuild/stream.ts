/**
 * A sliced snapshot parsed as one document. The first slice is written into
 * the mirror's document without closing it: the elements at its end (the
 * last child at each level, down from <body>) stay open, as they do while a
 * browser loads a page. The later slices add children to exactly those
 * elements, in document order, so their markup continues the same parse:
 * end tags for the elements that are complete, then the new subtrees.
 *
 * Against a parse per slice (a fragment, then moving its nodes into the
 * document) this saves the fragment's parser and one insertion per node, and
 * the nodes go into the document as the browser's own loading puts them
 * (about a fifth of the agent's time to build the 1.6 MB bench page).
 *
 * Every write is checked as the snapshot's first write is (markup.ts's
 * Matcher), and more: the parser may put what a script built in a way no
 * parser would (a <p> in a <p>, a second <li> in an <li>) somewhere else than
 * into the open element. So after each write, no open element may have
 * gained anything after its open child, no closed one anything at all, and
 * the open elements must still be where they were. Elements in which the
 * parser would work in another mode or move earlier nodes (tables, selects,
 * foreign content, <a>, <form>…) are never left open (Writer).
 *
 * Additions elsewhere (to an element closed already: the writer closes an
 * <a>, a table, an <svg>) are made through the DOM meanwhile, and the parse
 * goes on after them. The parse ends (the document is closed) at a removal
 * or any other change, at a write the checks refuse (what it added is
 * removed and built node by node), where the matcher had to build children
 * again, or when no slice has come for a while.
 */
import { DOC_TAG, MAX_TREE_DEPTH, SHADOW_TAG, type MutationBatch, type SerializedElement, type SerializedNode } from '@tandem/protocol';
import type { Builder } from './builder.js';
import { NS } from './namespaces.js';
import { cutTooDeep } from './depth.js';
import { dom } from './dom.js';
import { Matcher, Mismatch, Writer, deferredElement, hasHead } from './markup.js';

interface OpenElement {
  id: number;
  el: Element;
  /** The end tag, as the writer wrote the start tag. */
  tag: string;
}

type Addition = NonNullable<MutationBatch['a']>[number];

export class SnapshotParse {
  /** The elements the parser holds open, from <html> down; empty once the document is closed. */
  private path: OpenElement[] = [];
  /** The document is closed (or was never left open). */
  private closed: boolean;

  private constructor(
    private readonly doc: Document,
    private readonly builder: Builder,
    private readonly register: (id: number, node: Node) => void,
    opened: boolean,
  ) {
    this.closed = !opened;
  }

  /**
   * Writes a snapshot's tree into `doc` with one parse and numbers its nodes
   * from `firstId`. Null, with `doc` in an unknown state, when the parser made
   * another document of it: the caller then builds it node by node. With
   * `keepOpen`, the parse stays open for the snapshot's next slices (`append`).
   */
  static write(
    doc: Document,
    root: SerializedElement,
    options: { quirks: boolean; base: string; firstId: number },
    builder: Builder,
    register: (id: number, node: Node) => void,
    keepOpen: boolean,
  ): SnapshotParse | null {
    if (root[0].toLowerCase() !== 'html' || deferredElement(root, NS.html, true)) return null;
    const writer = new Writer(options.base, keepOpen);
    writer.root(root);
    // Open only from the body down: closed in the head, the parse would add a <body> of its own.
    const open = keepOpen && writer.open.length >= 2;
    const markup = (options.quirks ? '' : '<!DOCTYPE html>') + writer.out;
    if (open) dom.open(doc, markup);
    else dom.write(doc, markup);
    const parse = new SnapshotParse(doc, builder, register, open);
    const html = dom.documentElement(doc);
    if (!html) return parse.fail();
    const next = { id: options.firstId };
    register(next.id++, html);
    const watch = open ? openElements(writer) : null;
    watch?.set(root, options.firstId);
    const matcher = new Matcher(builder, register, watch);
    try {
      matcher.children(html, root, next, NS.html, hasHead(root) ? 0 : 1, true, true);
    } catch (err) {
      // A tree nested deeper than the stack allows is built node by node too (or refused there).
      if (err instanceof Mismatch || err instanceof RangeError) return parse.fail();
      parse.fail(); // never left open by what went wrong
      throw err;
    }
    builder.props(html, root[1] || {});
    if (open && !matcher.mended) parse.follow(null, writer.open, watch!);
    else if (open) parse.close();
    return parse;
  }

  /** Whether later slices still continue the parse. */
  get open(): boolean {
    return this.path.length > 0;
  }

  /** Ends the parse: the browser closes the elements still open, and the document is complete. */
  close(): void {
    this.path = [];
    if (this.closed) return;
    this.closed = true;
    dom.close(this.doc);
  }

  /**
   * Continues the parse with a run of subtrees appended to one parent, if the
   * parent is open. False where it is not (the caller adds them through the
   * DOM: the parse goes on, as a page's scripts may change a document while
   * it loads, as long as they leave the open elements in place), or where the
   * parser made something else of them (the parse is closed, what it added
   * removed, and the caller adds them).
   */
  append(parentId: number, run: readonly Addition[]): boolean {
    const d = this.indexOf(parentId);
    // Nothing nests below MAX_TREE_DEPTH: the caller's path refuses or cuts it (the parent at d is at depth d + 1).
    if (d < 0 || d + 1 >= MAX_TREE_DEPTH) return false;
    for (const a of run) if (a[1] !== 0 || isRoot(a[3])) return false;
    return this.group(d, run);
  }

  /** Writes and checks one run of additions to the open element at `d`; false (closed, undone) where it does not fit. */
  private group(d: number, run: readonly Addition[]): boolean {
    const path = this.path;
    const anchors = path.map((o) => dom.lastChild(o.el));
    const writer = new Writer('', true);
    const watch = new Map<SerializedElement, number>();
    const matcher = new Matcher(this.builder, this.register, watch);
    let fits: boolean;
    try {
      const nodes = run.map(([, , firstId, node]) => {
        cutTooDeep(node, d + 2);
        return { node, firstId };
      });
      // The parser adds a text to a text just before it (one it wrote, or one added through the DOM since): a comment keeps them apart.
      const last = anchors[d]!;
      const textBefore = last !== null && dom.type(last) === 3;
      writer.run(
        nodes.map((n) => n.node),
        NS.html,
        textBefore,
      );
      let markup = '';
      for (let k = path.length - 1; k > d; k--) markup += `</${path[k]!.tag}>`;
      dom.writeMore(this.doc, markup + writer.out);
      for (const [node, id] of openElements(writer)) watch.set(node, id);
      const start = last ? dom.nextSibling(last) : dom.firstChild(path[d]!.el);
      fits = this.unmoved(anchors, d) && matcher.run(path[d]!.el, nodes, NS.html, start, textBefore);
    } catch {
      // Mismatch, a RangeError from a tree deeper than the stack, an element or a value the DOM refused: undone below.
      fits = false;
    }
    if (!fits) {
      // What this write added goes; the caller builds the run node by node.
      path.forEach((o, k) => {
        const keep = anchors[k]!;
        // An anchor the write moved away (it should not happen: the writer leaves open no element that lets it) keeps all.
        if (keep && dom.parent(keep) !== o.el) return;
        while (dom.lastChild(o.el) && dom.lastChild(o.el) !== keep) dom.remove(o.el, dom.lastChild(o.el)!);
      });
      this.close();
      return false;
    }
    path.length = d + 1;
    if (matcher.mended) this.close();
    else this.follow(d, writer.open, watch);
    return true;
  }

  /** Whether the write left what was there before in place: the open elements where they were, nothing after them. */
  private unmoved(anchors: readonly (Node | null)[], d: number): boolean {
    const path = this.path;
    for (let k = 0; k < path.length; k++) {
      const el = path[k]!.el;
      if (k > 0 && dom.parent(el) !== path[k - 1]!.el) return false;
      const anchor = anchors[k]!;
      if (anchor && dom.parent(anchor) !== el) return false;
      // The parent of the run gains the run (checked by the matcher); the others nothing.
      if (k !== d && dom.lastChild(el) !== anchor) return false;
    }
    return true;
  }

  /**
   * Notes the elements a write left open, found as the last child of the one
   * above (`d`: the index of the element they were written into; null: the
   * snapshot's root, which is the document element).
   */
  private follow(d: number | null, chain: readonly SerializedElement[], ids: ReadonlyMap<SerializedElement, number>): void {
    let el: Node | null = d === null ? dom.documentElement(this.doc) : this.path[d]!.el;
    for (let k = 0; k < chain.length; k++) {
      if (k > 0 || d !== null) el = el && dom.lastChild(el);
      const node = chain[k]!;
      const id = ids.get(node) ?? -1;
      if (!el || dom.type(el) !== 1 || dom.localName(el as Element) !== node[0] || id < 0) {
        this.close();
        return;
      }
      this.path.push({ id, el: el as Element, tag: node[0] });
    }
    // Nothing below the document element open (a slice ended in the head, or in an element closed at once): nothing to continue.
    if (this.path.length < 2) this.close();
  }

  private indexOf(id: number): number {
    for (let k = this.path.length - 1; k >= 0; k--) if (this.path[k]!.id === id) return k;
    return -1;
  }

  /** Closes the document whatever happened to it (the caller writes it again) and gives up. */
  private fail(): null {
    this.path = [];
    this.closed = true;
    dom.close(this.doc);
    return null;
  }
}

/** A shadow root or a nested document: added through the DOM, never by the parse. */
function isRoot(node: SerializedNode): boolean {
  return Array.isArray(node) && (node[0] === SHADOW_TAG || node[0] === DOC_TAG);
}

/** The elements a writer left open, their ids to be noted by the matcher (-1 until it does). */
function openElements(writer: Writer): Map<SerializedElement, number> {
  return new Map(writer.open.map((n) => [n, -1]));
}
