/**
 * Rebuild: applies DomEvent batches to a document inside a sandboxed iframe.
 * Nodes are created one by one with DOM APIs (never from HTML strings) and
 * every element and attribute passes the rules in sanitize.ts.
 */
import {
  DOCUMENT_ID,
  EventType,
  PROP,
  type DomEvent,
  type MutationBatch,
  type SerializedElement,
  type SerializedNode,
  type Snapshot,
} from '@tandem/protocol';
import { isInertTag, safeAttr, safeCss } from './sanitize.js';

export { safeAttr, safeCss } from './sanitize.js';

const NS = {
  html: 'http://www.w3.org/1999/xhtml',
  svg: 'http://www.w3.org/2000/svg',
  math: 'http://www.w3.org/1998/Math/MathML',
  xlink: 'http://www.w3.org/1999/xlink',
  xml: 'http://www.w3.org/XML/1998/namespace',
};

export interface RebuildListener {
  /** The page's viewport, in CSS pixels. */
  viewport?(width: number, height: number): void;
  /** The visitor's pointer, in CSS pixels of the viewport. */
  pointer?(x: number, y: number): void;
  snapshot?(snapshot: Snapshot): void;
}

export class Rebuilder {
  private nodes = new Map<number, Node>();
  private idOf = new WeakMap<Node, number>();
  private docScroll: [number, number] = [0, 0];

  /**
   * `frame` must be sandboxed without `allow-scripts`; the rebuild refuses
   * anything else rather than trust the page's markup to a scripting context.
   */
  constructor(
    private readonly frame: HTMLIFrameElement,
    private readonly listener: RebuildListener = {},
  ) {
    const sandbox = frame.getAttribute('sandbox');
    if (sandbox === null || /allow-scripts/i.test(sandbox)) {
      throw new Error('Tandem rebuild needs an iframe sandboxed without allow-scripts.');
    }
  }

  get document(): Document {
    return this.frame.contentDocument!;
  }

  /** Applies one batch of events; unknown ids are skipped, never guessed at. */
  apply(events: DomEvent[]): void {
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
          break;
      }
    }
  }

  private snapshot(s: Snapshot): void {
    const doc = this.document;
    // A fresh document each time: the doctype decides standards or quirks mode.
    doc.open();
    doc.write(s.quirks ? '' : '<!DOCTYPE html>');
    doc.close();
    this.nodes = new Map([[DOCUMENT_ID, doc]]);
    this.idOf = new WeakMap([[doc, DOCUMENT_ID]]);
    const next = { id: s.firstId };
    const root = this.build(s.root, next, NS.html) as Element;
    // The base goes in before the tree is connected: stylesheets and images
    // start loading on connection and must resolve against the page's address.
    this.addBase(root, s.base);
    doc.replaceChild(root, doc.documentElement);
    this.listener.viewport?.(s.width, s.height);
    this.listener.snapshot?.(s);
    // Stylesheets arriving later change the layout; keep the window where the visitor has it.
    doc.addEventListener('load', () => this.restoreScroll(), true);
  }

  /** Relative URLs of the page resolve against its base; its own <base> elements were neutralised. */
  private addBase(root: Element, base: string): void {
    const doc = this.document;
    let head = Array.from(root.children).find((c) => c.localName === 'head');
    if (!head) {
      head = doc.createElement('head');
      root.prepend(head);
    }
    const el = doc.createElement('base');
    el.setAttribute('href', safeAttr('a', 'href', base) ?? 'about:invalid');
    head.prepend(el);
  }

  private build(node: SerializedNode, next: { id: number }, ns: string): Node {
    const doc = this.document;
    const id = next.id++;
    let out: Node;
    if (typeof node === 'string') {
      out = doc.createTextNode(node);
    } else if (node[0] === '#') {
      out = doc.createComment(node[1] as string);
    } else {
      out = this.element(node as SerializedElement, next, ns);
    }
    this.nodes.set(id, out);
    this.idOf.set(out, id);
    return out;
  }

  private element(node: SerializedElement, next: { id: number }, parentNs: string): Node {
    const doc = this.document;
    const tag = node[0];
    const ltag = tag.toLowerCase();
    if (isInertTag(ltag)) {
      skipIds(node, next);
      return doc.createComment(ltag);
    }
    const ns = ltag === 'svg' ? NS.svg : ltag === 'math' ? NS.math : parentNs;
    let el: Element;
    try {
      el = ns === NS.html ? doc.createElement(tag) : doc.createElementNS(ns, tag);
    } catch {
      skipIds(node, next);
      return doc.createComment('invalid element');
    }
    const attrs = node[1] || {};
    for (const name of Object.keys(attrs)) {
      if (name.charCodeAt(0) !== 32) this.setAttr(el, ltag, name, attrs[name]!);
    }
    const blocked = attrs[PROP.blocked];
    if (blocked !== undefined) {
      const [w, h] = blocked.split(',');
      el.setAttribute('style', `display:inline-block;width:${Number(w) || 0}px;height:${Number(h) || 0}px;background:#d9dde3`);
    }
    const childNs = ltag === 'foreignobject' ? NS.html : ns;
    for (let i = 2; i < node.length; i++) el.appendChild(this.build(node[i] as SerializedNode, next, childNs));
    if (ltag === 'style' && el.textContent) el.textContent = safeCss(el.textContent);
    this.setProps(el, attrs);
    return el;
  }

  private setAttr(el: Element, tag: string, name: string, value: string | null): void {
    if (value === null) {
      el.removeAttribute(name);
      return;
    }
    const safe = safeAttr(tag, name, value);
    if (safe === null) return;
    try {
      if (name.startsWith('xlink:')) el.setAttributeNS(NS.xlink, name, safe);
      else if (name.startsWith('xml:')) el.setAttributeNS(NS.xml, name, safe);
      else if (name === 'xmlns' || name.startsWith('xmlns:')) return;
      else el.setAttribute(name, safe);
    } catch {
      // An attribute name the DOM refuses (the parser is laxer than setAttribute).
    }
  }

  private setProps(el: Element, attrs: Record<string, string>): void {
    const value = attrs[PROP.value];
    if (value !== undefined) (el as HTMLInputElement).value = value;
    const checked = attrs[PROP.checked];
    if (checked !== undefined) (el as HTMLInputElement).checked = checked === '1';
  }

  private mutations(m: MutationBatch): void {
    for (const id of m.r ?? []) {
      const node = this.nodes.get(id);
      if (!node) continue;
      this.forget(node);
      node.parentNode?.removeChild(node);
    }
    for (const [parentId, beforeId, firstId, serialized] of m.a ?? []) {
      const parent = this.nodes.get(parentId);
      if (!parent) continue;
      const ns = parent.nodeType === 1 ? namespaceFor(parent as Element) : NS.html;
      const node = this.build(serialized, { id: firstId }, ns);
      const before = beforeId ? this.nodes.get(beforeId) : null;
      parent.insertBefore(node, before && before.parentNode === parent ? before : null);
    }
    for (const [id, name, value] of m.at ?? []) {
      const el = this.nodes.get(id);
      if (el?.nodeType === 1) this.setAttr(el as Element, (el as Element).localName.toLowerCase(), name, value);
    }
    for (const [id, text] of m.tx ?? []) {
      const node = this.nodes.get(id);
      if (!node || !('data' in node)) continue;
      (node as CharacterData).data = node.parentNode?.nodeName === 'STYLE' ? safeCss(text) : text;
    }
  }

  /** Drops the ids of a removed subtree so the maps do not grow for the life of the session. */
  private forget(node: Node): void {
    const id = this.idOf.get(node);
    if (id !== undefined) this.nodes.delete(id);
    for (let c = node.firstChild; c; c = c.nextSibling) this.forget(c);
  }

  private input(id: number, value: string | boolean): void {
    const el = this.nodes.get(id) as HTMLInputElement | undefined;
    if (!el || el.nodeType !== 1) return;
    if (typeof value === 'boolean') el.checked = value;
    else el.value = value;
  }

  private scroll(id: number, x: number, y: number): void {
    if (id === DOCUMENT_ID) {
      this.docScroll = [x, y];
      this.restoreScroll();
      return;
    }
    const el = this.nodes.get(id) as Element | undefined;
    if (el?.nodeType === 1) el.scrollTo(x, y);
  }

  private restoreScroll(): void {
    this.document.defaultView?.scrollTo(this.docScroll[0], this.docScroll[1]);
  }
}

function namespaceFor(el: Element): string {
  if (el.localName === 'foreignObject') return NS.html;
  return el.namespaceURI ?? NS.html;
}

/** An element rebuilt as a placeholder still owns the ids of its serialized subtree. */
function skipIds(node: SerializedNode, next: { id: number }): void {
  if (typeof node === 'string' || node[0] === '#') return;
  for (let i = 2; i < node.length; i++) {
    next.id++;
    skipIds(node[i] as SerializedNode, next);
  }
}
