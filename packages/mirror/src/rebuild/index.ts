/**
 * Rebuild: applies DomEvent batches to a document inside a sandboxed iframe.
 * Nodes are created one by one with DOM APIs (never from HTML strings) and
 * every element and attribute passes the rules in sanitize.ts.
 */
import {
  DOC_TAG,
  DOCUMENT_ID,
  EventType,
  MAX_TREE_DEPTH,
  SHADOW_TAG,
  isFrameTag,
  type DomEvent,
  type MutationBatch,
  type SerializedNode,
  type Snapshot,
} from '@tandem/protocol';
import { Builder, addBase } from './builder.js';
import { NS, contextOf } from './namespaces.js';
import { cutTooDeep, depthOf } from './depth.js';
import { dom } from './dom.js';
import { NodeTable } from './node-table.js';
import { writeSubtrees } from './markup.js';
import { SnapshotParse } from './stream.js';
import { States } from './states.js';
import { CrossSheets } from './cross-sheets.js';

export { safeAttr, safeCss } from './sanitize.js';

export interface RebuildListener {
  /** The page's viewport, in CSS pixels. */
  viewport?(width: number, height: number): void;
  /** The visitor's pointer, in CSS pixels of the viewport. */
  pointer?(x: number, y: number): void;
  snapshot?(snapshot: Snapshot): void;
}

export interface RebuildOptions {
  /** Build snapshots by one parse of markup (default true); false builds them node by node. */
  markup?: boolean;
  /** Continue that parse with the snapshot's later slices (default true; stream.ts); false parses each slice apart. */
  stream?: boolean;
}

/** A parse left open closes when no slice has continued it for this long: what follows are changes, not slices. */
const STREAM_IDLE_MS = 1500;

export class Rebuilder {
  private readonly nodes = new NodeTable();
  private readonly builder: Builder;
  private docScroll: [number, number] = [0, 0];
  /** The document was too short for the visitor's scroll position when it was last applied. */
  private scrollShort = false;
  /** Work for the next frame (frameSoon): the window's scroll to restore, what is under the visitor's pointer to find. */
  private scrollPending = false;
  private hoverPending = false;
  private frameTask = false;
  private parsed = false;
  /** The snapshot's parse, while its later slices continue it. */
  private parse: SnapshotParse | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private streamed = 0;
  /** The visitor's hover and focus, shown on the mirror's elements (states.ts). */
  private readonly states = new States(() => this.frame.contentDocument);
  /** The hover and focus rules of stylesheets from another origin, read where it allows CORS (cross-sheets.ts). */
  private readonly crossSheets = new CrossSheets((link, probe) => this.builder.probed(link, probe));
  /** Where the visitor's pointer last was (CSS px of the viewport), or null before it moved. */
  private pointerAt: [number, number] | null = null;
  /** The id the visitor's pointer is over instead, when it is over something left out of the mirror (see EventType.Pointer). */
  private pointerOver: number | undefined;

  /**
   * `frame` must be sandboxed without `allow-scripts`; the rebuild refuses
   * anything else rather than trust the page's markup to a scripting context.
   */
  constructor(
    private readonly frame: HTMLIFrameElement,
    private readonly listener: RebuildListener = {},
    private readonly options: RebuildOptions = {},
  ) {
    const sandbox = frame.getAttribute('sandbox');
    if (sandbox === null || /allow-scripts/i.test(sandbox)) {
      throw new Error('Tandem rebuild needs an iframe sandboxed without allow-scripts.');
    }
    this.builder = new Builder({
      set: (id, node) => this.nodes.set(id, node),
      replace: (prev, next) => {
        const id = this.nodes.idOf(prev);
        if (id !== undefined) this.nodes.set(id, next);
      },
    });
  }

  /** Whether the last snapshot was built by one parse of markup (false: node by node). */
  get snapshotParsed(): boolean {
    return this.parsed;
  }

  /** How many added subtrees continued a snapshot's parse (stream.ts) since this rebuilder was made. */
  get streamedAdditions(): number {
    return this.streamed;
  }

  get document(): Document {
    return this.frame.contentDocument!;
  }

  /**
   * The laid-out height of the mirror's body (0 without one), read through the prototypes: the page's named
   * elements (<img name="body">) shadow the document's own properties.
   */
  bodyHeight(): number {
    const doc = this.frame.contentDocument;
    const body = doc ? dom.body(doc) : null;
    return body ? dom.offsetHeight(body) : 0;
  }

  /**
   * The element under a point of the viewport (CSS px of the visitor's page),
   * through open shadow roots and nested frames, with the point's offset inside
   * its box: what an agent's click aims at.
   */
  hit(x: number, y: number): { id: number; x: number; y: number; node: Element } | null {
    const found = this.deepest(x, y, false);
    // Text and pseudo content belong to the nearest element the mirror knows.
    let el = found?.el ?? null;
    let id: number | undefined;
    while (el && (id = this.nodes.idOf(el)) === undefined) el = el.parentElement;
    if (!el || id === undefined) return null;
    const box = dom.rect(el);
    return { id, x: Math.round(found!.x - box.left), y: Math.round(found!.y - box.top), node: el };
  }

  /**
   * The innermost element at a point of the viewport, through open shadow roots and nested frames, and the point in
   * its document's viewport. A frame whose document has nothing there: the frame itself when `frames`, else null.
   * Through the prototypes (dom.ts): a <form> holding <input name="shadowRoot"> shadows the form's own.
   */
  private deepest(x: number, y: number, frames: boolean): { el: Element; x: number; y: number } | null {
    let doc: Document | ShadowRoot = this.document;
    let el: Element | null = null;
    for (let depth = 0; depth < 16; depth++) {
      const found: Element | null = dom.elementFromPoint(doc, x, y);
      if (!found || found === el) break;
      el = found;
      const shadow = dom.shadowRoot(found);
      const inner = isFrameTag(dom.localName(found)) ? (found as HTMLIFrameElement).contentDocument : null;
      if (shadow) {
        doc = shadow;
      } else if (inner) {
        const box = dom.rect(found);
        x -= box.left + dom.clientLeft(found);
        y -= box.top + dom.clientTop(found);
        doc = inner;
        if (!frames) el = null;
      } else break;
    }
    return el && { el, x, y };
  }

  /** The rebuilt node of a mirror id. */
  nodeOfId(id: number): Node | undefined {
    return this.nodes.get(id);
  }

  /** The mirror id of a rebuilt node. */
  idOfNode(node: Node): number | undefined {
    return this.nodes.idOf(node);
  }

  /** Applies one batch of events; unknown ids are skipped, never guessed at. */
  apply(events: DomEvent[]): void {
    let focus: Extract<DomEvent, [typeof EventType.Focus, ...unknown[]]> | null = null;
    for (const e of events) {
      switch (e[0]) {
        case EventType.Snapshot:
          this.snapshot(e[1]);
          break;
        case EventType.Mutations:
          this.mutations(e[1]);
          break;
        case EventType.Input:
          this.input(e[1], e[2]);
          break;
        case EventType.Scroll:
          this.scroll(e[1], e[2], e[3]);
          break;
        case EventType.Viewport:
          this.listener.viewport?.(e[1], e[2]);
          break;
        case EventType.Pointer:
          this.listener.pointer?.(e[1], e[2]);
          this.pointerAt = [e[1], e[2]];
          this.pointerOver = e[3];
          this.hoverSoon();
          break;
        case EventType.Focus:
          // Only the batch's last counts: a stream of them (a hostile one) costs one change of the marks.
          focus = e;
          break;
        case EventType.SnapshotEnd:
          this.endParse();
          break;
      }
    }
    this.builder.connected();
    if (focus) {
      const node = this.nodes.get(focus[1]);
      const visible = focus[2] === 1;
      attempt(() => this.states.focus(node && dom.type(node) === 1 ? (node as Element) : null, visible));
    }
    // What lies under the visitor's pointer may have changed with the page, or scrolled under it.
    this.hoverSoon();
    // The window could not reach the visitor's scroll while the page was shorter
    // (the first slices of a snapshot, stylesheets still loading): try again.
    if (this.scrollShort) this.scrollSoon();
  }

  private snapshot(s: Snapshot): void {
    const doc = this.document;
    cutTooDeep(s.root, 1);
    this.endParse();
    this.nodes.clear();
    this.states.reset();
    this.crossSheets.reset();
    // The new page numbers its nodes anew: an id from before would name something else.
    this.pointerOver = undefined;
    this.builder.setRoot(DOCUMENT_ID, doc);
    // One parse of markup written from the tree (markup.ts) where the parser makes the same tree of it.
    const parse =
      this.options.markup === false
        ? null
        : SnapshotParse.write(doc, s.root, s, this.builder, (id, node) => this.nodes.set(id, node), this.options.stream !== false);
    this.parsed = parse !== null;
    if (parse?.open) {
      this.parse = parse;
      this.closeWhenIdle();
    }
    if (!this.parsed) this.buildSnapshot(doc, s);
    if (s.adopted) this.builder.adopt(doc, s.adopted);
    this.listener.viewport?.(s.width, s.height);
    this.listener.snapshot?.(s);
    // Stylesheets and pictures arriving later change the layout; keep the window where the visitor has it.
    // Once per frame: a large page's pictures load by the hundred, and each scroll lays the document out.
    EventTarget.prototype.addEventListener.call(
      doc,
      'load',
      (e: Event) => {
        this.scrollSoon();
        // Another origin's stylesheet: its hover and focus rules, where its server allows a CORS read.
        attempt(() => this.crossSheets.loaded(e.target));
      },
      true,
    );
  }

  /** Continues the snapshot's parse with a run of additions, if it can (stream.ts); on anything unexpected, ends it. */
  private appendToParse(parentId: number, run: NonNullable<MutationBatch['a']>): boolean {
    try {
      return this.parse!.append(parentId, run);
    } catch {
      this.endParse();
      return false;
    }
  }

  private endParse(): void {
    clearTimeout(this.idleTimer);
    this.parse?.close();
    this.parse = null;
  }

  private closeWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.endParse(), STREAM_IDLE_MS);
  }

  /** Builds a snapshot node by node: for documents the markup cannot say, and the reference the markup is tested against. */
  private buildSnapshot(doc: Document, s: Snapshot): void {
    this.nodes.clear();
    this.builder.setRoot(DOCUMENT_ID, doc);
    // A fresh document each time: the doctype decides standards or quirks mode.
    dom.reset(doc, !s.quirks);
    // The base is in place while the tree is built: URLs in style attributes resolve as they are parsed.
    addBase(doc, dom.documentElement(doc)!, s.base);
    const root = this.builder.build(doc, s.root, { id: s.firstId }, NS.html) as Element;
    // The base goes in before the tree is connected: stylesheets and images
    // start loading on connection and must resolve against the page's address.
    addBase(doc, root, s.base);
    dom.replace(doc, root, dom.documentElement(doc)!);
  }

  /**
   * Applies a batch of changes. Each change stands alone: one that does not fit
   * the mirror (a parent rebuilt as an inert placeholder, a node the page
   * clobbered) is skipped, never allowed to stop the rest.
   */
  private mutations(m: MutationBatch): void {
    // Slices of a snapshot add subtrees, nothing else: any other change ends the snapshot's parse (stream.ts).
    if (this.parse && (m.r?.length || m.at?.length || m.tx?.length || !m.a)) this.endParse();
    for (const id of m.r ?? []) {
      const node = this.nodes.get(id);
      if (!node) continue;
      this.forget(node);
      const parent = dom.parent(node);
      // Documents and shadow roots cannot be detached; their replacement overwrites them.
      if (parent && dom.type(node) !== 9 && dom.type(node) !== 11) attempt(() => dom.remove(parent, node));
    }
    const adds = m.a ?? [];
    for (let i = 0; i < adds.length;) {
      const [parentId, beforeId] = adds[i]!;
      // A run of additions to the same place (a slice of a snapshot adds many siblings): one parse for the run.
      let end = i + 1;
      while (end < adds.length && adds[end]![0] === parentId && adds[end]![1] === beforeId) end++;
      const run = adds.slice(i, end);
      i = end;
      if (this.parse && this.appendToParse(parentId, run)) {
        this.streamed += run.length;
        continue;
      }
      const parent = this.nodes.get(parentId);
      if (!parent) continue;
      const type = dom.type(parent);
      // Only elements, documents and shadow roots take children: a placeholder (a comment) does not.
      if (type !== 1 && type !== 9 && type !== 11) continue;
      // Nothing nests below MAX_TREE_DEPTH (depth.ts): a parent there takes no children, a subtree is cut to fit.
      const depth = depthOf(parent);
      if (depth > MAX_TREE_DEPTH) continue;
      for (const [, , , node] of run) cutTooDeep(node, Array.isArray(node) && node[0] === DOC_TAG ? depth : depth + 1);
      let parsed: (Node | null)[] = [];
      if (type === 1 && this.options.markup !== false)
        attempt(() => {
          const nodes = run.map(([, , firstId, node]) => ({ node, firstId }));
          parsed = writeSubtrees(parent as Element, nodes, contextOf(parent), this.builder, (id, n) => this.nodes.set(id, n));
        });
      run.forEach(([, , firstId, serialized], k) => attempt(() => this.add(parent, beforeId, firstId, serialized, parsed[k] ?? null)));
    }
    if (this.parse?.open) this.closeWhenIdle();
    else if (this.parse) this.endParse();
    for (const [id, name, value] of m.at ?? []) {
      const node = this.nodes.get(id);
      if (!node) continue;
      const type = dom.type(node);
      if (type === 1) attempt(() => this.builder.setAttr(node as Element, name, value));
      else if (type === 9 || type === 11) attempt(() => this.builder.setProp(node as Document, name, value ?? ''));
    }
    for (const [id, text] of m.tx ?? []) {
      const node = this.nodes.get(id);
      const type = node && dom.type(node);
      if (type !== 3 && type !== 8 && type !== 4) continue;
      (node as CharacterData).data = text;
    }
  }

  /** Adds a subtree, built node by node unless `parsed` holds it already built (writeSubtrees). */
  private add(parent: Node, beforeId: number, firstId: number, serialized: SerializedNode, parsed: Node | null): void {
    const next = { id: firstId };
    if (Array.isArray(serialized) && serialized[0] === SHADOW_TAG) {
      if (dom.type(parent) === 1) this.builder.shadow(parent as Element, serialized, next, contextOf(parent));
      return;
    }
    if (Array.isArray(serialized) && serialized[0] === DOC_TAG) {
      if (dom.type(parent) === 1 && isFrameTag(dom.localName(parent as Element))) {
        this.builder.fillFrame(parent as HTMLIFrameElement, serialized, firstId);
      }
      return;
    }
    const doc = dom.type(parent) === 9 ? (parent as Document) : parent.ownerDocument!;
    const node = parsed ?? this.builder.build(doc, serialized, next, contextOf(parent));
    const before = beforeId ? this.nodes.get(beforeId) : null;
    dom.insertBefore(parent, node, before && dom.parent(before) === parent ? before : null);
  }

  /** Drops the ids of a removed subtree (and of shadow roots and frames in it) so the maps do not grow. */
  private forget(node: Node): void {
    const id = this.nodes.idOf(node);
    if (id !== undefined) this.nodes.delete(id);
    if (dom.type(node) === 1) {
      const el = node as Element;
      if (el.shadowRoot) this.forget(el.shadowRoot);
      if (isFrameTag(dom.localName(el))) {
        const inner = (el as HTMLIFrameElement).contentDocument;
        if (inner) this.forget(inner);
      }
    }
    for (let c = dom.firstChild(node); c; c = dom.nextSibling(c)) this.forget(c);
  }

  private input(id: number, value: string | boolean): void {
    const el = this.nodes.get(id) as HTMLInputElement | undefined;
    if (!el || el.nodeType !== 1) return;
    if (typeof value === 'string') el.value = value;
    else if (el.localName === 'option') (el as unknown as HTMLOptionElement).selected = value;
    else el.checked = value;
  }

  private scroll(id: number, x: number, y: number): void {
    const node = this.nodes.get(id);
    if (id === DOCUMENT_ID) {
      this.docScroll = [x, y];
      this.scrollSoon();
    } else if (node?.nodeType === 9) {
      (node as Document).defaultView?.scrollTo(x, y);
    } else if (node?.nodeType === 1) {
      (node as Element).scrollTo(x, y);
    }
  }

  private scrollSoon(): void {
    this.scrollPending = true;
    this.frameSoon();
  }

  /** Not while a snapshot is still being parsed (finding it lays the document out): the batch that ends it asks again. */
  private hoverSoon(): void {
    if (!this.pointerAt) return;
    this.hoverPending = true;
    this.frameSoon();
  }

  /**
   * Does the pending work once before the next frame is drawn, however many batches came: scrolling the window and
   * finding what lies under the pointer each make the browser lay the document out there and then, and a large page
   * arriving in slices would be laid out once per slice. The scroll goes first: the pointer is over what it scrolled
   * there.
   */
  private frameSoon(): void {
    if (this.frameTask) return;
    this.frameTask = true;
    const win = this.frame.ownerDocument.defaultView;
    const run = () => {
      if (!this.frameTask) return;
      this.frameTask = false;
      if (this.scrollPending) {
        this.scrollPending = false;
        this.restoreScroll();
      }
      if (!this.hoverPending) return;
      this.hoverPending = false;
      if (this.parse?.open || !this.pointerAt || !this.frame.contentDocument) return;
      const [x, y] = this.pointerAt;
      const over = this.pointerOver === undefined ? undefined : this.nodes.get(this.pointerOver);
      attempt(() => this.states.hover(over ? (dom.type(over) === 1 ? (over as Element) : null) : (this.deepest(x, y, true)?.el ?? null)));
    };
    win?.requestAnimationFrame(run);
    // Hidden, the agent's page gets no frames: the position is still right when it comes back.
    win?.setTimeout(run, 100);
  }

  private restoreScroll(): void {
    // Null once the frame is gone (a viewer closed, a warm-up's frame removed) before a scheduled restore ran.
    const win = this.frame.contentDocument?.defaultView;
    if (!win) return;
    const [x, y] = this.docScroll;
    win.scrollTo(x, y);
    this.scrollShort = Math.abs(win.scrollX - x) > 1 || Math.abs(win.scrollY - y) > 1;
  }
}

function attempt(change: () => void): void {
  try {
    change();
  } catch {
    // See mutations(): one change that does not fit is dropped alone.
  }
}
