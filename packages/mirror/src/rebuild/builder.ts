/**
 * Builds DOM nodes from their serialized form, inside the mirror's documents.
 * Every element and attribute passes the rules of sanitize.ts. Work that needs
 * the node to be in a live document (nested documents, showModal, drawing a
 * canvas) is queued and run by `connected()` once the tree is attached.
 */
import { DOC_TAG, PROP, SHADOW_TAG, isFrameTag, type Attrs, type SerializedElement, type SerializedNode } from '@tandem/protocol';
import { idsBelow, skippedIds } from './depth.js';
import { dom } from './dom.js';
import { NS, childContext, namespaceOf, type ChildContext } from './namespaces.js';
import { isInertName, isInertTag, isPlainTag, isStylesheetRel, safeAttr, standInMedia } from './sanitize.js';
import { FOCUS_RING_CSS, sheetCss } from './state-css.js';
import { ringOf } from './states.js';
import { setRelayed, standInElement } from './resources.js';
import { inlineSprite } from './sprite.js';

/** Marks the few elements the rebuild adds itself (its <base> and <style>). */
export const MIRROR_ATTR = 'data-tandem-mirror';

/** Nested frames of the mirror: script-free like the top one, whatever the page asked for. */
export const MIRROR_SANDBOX = 'allow-same-origin';

export interface NodeMap {
  set(id: number, node: Node): void;
  /** `next` takes the id of `prev` (an element rebuilt as another kind). */
  replace(prev: Node, next: Node): void;
}

const NO_IDS: NodeMap = { set() {}, replace() {} };

/** Gives a stand-in for a link the media it applies in: the link's, or none for an alternate sheet. */
function fitMedia(standIn: Element, link: Element): void {
  const media = standInMedia(dom.getAttribute(link, 'rel'), dom.getAttribute(link, 'media'));
  if (media) dom.setAttribute(standIn, 'media', media);
  else dom.removeAttribute(standIn, 'media');
}

/** Attributes that change what a <link> loads or whether it applies: on a stand-in, the link is put back. */
const LOADS = new Set(['href', 'rel', 'disabled', 'type', 'crossorigin']);
/**
 * A link's attributes a stand-in for it never takes (linkAttr): a probe would load again and lose its rewrite (`as`,
 * `sizes` too, in Blink), and a <style> given a title joins the page's sets of titled sheets.
 */
const ON_LINK = new Set([...LOADS, 'title', 'media', 'as', 'sizes', 'integrity', 'referrerpolicy', 'fetchpriority', 'blocking']);

export class Builder {
  private jobs: (() => void)[] = [];
  /** Last pixels of each canvas, painted again when the page rewrites its style attribute. */
  private readonly canvases = new WeakMap<Element, string>();
  /** The <link> each stand-in (a <style> of its rules, or a probe: cross-sheets.ts) took the place of. */
  private readonly linkOf = new WeakMap<Element, Element>();

  constructor(private readonly nodes: NodeMap) {}

  /** Builds `node` in `doc` with ids from `next.id` on, in pre-order. */
  build(doc: Document, node: SerializedNode, next: { id: number }, context: ChildContext): Node {
    const id = next.id++;
    let out: Node;
    if (typeof node === 'string') out = dom.createText(doc, node);
    else if (node[0] === '#') out = dom.createComment(doc, node[1] as string);
    else out = this.element(doc, node as SerializedElement, next, context);
    this.nodes.set(id, out);
    return out;
  }

  /** Registers a node that is not built (the mirror's top document). */
  setRoot(id: number, node: Node): void {
    this.nodes.set(id, node);
  }

  /** Runs the work queued for nodes that are now attached, including nested documents' own. */
  connected(): void {
    while (this.jobs.length) {
      const jobs = this.jobs;
      this.jobs = [];
      for (const job of jobs) {
        try {
          job();
        } catch {
          // One odd element (a dialog that cannot open) must not stop the rest.
        }
      }
    }
  }

  /** Builds a nested document into an attached iframe of the mirror. */
  fillFrame(frame: HTMLIFrameElement, docNode: SerializedElement, docId: number): void {
    const doc = frame.contentDocument;
    if (!doc) return;
    dom.reset(doc, true);
    this.nodes.set(docId, doc);
    const attrs = docNode[1] || {};
    addBase(doc, dom.documentElement(doc)!, attrs[PROP.base] ?? '');
    const root = docNode[2];
    if (root !== undefined) {
      const el = this.build(doc, root, { id: docId + 1 }, NS.html) as Element;
      addBase(doc, el, attrs[PROP.base] ?? '');
      dom.replace(doc, el, dom.documentElement(doc)!);
    }
    this.adopt(doc, attrs[PROP.adopted] ?? '');
  }

  /** Sets the adopted stylesheets of a mirror document or shadow root. */
  adopt(root: Document | ShadowRoot, css: string): void {
    const win = dom.viewOf(root);
    if (!win) return;
    // The focus ring a shadow root was given (states.ts) stays first.
    const ring = ringOf(root);
    if (!css) {
      dom.setAdopted(root, ring);
      return;
    }
    // A sheet can only be adopted by documents of the window that constructed it.
    const sheet = new win.CSSStyleSheet();
    sheet.replaceSync(sheetCss(css));
    dom.setAdopted(root, [...ring, sheet]);
  }

  setAttr(el: Element, name: string, value: string | null): void {
    const link = this.linkOf.get(el);
    if (value === null && name === PROP.css) {
      // A link whose rules the visitor's page cannot read (another origin's, or not loaded): the mirror's own <link>
      // loads them (taken as empty, they made an empty <style>, and a sheet a page added from a CDN was lost). A
      // <style> of the rules it could read before goes back to being the link; a probe that read them (a <link>,
      // cross-sheets.ts) stays: the page says null at every load of such a link, and may make loads at will.
      if (link && dom.localName(el) === 'style') this.putBack(el, link);
      return;
    }
    if (name.charCodeAt(0) === 32) return this.setProp(el, name, value ?? '');
    if (link) {
      if (ON_LINK.has(name)) return this.linkAttr(el, link, name, value);
      this.setAttr(link, name, value); // kept for putBack, and set on the stand-in too
    }
    const tag = dom.localName(el).toLowerCase();
    const safe = value === null ? null : safeAttr(tag, name, value);
    try {
      if (safe === null) {
        // Removed, or refused: a value that was safe before must not linger either.
        if (tag === 'dialog' && name === 'open' && (el as HTMLDialogElement).open) (el as HTMLDialogElement).close();
        dom.removeAttribute(el, name);
      } else if (name.startsWith('xlink:')) dom.setAttributeNS(el, NS.xlink, name, safe);
      else if (name.startsWith('xml:')) dom.setAttributeNS(el, NS.xml, name, safe);
      else if (name !== 'xmlns' && !name.startsWith('xmlns:')) dom.setAttribute(el, name, safe);
    } catch {
      // An attribute name the DOM refuses (the parser is laxer than setAttribute).
    }
    // A <link> fetches what its rel says: only stylesheets may keep an address.
    if (tag === 'link' && (name === 'rel' || name === 'href') && !isStylesheetRel(dom.getAttribute(el, 'rel'))) dom.removeAttribute(el, 'href');
    const pixels = name === 'style' ? this.canvases.get(el) : undefined;
    if (pixels) paintCanvas(el as HTMLElement, pixels);
  }

  /** State carried beside attributes (see PROP in the protocol). */
  setProp(el: Element | ShadowRoot | Document, name: string, value: string): void {
    if (name === PROP.adopted) return this.adopt(el as Document | ShadowRoot, value);
    const e = el as HTMLInputElement;
    switch (name) {
      case PROP.value:
        e.value = value;
        break;
      case PROP.checked:
        e.checked = value === '1';
        break;
      case PROP.indeterminate:
        e.indeterminate = value === '1';
        break;
      case PROP.selected:
        (el as HTMLOptionElement).selected = value === '1';
        break;
      case PROP.css: {
        const element = el as Element;
        if (dom.localName(element) === 'link') {
          // The link, or the one a probe stands in for (cross-sheets.ts), whose rules the visitor's page now reads.
          const link = this.linkOf.get(element) ?? element;
          const attrs = { rel: dom.getAttribute(link, 'rel') ?? '', media: dom.getAttribute(link, 'media') ?? '', [PROP.css]: value };
          const style = this.inlineSheet(element.ownerDocument, attrs);
          this.replaceLink(element, style, link);
        } else {
          dom.setText(element, sheetCss(value));
        }
        break;
      }
      case PROP.canvas:
        this.canvases.set(el as Element, value);
        // Once attached: whether it must become inline-block depends on its computed display.
        this.jobs.push(() => paintCanvas(el as HTMLElement, value));
        break;
      case PROP.relayed:
        setRelayed(el as Element, value);
        break;
      case PROP.sprite:
        // Once attached (the copy goes beside the <use>), by a builder of its own: its nodes have no ids in the mirror.
        this.jobs.push(() => inlineSprite(el as Element, value, (doc, node) => new Builder(NO_IDS).build(doc, node, { id: 0 }, NS.svg)));
        break;
      case PROP.media:
        this.jobs.push(() => setMedia(el as HTMLMediaElement, value));
        break;
      case PROP.modal:
        this.jobs.push(() => setModal(el as HTMLDialogElement, value === '1'));
        break;
      case PROP.popover:
        this.jobs.push(() => setPopover(el as HTMLElement, value === '1'));
        break;
      case PROP.foreign:
        this.jobs.push(() => foreignPlaceholder(el as HTMLIFrameElement, value));
        break;
      case PROP.blocked: {
        const [w, h] = value.split(',');
        dom.setAttribute(el as Element, 'style', `display:inline-block;width:${Number(w) || 0}px;height:${Number(h) || 0}px;background:#d9dde3`);
        break;
      }
    }
  }

  private element(doc: Document, node: SerializedElement, next: { id: number }, context: ChildContext): Node {
    const tag = node[0];
    const ltag = tag.toLowerCase();
    // A prefix ("svg:script", "x:script") would make createElementNS give the
    // local name "script" past the rules below: names are plain or refused.
    if (isInertTag(ltag) || !isPlainTag(tag)) {
      if (isInertName(ltag)) {
        skipIds(node, next);
        return dom.createComment(doc, ltag);
      }
      return this.standIn(doc, node, next, context);
    }
    const ns = namespaceOf(ltag, context);
    const attrs: Attrs = node[1] || {};
    if (ltag === 'link' && attrs[PROP.css] !== undefined) {
      const style = this.inlineSheet(doc, attrs);
      this.keepLink(style, attrs);
      return style;
    }
    let el: Element;
    try {
      el = ns === NS.html ? dom.createElement(doc, tag) : dom.createElementNS(doc, ns, tag);
    } catch {
      return this.standIn(doc, node, next, context);
    }
    // And once more on what the DOM made of the name.
    if (isInertTag(dom.localName(el))) {
      skipIds(node, next);
      return dom.createComment(doc, ltag);
    }
    for (const name of Object.keys(attrs)) if (name.charCodeAt(0) !== 32) this.setAttr(el, name, attrs[name]!);
    if (isFrameTag(ltag)) dom.setAttribute(el, 'sandbox', MIRROR_SANDBOX);
    if (ltag === 'link' && !isStylesheetRel(attrs.rel ?? null)) dom.removeAttribute(el, 'href');
    this.children(el, node, next, childContext(ltag, ns, attrs));
    next.id += skippedIds(node);
    this.props(el, attrs);
    return el;
  }

  /** Builds the serialized children of `node` into `el`, which has none yet. */
  children(el: Element, node: SerializedElement, next: { id: number }, context: ChildContext): void {
    const doc = el.ownerDocument;
    for (let i = 2; i < node.length; i++) {
      const child = node[i] as SerializedNode;
      if (Array.isArray(child) && child[0] === SHADOW_TAG) this.shadow(el, child, next, context);
      else if (Array.isArray(child) && child[0] === DOC_TAG) this.nestedDocument(el as HTMLIFrameElement, child, next);
      else dom.append(el, this.build(doc, child, next, context));
    }
  }

  /** Sets the properties carried beside the attributes: after the children, as options need their select. */
  props(el: Element, attrs: Attrs, except?: string): void {
    for (const name of Object.keys(attrs)) if (name.charCodeAt(0) === 32 && name !== except) this.setProp(el, name, attrs[name]!);
  }

  /**
   * An element whose name the rebuild does not create keeps its content: its
   * children go into a neutral element (see standInElement) that renders like
   * an unknown one.
   */
  private standIn(doc: Document, node: SerializedElement, next: { id: number }, context: ChildContext): Node {
    const el = standInElement(doc, node[1] || {}, (e, name, value) => this.setAttr(e, name, value));
    for (let i = 2; i < node.length; i++) {
      const child = node[i] as SerializedNode;
      // Shadow roots and documents belong to a host the stand-in is not.
      if (Array.isArray(child) && (child[0] === SHADOW_TAG || child[0] === DOC_TAG)) skipIds([child[0], 0, child], next);
      else dom.append(el, this.build(doc, child, next, context));
    }
    next.id += skippedIds(node);
    return el;
  }

  /**
   * Puts a stand-in in the place of `was` (a link, or a stand-in for one) in the tree and the node table: a <style> of
   * the link's rules, or a probe that read them (cross-sheets.ts). `link` is what goes back in its place (putBack).
   */
  replaceLink(was: Element, standIn: Element, link: Element): void {
    this.linkOf.delete(was);
    const parent = dom.parent(was);
    if (parent) {
      if (dom.parent(standIn) !== parent) dom.replace(parent, standIn, was);
      else dom.remove(parent, was);
    }
    this.nodes.replace(was, standIn);
    this.linkOf.set(standIn, link);
  }

  /** A probe that read a cross-origin link's rules, its states rewritten (cross-sheets.ts), stands in for the link. */
  probed(link: Element, probe: Element): void {
    fitMedia(probe, link);
    this.replaceLink(link, probe, this.linkOf.get(link) ?? link);
  }

  /** A <style> built from a link whose rules came with it keeps a link of its attributes, unconnected, for putBack. */
  keepLink(style: Element, attrs: Attrs): void {
    const link = dom.createElement(style.ownerDocument, 'link');
    for (const name of Object.keys(attrs)) if (name.charCodeAt(0) !== 32) this.setAttr(link, name, attrs[name]!);
    this.linkOf.set(style, link);
  }

  /**
   * A change to a link a stand-in took the place of. The link keeps it, to be put back as it is then; the stand-in
   * takes only its media. For another sheet (or none), the stand-in, which holds the rules of the sheet the link had,
   * goes: the link loads again, and its rules come again, from the visitor's page or a probe.
   */
  private linkAttr(standIn: Element, link: Element, name: string, value: string | null): void {
    const before = dom.getAttribute(link, name);
    this.setAttr(link, name, value);
    if (dom.getAttribute(link, name) === before) return;
    if (LOADS.has(name)) return this.putBack(standIn, link);
    fitMedia(standIn, link);
  }

  /** The link a stand-in took the place of, back in its place: it loads what its attributes say now. */
  private putBack(standIn: Element, link: Element): void {
    this.linkOf.delete(standIn);
    const parent = dom.parent(standIn);
    if (parent) dom.replace(parent, link, standIn);
    this.nodes.replace(standIn, link);
  }

  /** A stylesheet link whose rules came with it: a <style>, so the mirror shows the CSSOM's state. */
  private inlineSheet(doc: Document, attrs: Attrs): Element {
    const style = dom.createElement(doc, 'style');
    const media = standInMedia(attrs.rel, attrs.media);
    if (media) dom.setAttribute(style, 'media', media);
    dom.setText(style, sheetCss(attrs[PROP.css]!));
    return style;
  }

  /** Attaches (or refills) an open shadow root on `host`. */
  shadow(host: Element, node: SerializedElement, next: { id: number }, context: ChildContext): void {
    const id = next.id++;
    let root: ShadowRoot;
    try {
      root = host.shadowRoot ?? dom.attachShadow(host);
    } catch {
      skipIds(node, next); // not a host that can have a shadow root
      return;
    }
    root.replaceChildren();
    this.nodes.set(id, root);
    for (let i = 2; i < node.length; i++) dom.append(root, this.build(host.ownerDocument, node[i] as SerializedNode, next, context));
    const css = (node[1] || {})[PROP.adopted];
    if (css !== undefined) this.adopt(root, css);
  }

  /** A same-origin iframe's document: built once the iframe is attached and has its own document. */
  nestedDocument(frame: HTMLIFrameElement, node: SerializedElement, next: { id: number }): void {
    const docId = next.id++;
    skipIds(node, next);
    this.jobs.push(() => this.fillFrame(frame, node, docId));
  }
}

/** The page's base URL, set before the tree is connected so its resources resolve against it. */
export function addBase(doc: Document, root: Element, base: string): void {
  let head: Node | null = dom.firstChild(root);
  while (head && !(dom.type(head) === 1 && dom.localName(head as Element) === 'head')) head = dom.nextSibling(head);
  if (!head) {
    head = dom.createElement(doc, 'head');
    dom.insertBefore(root, head, dom.firstChild(root));
  }
  const el = dom.createElement(doc, 'base');
  dom.setAttribute(el, 'href', safeAttr('a', 'href', base) ?? 'about:invalid');
  const style = dom.createElement(doc, 'style');
  dom.setText(style, MIRROR_CSS);
  // Marked as the mirror's own, not the page's.
  dom.setAttribute(el, MIRROR_ATTR, '');
  dom.setAttribute(style, MIRROR_ATTR, '');
  const first = dom.firstChild(head);
  dom.insertBefore(head, el, first);
  dom.insertBefore(head, style, first);
}

/**
 * Differences of a document without scripting, undone: there media elements
 * show their controls even when the page did not ask for them. And the focus
 * ring the visitor's browser draws (states.ts).
 */
export const MIRROR_CSS = `:where(video, audio):not([controls])::-webkit-media-controls { display: none !important; }\n${FOCUS_RING_CSS}`;

/** An element rebuilt as a placeholder still owns the ids of its serialized subtree. */
export function skipIds(node: SerializedNode, next: { id: number }): void {
  next.id += idsBelow(node);
}

/**
 * Where scripting is off, as in the mirror, a canvas renders as its fallback
 * content, not as a replaced element: it gets the visitor's used size and its
 * pixels as a background image.
 */
function paintCanvas(el: HTMLElement, value: string): void {
  const [width, height] = value.split(',', 2);
  const url = value.slice(width!.length + height!.length + 2);
  if (!url.startsWith('data:image/') || /["\\\n]/.test(url)) return;
  const s = el.style;
  s.setProperty('width', width!);
  s.setProperty('height', height!);
  if (s.display === '' && el.ownerDocument.defaultView?.getComputedStyle(el).display === 'inline') s.setProperty('display', 'inline-block');
  // Longhands only: the page's own background colour stays under the pixels.
  s.setProperty('background-image', `url("${url}")`);
  s.setProperty('background-origin', 'content-box');
  s.setProperty('background-repeat', 'no-repeat');
  s.setProperty('background-size', '100% 100%');
}

const framedMedia = new WeakSet<HTMLMediaElement>();

function setMedia(media: HTMLMediaElement, state: string): void {
  const [play, time, framed] = state.split(',');
  // The agent watches; the visitor's sound stays with the visitor.
  media.muted = true;
  const t = Number(time);
  // A seek replaces the poster by a frame, even a seek to where it already is.
  const showFrame = framed === '1' && !framedMedia.has(media);
  if (showFrame) framedMedia.add(media);
  if (Number.isFinite(t) && (showFrame || Math.abs(media.currentTime - t) > 0.25)) {
    // A seek on media that has not loaded only sets a start position: load it, as the visitor's has.
    if (media.readyState === 0) {
      media.preload = 'auto';
      media.load();
    }
    media.currentTime = t;
  }
  if (play === 'playing') media.play().catch(() => {});
  else media.pause();
}

function setModal(dialog: HTMLDialogElement, modal: boolean): void {
  if (modal && !dialog.matches(':modal')) {
    if (dialog.open) dialog.close();
    dialog.showModal();
  } else if (!modal && dialog.matches(':modal')) {
    dialog.close();
  }
}

function setPopover(el: HTMLElement, open: boolean): void {
  if (open && !el.matches(':popover-open')) el.showPopover();
  else if (!open && el.matches(':popover-open')) el.hidePopover();
}

function foreignPlaceholder(frame: HTMLIFrameElement, host: string): void {
  const doc = frame.contentDocument;
  if (!doc) return;
  dom.reset(doc, true);
  const body = dom.createElement(doc, 'body');
  dom.replace(dom.documentElement(doc)!, body, dom.documentElement(doc)!.lastChild!);
  dom.setAttribute(
    body,
    'style',
    'margin:0;height:100vh;display:flex;align-items:center;justify-content:center;background:repeating-linear-gradient(45deg,#f1f5f9,#f1f5f9 10px,#e2e8f0 10px,#e2e8f0 20px);font:13px system-ui,sans-serif;color:#475569;text-align:center',
  );
  // No host: the frame's address has none (a javascript: or about: frame the visitor's page cannot read either).
  dom.setText(body, `Content from ${host || 'another site'} is not shared`);
}
