/**
 * A snapshot built by one parse: the tree is written out as HTML and the
 * browser's parser makes the document, which is several times cheaper for a
 * large page than a DOM call per node and attribute. The parsed document is
 * then compared with the serialized tree node by node, which also numbers the
 * nodes. Where the parser made something else of it (markup a script built
 * that the parser would never produce: a <p> in a <p>, text directly in a
 * <table>, adjacent text nodes), the children of that element are built again
 * by the Builder, one DOM call at a time, as every later change is.
 *
 * The same rules as the Builder's apply, so the markup can say nothing the DOM
 * path would not do:
 * - element names must be plain (isPlainTag) and not inert; every other
 *   element is written as an empty comment and built by the Builder in its
 *   place, as are raw-text elements (their text cannot be escaped) and
 *   stylesheet links that carry their rules;
 * - every attribute passes safeAttr, with the Builder's extra rules (the
 *   mirror's own sandbox on frames, no address on a <link> that is not a
 *   stylesheet, no namespace declarations); names outside a plain set and
 *   values with U+0000 send their element to the Builder;
 * - text and attribute values are escaped; comments are written empty and get
 *   their text through the DOM; properties (PROP) are set through the Builder.
 * The frame stays sandboxed without scripts whatever the markup says.
 */
import { DOC_TAG, PROP, SHADOW_TAG, isFrameTag, type SerializedElement, type SerializedNode } from '@tandem/protocol';
import { Builder, MIRROR_ATTR, MIRROR_CSS, MIRROR_SANDBOX } from './builder.js';
import { NS, childContext, namespaceOf, type ChildContext } from './namespaces.js';
import { skippedIds } from './depth.js';
import { dom } from './dom.js';
import { isInertTag, isPlainTag, isStylesheetRel, safeAttr, standInMedia } from './sanitize.js';
import { sheetCss } from './state-css.js';

/** Elements whose content the parser reads as raw text: their children cannot be written escaped. */
const RAW_TEXT = new Set(['xmp', 'noembed', 'noframes', 'iframe', 'noscript', 'script', 'style']);
/**
 * Elements whose content the parser reads as text up to their end tag, with
 * character references: escaped texts can be written in them, nothing else
 * (an element's markup would be read as text, and an attribute value holding
 * "</title>" would end the element early and have the rest parsed as markup).
 */
const RCDATA = new Set(['title', 'textarea']);
/** Elements without an end tag: children written inside them would land beside them. */
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
  'param',
  'basefont',
  'bgsound',
  'keygen',
  'frame',
]);
/** Attribute names the tokenizer reads exactly as written. */
const PLAIN_ATTR = /^[a-zA-Z_][-a-zA-Z0-9_.:]*$/;
/** The prefixed names the parser puts in the xlink and xml namespaces (in SVG and MathML). */
const FOREIGN_ATTRS = new Set([
  'xlink:actuate',
  'xlink:arcrole',
  'xlink:href',
  'xlink:role',
  'xlink:show',
  'xlink:title',
  'xlink:type',
  'xml:lang',
  'xml:space',
]);
/** The parser drops a newline right after these start tags. */
const LEADING_NEWLINE = new Set(['pre', 'listing', 'textarea']);

const TEXT_ESCAPES = /[&<>\r]/g;
const ATTR_ESCAPES = /[&"<>\r]/g;
const ESCAPED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };
const escapeText = (s: string) => (/[&<>\r]/.test(s) ? s.replace(TEXT_ESCAPES, (c) => ESCAPED[c]!) : s);
// < and > need no escape in a quoted value; escaped, no value can look like a tag to anything reading the markup.
const escapeAttr = (s: string) => (/[&"<>\r]/.test(s) ? s.replace(ATTR_ESCAPES, (c) => ESCAPED[c]!) : s);

/** Text the markup cannot carry as written: the parser drops U+0000, and an empty text makes no node. */
function deferredText(text: string): boolean {
  return text === '' || text.includes('\0');
}

/**
 * The document's own elements: written anywhere else, the parser adds their
 * attributes to the document's (a <body> even from inside <svg>: it breaks
 * out of foreign content), or drops them.
 */
const DOCUMENT_TAGS = new Set(['html', 'head', 'body', 'frameset']);

/**
 * Whether an element is left to the Builder: written as an empty comment,
 * built in its place after the parse. `top`: the element is the document
 * element or one of its children.
 */
export function deferredElement(node: SerializedElement, ns: string, top = false): boolean {
  const tag = node[0];
  const ltag = tag.toLowerCase();
  if (!isPlainTag(tag) || isInertTag(ltag)) return true;
  // The HTML parser lowercases HTML names, and reads some as others (<image> is <img>).
  // <plaintext> has no end tag: everything after it would be its text.
  if (ns === NS.html && (tag !== ltag || ltag === 'image' || ltag === 'plaintext')) return true;
  if (!top && DOCUMENT_TAGS.has(ltag)) return true;
  const attrs = node[1] || null;
  if (ltag === 'link' && attrs && attrs[PROP.css] !== undefined && inlineCss(node, ns) === null) return true;
  if (ns === NS.html && node.length > 2 && (VOID.has(ltag) || RAW_TEXT.has(ltag) || RCDATA.has(ltag))) {
    // Children of a raw-text or void element: only a nested document or a shadow root can be said without markup;
    // of a <title> or <textarea>, texts too.
    const texts = RCDATA.has(ltag);
    for (let i = 2; i < node.length; i++) {
      const c = node[i];
      if (texts && typeof c === 'string') continue;
      if (!Array.isArray(c) || (c[0] !== DOC_TAG && c[0] !== SHADOW_TAG)) return true;
    }
  }
  if (attrs) {
    for (const name in attrs) {
      if (name.charCodeAt(0) === 32) continue;
      if (!PLAIN_ATTR.test(name) || attrs[name]!.includes('\0')) return true;
      // The Builder puts xlink: and xml: names in their namespaces; the parser does only for a few, in SVG and MathML.
      if ((name.startsWith('xlink:') || name.startsWith('xml:')) && (ns === NS.html || !FOREIGN_ATTRS.has(name))) return true;
    }
  }
  return false;
}

/**
 * The CSS of a <style>, or of a stylesheet <link> that carries its rules (the
 * Builder makes a <style> of it), to be written as the element's text: the
 * parser then applies it as it goes, where set afterwards it would make the
 * browser style the whole page twice. Null when there is none, or when the
 * text would end the element early.
 */
function inlineCss(node: SerializedElement, ns: string): string | null {
  const ltag = node[0];
  // The name first: looking up a property most attribute objects lack, on every element, is not free.
  if ((ltag !== 'style' && ltag !== 'link') || ns !== NS.html || !node[1]) return null;
  const css = node[1][PROP.css];
  if (css === undefined || /<\/style/i.test(css)) return null;
  return sheetCss(css);
}

/**
 * Elements a parse may not be left open in between two slices of a snapshot
 * (stream.ts), beside those whose text is read raw (RAW_TEXT, RCDATA) or whose
 * first newline is dropped (LEADING_NEWLINE): there the parser is in a mode of
 * its own (tables, selects, templates) or moves what follows elsewhere (an <a>
 * or <nobr> in one, a <form> in one). Foreign content is never left open, and
 * the document's own elements are built by the Builder below the top.
 */
const CLOSED_AT_END = new Set([
  'table',
  'caption',
  'colgroup',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'td',
  'th',
  'select',
  'option',
  'optgroup',
  'template',
  'a',
  'nobr',
  'form',
]);

/** Whether an element written as the last child of an open one may stay open itself (see CLOSED_AT_END). */
function mayStayOpen(ltag: string, ns: string, top: boolean): boolean {
  if (ns !== NS.html || RAW_TEXT.has(ltag) || RCDATA.has(ltag) || LEADING_NEWLINE.has(ltag)) return false;
  // The body is the one element of the top that stays open: the head's end decides the parser's mode after it.
  return top ? ltag === 'body' : !CLOSED_AT_END.has(ltag);
}

/**
 * What the writer decided for each element it wrote, so the matcher, which
 * walks the same elements with the same rules, need not decide again (the
 * checks read every attribute name): DEFERRED, left to the Builder; PROPS,
 * properties to set after the parse; ATTRS_AFTER, attributes written through
 * the DOM after the parse (see startTag). An element not in it is decided
 * again.
 */
const written = new WeakMap<SerializedElement, number>();
const DEFERRED = 1;
const PROPS = 2;
const ATTRS_AFTER = 4;

/** Writes the markup of a snapshot's root element, or of subtrees added to an element. */
export class Writer {
  out = '';
  /**
   * With `keepOpen`: the elements left without their end tag, from the top
   * down (the last child of each, as far as one may stay open), so the parse
   * can go on inside them with the next slice of the snapshot.
   */
  readonly open: SerializedElement[] = [];

  constructor(
    private readonly base: string,
    private readonly keepOpen = false,
  ) {}

  /** The mirror's own <base> and <style>, first in the head, before anything can resolve a URL. */
  private mirrorHead(): string {
    const href = escapeAttr(safeAttr('a', 'href', this.base) ?? 'about:invalid');
    return `<base href="${href}" ${MIRROR_ATTR}=""><style ${MIRROR_ATTR}="">${MIRROR_CSS}</style>`;
  }

  /** A subtree added after the snapshot (its parent's context decides how it is parsed). */
  subtree(node: SerializedElement, context: ChildContext): void {
    this.element(node, context, false, false);
  }

  /** Nodes added side by side at the end of an open element; `textBefore`: its last child is a text. */
  run(nodes: readonly SerializedNode[], context: ChildContext, textBefore: boolean): void {
    this.list(nodes, 0, context, false, this.keepOpen, textBefore);
  }

  root(root: SerializedElement): void {
    this.startTag(root, 'html');
    if (this.keepOpen) this.open.push(root);
    if (!hasHead(root)) this.out += `<head>${this.mirrorHead()}</head>`;
    this.children(root, NS.html, true, this.keepOpen);
    if (!this.keepOpen) this.out += '</html>';
  }

  private node(node: SerializedNode, context: ChildContext, top: boolean, last: boolean): void {
    if (typeof node === 'string') {
      this.out += deferredText(node) ? '<!---->' : escapeText(node);
    } else if (node[0] === '#') {
      this.out += '<!---->';
    } else {
      this.element(node as SerializedElement, context, top, last);
    }
  }

  /** `last`: the element is the last child of an open element, and may stay open itself. */
  private element(node: SerializedElement, context: ChildContext, top: boolean, last: boolean): void {
    const ltag = node[0].toLowerCase();
    const ns = namespaceOf(ltag, context);
    if (deferredElement(node, ns, top)) {
      written.set(node, DEFERRED);
      this.out += '<!---->';
      return;
    }
    const css = inlineCss(node, ns);
    if (css !== null && ltag === 'link') {
      // As the Builder's inlineSheet: a <style> with the link's media (none for an alternate sheet).
      const media = standInMedia(node[1] ? node[1].rel : null, node[1] ? node[1].media : null);
      this.out += `<style${media ? ` media="${escapeAttr(media)}"` : ''}>${css}</style>`;
      return;
    }
    written.set(node, this.startTag(node, ltag));
    if (css !== null) {
      this.out += css + '</style>';
      return;
    }
    if (top && ltag === 'head') this.out += this.mirrorHead();
    if (ns === NS.html && VOID.has(ltag)) return;
    if (ns === NS.html && LEADING_NEWLINE.has(ltag) && typeof node[2] === 'string' && node[2].charCodeAt(0) === 10) this.out += '\n';
    const open = last && mayStayOpen(ltag, ns, top);
    if (open) this.open.push(node);
    this.children(node, childContext(ltag, ns, node[1]), false, open);
    if (!open) this.out += `</${node[0]}>`;
  }

  private children(node: SerializedElement, context: ChildContext, top: boolean, open: boolean): void {
    this.list(node as unknown as readonly SerializedNode[], 2, context, top, open, false);
  }

  /** Writes `nodes` from `from` on; `open`: the last may stay open. */
  private list(nodes: readonly SerializedNode[], from: number, context: ChildContext, top: boolean, open: boolean, textBefore: boolean): void {
    let last = -1;
    if (open) {
      for (let i = nodes.length - 1; i >= from && last < 0; i--) {
        const c = nodes[i]!;
        if (!Array.isArray(c) || (c[0] !== SHADOW_TAG && c[0] !== DOC_TAG)) last = i;
      }
    }
    for (let i = from; i < nodes.length; i++) {
      const child = nodes[i]!;
      if (Array.isArray(child) && (child[0] === SHADOW_TAG || child[0] === DOC_TAG)) continue;
      const text = typeof child === 'string' && !deferredText(child);
      // Two texts in a row would be parsed as one: a comment keeps them apart, and goes after the parse.
      if (text && textBefore) this.out += '<!---->';
      textBefore = text;
      this.node(child, context, top, i === last);
    }
  }

  /** Writes the start tag; returns the flags of `written` for the element. */
  private startTag(node: SerializedElement, ltag: string): number {
    let out = '<' + node[0];
    let flags = 0;
    const attrs = node[1] || null;
    if (attrs) {
      for (const name in attrs) {
        if (name.charCodeAt(0) === 32) {
          flags |= PROPS; // a property, set after the parse
          continue;
        }
        if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
        if (name.toLowerCase().startsWith('shadowroot')) {
          // Written, it would make the parser attach a declarative shadow root; set through the DOM after the parse, it is a plain attribute, as the Builder sets it.
          flags |= ATTRS_AFTER;
          continue;
        }
        if (isFrameTag(ltag) && name.toLowerCase() === 'sandbox') continue;
        if (ltag === 'link' && name === 'href' && !isStylesheetRel(attrs.rel ?? null)) continue;
        const safe = safeAttr(ltag, name, attrs[name]!);
        if (safe !== null) out += ` ${name}="${escapeAttr(safe)}"`;
      }
    }
    if (isFrameTag(ltag)) out += ` sandbox="${MIRROR_SANDBOX}"`;
    this.out += out + '>';
    return flags;
  }
}

export function hasHead(root: SerializedElement): boolean {
  for (let i = 2; i < root.length; i++) {
    const c = root[i] as SerializedNode;
    if (Array.isArray(c) && c[0] !== '#') return c[0].toLowerCase() === 'head';
  }
  return false;
}

/** Thrown where the parsed document cannot be matched to the serialized tree at all. */
export class Mismatch extends Error {}

/** Where a match is in a list of parsed children. */
interface Cursor {
  /** The next parsed node to match. */
  c: Node | null;
  /** The node matched before was a text (a comment the writer put between two texts follows). */
  textBefore: boolean;
}

/**
 * Walks the parsed document beside the serialized tree: numbers each node,
 * builds what was left to the Builder, sets properties, and builds again
 * the children of any element the parser made differently.
 */
export class Matcher {
  /** Some children were built again node by node: the parser had made something else of them. */
  mended = false;

  /**
   * `watch`: serialized elements whose ids the caller wants (the elements a
   * parse left open); their ids are noted there as they are matched.
   */
  constructor(
    private readonly builder: Builder,
    private readonly register: (id: number, node: Node) => void,
    private readonly watch: Map<SerializedElement, number> | null = null,
  ) {}

  /**
   * Matches the children of `el`, or builds them again. `root`: `el` is the
   * document element (its head gets the mirror's <base>); `skip`: nodes of the
   * mirror's own come first; `strict`: a mismatch cannot be mended here (the
   * document element, the head with the mirror's <base>) and throws Mismatch.
   */
  children(
    el: Element,
    node: SerializedElement,
    next: { id: number },
    context: ChildContext,
    skip: number,
    root: boolean,
    strict: boolean,
  ): void {
    const first = next.id;
    if (this.tryChildren(el, node, next, context, skip, root)) return;
    if (strict) throw new Mismatch();
    // The parser made something else of these children: build them one by one.
    this.mended = true;
    while (dom.firstChild(el)) dom.remove(el, dom.firstChild(el)!);
    next.id = first;
    this.builder.children(el, node, next, context);
  }

  /**
   * Matches nodes added side by side to `el`, parsed from `start` on to its
   * end, each numbered from its own first id. False where the parser made
   * something else of them (nothing is mended then).
   */
  run(
    el: Element,
    nodes: readonly { node: SerializedNode; firstId: number }[],
    context: ChildContext,
    start: Node | null,
    textBefore: boolean,
  ): boolean {
    const at: Cursor = { c: start, textBefore };
    for (const { node, firstId } of nodes) if (!this.child(el, node, at, { id: firstId }, context, false)) return false;
    return at.c === null;
  }

  private tryChildren(el: Element, node: SerializedElement, next: { id: number }, context: ChildContext, skip: number, root: boolean): boolean {
    let c = dom.firstChild(el);
    for (let k = 0; k < skip && c; k++) c = dom.nextSibling(c);
    const at: Cursor = { c, textBefore: false };
    for (let i = 2; i < node.length; i++) if (!this.child(el, node[i] as SerializedNode, at, next, context, root)) return false;
    c = at.c;
    // A snapshot whose first slice ends in the head: the parser adds an empty <body> the tree does not have.
    if (root && c && dom.type(c) === 1 && dom.localName(c as Element) === 'body' && !dom.firstChild(c) && !dom.nextSibling(c)) {
      dom.remove(el, c);
      return true;
    }
    return c === null;
  }

  /** Matches one serialized child of `el` at the cursor and moves it on; false where the parsed node is not it. */
  private child(el: Element, child: SerializedNode, at: Cursor, next: { id: number }, context: ChildContext, root: boolean): boolean {
    let c = at.c;
    if (typeof child === 'string') {
      if (deferredText(child)) {
        if (!c || dom.type(c) !== 8) return false;
        at.c = this.replace(el, c, child, next, context);
        at.textBefore = false;
        return true;
      }
      if (at.textBefore) {
        // The comment that kept two texts apart.
        if (!c || dom.type(c) !== 8) return false;
        const sep = c;
        c = dom.nextSibling(c);
        dom.remove(el, sep);
      }
      if (!c || dom.type(c) !== 3 || (c as Text).data !== child) return false;
      this.register(next.id++, c);
      at.c = dom.nextSibling(c);
      at.textBefore = true;
      return true;
    }
    at.textBefore = false;
    if (child[0] === '#') {
      if (!c || dom.type(c) !== 8) return false;
      (c as Comment).data = (child as ['#', string])[1];
      this.register(next.id++, c);
      at.c = dom.nextSibling(c);
      return true;
    }
    if (child[0] === SHADOW_TAG) {
      this.builder.shadow(el, child, next, context);
      return true;
    }
    if (child[0] === DOC_TAG) {
      this.builder.nestedDocument(el as HTMLIFrameElement, child, next);
      return true;
    }
    if (!c) return false;
    const elementNode = child as SerializedElement;
    const ltag = elementNode[0].toLowerCase();
    const childNs = namespaceOf(ltag, context);
    const flags = written.get(elementNode);
    if (flags === undefined ? deferredElement(elementNode, childNs, root) : flags & DEFERRED) {
      if (dom.type(c) !== 8) return false;
      at.c = this.replace(el, c, child, next, context);
      return true;
    }
    const css = inlineCss(elementNode, childNs);
    const tag = css !== null ? 'style' : elementNode[0];
    // The namespace too: an element the parser put in another one than the Builder would is built by the Builder.
    if (dom.type(c) !== 1 || dom.localName(c as Element) !== tag || (c as Element).namespaceURI !== childNs) return false;
    const element = c as Element;
    if (this.watch?.has(elementNode)) this.watch.set(elementNode, next.id);
    this.register(next.id++, element);
    if (flags === undefined || flags & ATTRS_AFTER) {
      const attrs = elementNode[1] || {};
      for (const name in attrs) if (name.toLowerCase().startsWith('shadowroot')) this.builder.setAttr(element, name, attrs[name]!);
    }
    if (css !== null) {
      // Its rules are in already; it has no children (capture sends none for these).
      if (elementNode.length > 2 || dom.firstChild(element)?.nextSibling) return false;
      this.builder.props(element, elementNode[1] || {}, PROP.css);
      if (ltag === 'link') this.builder.keepLink(element, elementNode[1] || {});
      at.c = dom.nextSibling(c);
      return true;
    }
    const head = root && ltag === 'head';
    this.children(element, elementNode, next, childContext(ltag, childNs, elementNode[1]), head ? 2 : 0, false, head);
    next.id += skippedIds(elementNode);
    if (flags === undefined || flags & PROPS) this.builder.props(element, elementNode[1] || {});
    at.c = dom.nextSibling(c);
    return true;
  }

  /** Builds a node left to the Builder in place of its placeholder comment; returns what follows it. */
  private replace(parent: Element, placeholder: Node, node: SerializedNode, next: { id: number }, context: ChildContext): Node | null {
    const after = dom.nextSibling(placeholder);
    const built = this.builder.build(parent.ownerDocument, node, next, context);
    dom.replace(parent, built, placeholder);
    return after;
  }
}

/** Below this many nodes a subtree is built node by node: for a few nodes, DOM calls cost less than a parse. */
const SUBTREE_MARKUP_FROM = 16;

function largeEnough(node: SerializedElement, min: number): boolean {
  let count = 0;
  const stack: SerializedNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (++count >= min) return true;
    if (Array.isArray(n) && n[0] !== '#') for (let i = 2; i < n.length; i++) stack.push(n[i] as SerializedNode);
  }
  return false;
}

/**
 * Large subtrees added to `parent` side by side (the rest of a sliced snapshot
 * arrives this way: a slice's additions to one parent are consecutive
 * siblings), written as markup and parsed once in the parent's context, then
 * each matched like a snapshot. One parse per run of siblings, not per
 * subtree: each parse has a fixed cost (a parser, a fragment), and a slice of
 * the 1.6 MB bench page held a few dozen subtrees. Returns, per subtree, the
 * built node with its ids registered from its `firstId`, or null when the run
 * is small, a subtree cannot be written (comments, shadow roots, frames and
 * other deferred elements at its top), or the parser made another tree of it:
 * the caller builds those node by node.
 */
export function writeSubtrees(
  parent: Element,
  nodes: readonly { node: SerializedNode; firstId: number }[],
  context: ChildContext,
  builder: Builder,
  register: (id: number, node: Node) => void,
): (Node | null)[] {
  const out: (Node | null)[] = nodes.map(() => null);
  const ptag = dom.localName(parent);
  // The document element and the head parse their children in modes of their own.
  if (ptag === 'html' || ptag === 'head') return out;
  const written: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!.node;
    if (!Array.isArray(n) || n[0] === '#' || n[0] === SHADOW_TAG || n[0] === DOC_TAG) continue;
    if (!deferredElement(n as SerializedElement, namespaceOf(n[0].toLowerCase(), context))) written.push(i);
  }
  const els = written.map((i) => nodes[i]!.node as SerializedElement);
  if (!largeEnough(['#run', 0, ...els], SUBTREE_MARKUP_FROM + 1)) return out;
  const writer = new Writer('');
  for (const el of els) writer.subtree(el, context);
  const fragment = dom.fragment(parent, writer.out);
  // Side by side in one parse: the parser must have made exactly one node of each, or the run is built node by node.
  const parsed: Node[] = [];
  for (let c = dom.firstChild(fragment); c; c = dom.nextSibling(c)) parsed.push(c);
  if (parsed.length !== els.length) return out;
  const doc = parent.ownerDocument;
  written.forEach((i, k) => {
    // Each subtree is matched on its own (its ids start at its own firstId), in a fragment of its own.
    const holder = dom.createFragment(doc);
    dom.append(holder, parsed[k]!);
    try {
      new Matcher(builder, register).children(
        holder as unknown as Element,
        ['#fragment', 0, els[k]!],
        { id: nodes[i]!.firstId },
        context,
        0,
        false,
        true,
      );
      out[i] = parsed[k]!;
    } catch (err) {
      if (!(err instanceof Mismatch || err instanceof RangeError)) throw err;
    }
  });
  return out;
}
