/**
 * Turns live nodes into the compact SerializedNode form (see protocol's dom.ts),
 * numbering them in pre-order and applying masking on the way. Open shadow
 * roots and same-origin iframe documents are serialized in place, as children
 * of their host.
 */
import { DOCUMENT_ID, PROP, SHADOW_TAG, type Attrs, type SerializedElement, type SerializedNode } from '@tandem/protocol';
import { maskText, safeMatches, type Masker } from './mask.js';
import { adoptedCss, isStylesheetLink, linkCss, styleElementCss } from './styles.js';
import { Walk } from './walk.js';
import { canvasProp } from './canvas.js';
import { frameDocument } from './lookup.js';

/** Elements whose children are not mirrored: their content never renders, runs, or is read from elsewhere. */
const OPAQUE = new Set(['script', 'noscript', 'textarea', 'iframe', 'template', 'style']);

/** Elements with this attribute are left out of the mirror entirely. */
export const IGNORE_ATTR = 'data-tandem-ignore';

export function mirrorsChildren(node: Node): boolean {
  return node.nodeType !== 1 || !OPAQUE.has((node as Element).localName);
}

/**
 * A snapshot's numbering of the page's nodes (and of the changes after it): the ids the mirror knows them by.
 *
 * Each id is kept on the node itself, as a property under a symbol of this capture's own. A WeakMap entry per node
 * costs more: hashing every node, and every garbage collection after it tracing the map's tens of thousands of
 * entries (on the 1.6 MB bench page, 2026-12-07: the bench's floor walk took a fifth longer with one, capture alone
 * about 7% more CPU together with the walk's fewer lookups). Numberings of one capture follow each other without reuse, so an id below
 * `first` is an earlier snapshot's, left on a node this one has not met (inside a blocked element, say), and counts as
 * none; a capture started later has a symbol of its own. A page that reads the symbol off a node and forges ids only
 * confuses its own mirror: masking and blocking are decided on the node, never by its id.
 */
export class NodeIds {
  private readonly first: number;

  constructor(
    /** The top document: its id is DOCUMENT_ID, outside every numbering. */
    private readonly doc: Document,
    private next = DOCUMENT_ID + 1,
    private readonly key: symbol = Symbol(),
  ) {
    this.first = next;
  }

  /** Nodes the page froze (Object.freeze, preventExtensions): they take no property, so their ids are kept here. */
  private frozen: WeakMap<Node, number> | null = null;

  /**
   * The next snapshot's numbering: it goes on from this one's ids, none given again; after a billion ids (the
   * protocol's bound on an id is 2^31 - 1), from the start under a new symbol, which makes every old id unknown.
   */
  renumber(): NodeIds {
    return this.next < 2 ** 30 ? new NodeIds(this.doc, this.next, this.key) : new NodeIds(this.doc);
  }

  get(node: Node): number | undefined {
    if (node === this.doc) return DOCUMENT_ID;
    // The map first: a node frozen after an earlier snapshot numbered it still holds that snapshot's id.
    const id = this.frozen?.get(node) ?? (node as unknown as Record<symbol, number | undefined>)[this.key];
    return id !== undefined && id >= this.first ? id : undefined;
  }

  /** The id the next serialized node will get. */
  peek(): number {
    return this.next;
  }

  assign(node: Node): number {
    const id = this.next++;
    try {
      (node as unknown as Record<symbol, number>)[this.key] = id;
    } catch {
      (this.frozen ??= new WeakMap()).set(node, id);
    }
    return id;
  }
}

/**
 * A node serialized without its children, and where the walk goes next. `shell` fills one the walk gives it (the walk's
 * own record of an open element, see walk.ts): a snapshot asks for one per node, tens of thousands, and a new object
 * for each was garbage for the collector.
 */
export interface Shell {
  value: SerializedNode;
  /** Whether its content is masked. */
  masked: boolean;
  /**
   * Whose children follow (the element itself, or a shadow root); null or absent for none. For an iframe, the iframe,
   * whose document is serialized as its only child when it is same-origin.
   */
  children?: Node | null;
  /** An open shadow root, serialized as the first child. */
  shadow?: ShadowRoot | null;
}

export interface SerializeHooks {
  /** A shadow root or nested document was serialized: observe it from now on. */
  root(root: ShadowRoot | Document): void;
  /** A canvas was serialized, with the pixels sent: they are sent again when they change. */
  canvas(canvas: HTMLCanvasElement, pixels: string | undefined): void;
  /** An element that may need a resource only the visitor can read (see resources.ts) was serialized or changed. */
  resource?(el: Element): void;
}

/** Elements whose resources capture may relay, and the attributes that name them. */
const RELAYED = new Set(['img', 'video', 'image', 'use']);
const RELAYED_ATTRS = new Set(['src', 'poster', 'href', 'xlink:href']);

export class Serializer {
  /** True while a full snapshot is taken: masking rules are then matched once per tree. */
  snapshotting = false;
  /** Elements sent masked, or blocked: when a rule starts or stops applying, they are sent again. */
  readonly sentMasked = new WeakSet<Element>();
  readonly sentBlocked = new WeakSet<Element>();
  private anyRule = false;

  constructor(
    private readonly ids: NodeIds,
    readonly masker: Masker,
    private readonly hooks: SerializeHooks,
  ) {}

  /** Serializes `node` and its whole subtree at once; `masked` says whether its parent's content is masked. */
  node(node: Node, masked: boolean): SerializedNode | null {
    const walk = new Walk(this, this.ids);
    const out = walk.start(node, masked);
    walk.run(Infinity);
    return out;
  }

  text(node: CharacterData, masked: boolean): string {
    return masked ? maskText(node.data) : node.data;
  }

  /** The document of a same-origin iframe, whole; null for a cross-origin one (it stays a placeholder). */
  nestedDocument(frame: HTMLIFrameElement, masked: boolean): SerializedElement | null {
    const walk = new Walk(this, this.ids);
    const out = walk.nestedDocument(frame, masked);
    walk.run(Infinity);
    return out;
  }

  /**
   * One node without its children, written into `out`: the compact form (an array its children are pushed into) and
   * what the walk must descend into. Null when the node is not mirrored.
   */
  shell(node: Node, masked: boolean, out: Shell): Shell | null {
    switch (node.nodeType) {
      case 3: // text
      case 4: // CDATA
        this.ids.assign(node);
        return fill(out, this.text(node as Text, masked), masked);
      case 8: // comment
        this.ids.assign(node);
        return fill(out, ['#', (node as Comment).data], masked);
      case 1:
        return this.elementShell(node as Element, masked, out);
      case 11: {
        const root = node as ShadowRoot;
        if (!root.host) return null;
        this.ids.assign(root);
        this.enterRoot(root);
        const css = adoptedCss(root);
        return fill(out, [SHADOW_TAG, css === null ? 0 : { [PROP.adopted]: css }], masked, root);
      }
      default:
        return null;
    }
  }

  /** A new tree to observe, whose masking rules are matched at once during a snapshot. */
  enterRoot(root: Document | ShadowRoot): void {
    this.hooks.root(root);
    if (this.snapshotting) this.masker.prepare(root);
  }

  /** The hot path of a snapshot: one pass over the attributes, no selector matching per element. */
  private elementShell(el: Element, parentMasked: boolean, out: Shell): Shell | null {
    // getAttributeNames + getAttribute: reading el.attributes makes an Attr object per attribute.
    const names = el.getAttributeNames();
    let attrs: Attrs | null = null;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      // The SDK's own UI marks itself so it is never part of what is shared.
      if (name === IGNORE_ATTR) return null;
      (attrs ??= {})[name] = el.getAttribute(name)!;
    }
    this.ids.assign(el);
    const tag = el.localName;
    if (this.masker.isBlocked(el)) {
      this.sentBlocked.add(el);
      this.anyRule = true;
      const box = el.getBoundingClientRect();
      return fill(out, [tag, { [PROP.blocked]: `${Math.round(box.width)},${Math.round(box.height)}` }], true);
    }
    const masked = this.masker.childState(el, parentMasked);
    if (masked) {
      this.sentMasked.add(el);
      this.anyRule = true;
    } else if (this.anyRule) {
      // Sent again after a rule stopped applying: forget the old state (pages without rules skip this).
      this.sentMasked.delete(el);
      this.sentBlocked.delete(el);
    }
    const value: SerializedElement = [tag, this.finishAttrs(el, attrs, masked) ?? 0];
    return fill(out, value, masked, OPAQUE.has(tag) && tag !== 'iframe' ? null : el, el.shadowRoot);
  }

  /** Masks what must be masked among the attributes read, and adds the element's properties. */
  private finishAttrs(el: Element, attrs: Attrs | null, masked: boolean): Attrs | null {
    const tag = el.localName;
    if (tag === 'script') return null; // never needed to render, and may carry secrets inline
    const maskValues = this.masker.masksValue(el, masked);
    if (maskValues && attrs) for (const name of Object.keys(attrs)) attrs[name] = this.masker.maskAttr(name, attrs[name]!);
    const props = this.props(el, maskValues, attrs);
    return props ? Object.assign(attrs ?? {}, props) : attrs;
  }

  /**
   * State that lives in properties, not attributes: form values, CSSOM, pixels,
   * play state. `attrs` are the element's attributes when the caller has read them.
   */
  props(el: Element, maskValues: boolean, attrs?: Attrs | null): Attrs | null {
    const tag = el.localName;
    switch (tag) {
      case 'input':
      case 'textarea':
      case 'select': {
        const field = el as HTMLInputElement;
        if (field.type === 'checkbox' || field.type === 'radio') {
          const state: Attrs = { [PROP.checked]: field.checked ? '1' : '' };
          if (field.indeterminate) state[PROP.indeterminate] = '1';
          return state;
        }
        if (tag === 'select') return null; // its options carry the selection
        return { [PROP.value]: maskValues ? maskText(field.value) : field.value };
      }
      case 'option':
        return { [PROP.selected]: (el as HTMLOptionElement).selected ? '1' : '' };
      case 'style':
        return { [PROP.css]: styleElementCss(el as HTMLStyleElement) };
      case 'link': {
        const css = isStylesheetLink(el) ? linkCss(el) : null;
        return css === null ? null : { [PROP.css]: css };
      }
      case 'canvas': {
        const prop = canvasProp(el as HTMLCanvasElement);
        this.hooks.canvas(el as HTMLCanvasElement, prop?.[PROP.canvas]);
        return prop;
      }
      case 'video':
      case 'audio':
        if (!maskValues && attrs !== undefined) this.hooks.resource?.(el);
        return { [PROP.media]: mediaState(el as HTMLMediaElement) };
      case 'dialog':
        return (el as HTMLDialogElement).open ? { [PROP.modal]: safeMatches(el, ':modal') ? '1' : '' } : null;
      case 'iframe':
      case 'frame':
        return foreignFrame(el as HTMLIFrameElement);
      default: {
        if (attrs !== undefined && !maskValues && RELAYED.has(tag)) this.hooks.resource?.(el);
        const popover = attrs === undefined ? el.hasAttribute('popover') : attrs !== null && 'popover' in attrs;
        return popover ? { [PROP.popover]: safeMatches(el, ':popover-open') ? '1' : '' } : null;
      }
    }
  }

  /** The current value of one attribute as it may travel. */
  attr(el: Element, name: string, masked: boolean): string | null {
    const value = el.getAttribute(name);
    if (value === null || el.localName === 'script') return null;
    const maskValues = this.masker.masksValue(el, masked);
    if (!maskValues && RELAYED_ATTRS.has(name) && RELAYED.has(el.localName)) this.hooks.resource?.(el);
    return maskValues ? this.masker.maskAttr(name, value) : value;
  }
}

function fill(out: Shell, value: SerializedNode, masked: boolean, children?: Node | null, shadow?: ShadowRoot | null): Shell {
  out.value = value;
  out.masked = masked;
  out.children = children;
  out.shadow = shadow;
  return out;
}

/** Media the visitor's page has seeked: a seeked element shows a frame, no longer its poster. */
const seekedMedia = new WeakSet<HTMLMediaElement>();

export function markSeeked(m: HTMLMediaElement): void {
  seekedMedia.add(m);
}

export function mediaState(m: HTMLMediaElement): string {
  const framed = m.played.length > 0 || m.currentTime > 0 || seekedMedia.has(m);
  return `${m.paused ? 'paused' : 'playing'},${Math.round(m.currentTime * 1000) / 1000},${framed ? 1 : 0}`;
}

function foreignFrame(frame: HTMLIFrameElement): Attrs | null {
  if (frameDocument(frame)) return null;
  const src = frame.getAttribute('src');
  if (!src) return null;
  try {
    return { [PROP.foreign]: new URL(src, frame.baseURI).host };
  } catch {
    return null;
  }
}
