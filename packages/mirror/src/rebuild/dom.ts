/* eslint-disable @typescript-eslint/unbound-method -- the point of this file: prototype methods taken unbound, then called with Reflect.apply on the right node. */
/**
 * The DOM calls the rebuild makes on the mirror's nodes, taken from the
 * prototypes rather than looked up on the objects. The mirrored page controls
 * the named properties of its document and of its forms, and both override
 * built-ins: <img name="createElement"> shadows document.createElement and
 * <input name="appendChild"> shadows form.appendChild. Looked up on the
 * object, the page could break the rebuild or steer it.
 */
const D = Document.prototype;
const N = Node.prototype;
const E = Element.prototype;
const R = Range.prototype;
const get = (proto: object, name: string) => Object.getOwnPropertyDescriptor(proto, name)!.get!;
const set = (proto: object, name: string) => Object.getOwnPropertyDescriptor(proto, name)!.set!;

const call = <R>(fn: unknown, self: unknown, ...args: unknown[]): R => Reflect.apply(fn as (...a: unknown[]) => R, self, args);

const docElement = get(D, 'documentElement');
const docView = get(D, 'defaultView');
const nodeParent = get(N, 'parentNode');
const nodeType = get(N, 'nodeType');
const nodeFirst = get(N, 'firstChild');
const nodeLast = get(N, 'lastChild');
const nodeNext = get(N, 'nextSibling');
const elLocalName = get(E, 'localName');
const setText = set(N, 'textContent');
const adopted = Object.getOwnPropertyDescriptor(D, 'adoptedStyleSheets');
const rootAdopted = Object.getOwnPropertyDescriptor(ShadowRoot.prototype, 'adoptedStyleSheets');

export const dom = {
  createElement: (doc: Document, tag: string): Element => call(D.createElement, doc, tag),
  createElementNS: (doc: Document, ns: string, tag: string): Element => call(D.createElementNS, doc, ns, tag),
  createText: (doc: Document, text: string): Text => call(D.createTextNode, doc, text),
  createComment: (doc: Document, text: string): Comment => call(D.createComment, doc, text),
  createFragment: (doc: Document): DocumentFragment => call(D.createDocumentFragment, doc),
  /** Empties a document and sets its mode: standards with a doctype, quirks without. */
  reset(doc: Document, doctype: boolean): void {
    dom.write(doc, doctype ? '<!DOCTYPE html>' : '');
  },
  /** Replaces a document by the parse of `markup`. */
  write(doc: Document, markup: string): void {
    dom.open(doc, markup);
    dom.close(doc);
  },
  /** Opens a document for a parse that later writes continue (`writeMore`) until `close`. */
  open(doc: Document, markup: string): void {
    call(D.open, doc);
    call(D.write, doc, markup);
  },
  writeMore: (doc: Document, markup: string): void => call(D.write, doc, markup),
  close: (doc: Document): void => call(D.close, doc),
  /** The parse of `markup` as children of `context` (its namespace and insertion mode), in a fragment of its document. */
  fragment(context: Element, markup: string): DocumentFragment {
    const range: Range = call(D.createRange, context.ownerDocument);
    call(R.selectNodeContents, range, context);
    return call(R.createContextualFragment, range, markup);
  },
  documentElement: (doc: Document): Element | null => call(docElement, doc),
  view: (doc: Document): (Window & typeof globalThis) | null => call(docView, doc),
  parent: (node: Node): Node | null => call(nodeParent, node),
  type: (node: Node): number => call(nodeType, node),
  firstChild: (node: Node): Node | null => call(nodeFirst, node),
  lastChild: (node: Node): Node | null => call(nodeLast, node),
  nextSibling: (node: Node): Node | null => call(nodeNext, node),
  localName: (el: Element): string => call(elLocalName, el),
  append: (parent: Node, child: Node): void => void call(N.appendChild, parent, child),
  insertBefore: (parent: Node, child: Node, before: Node | null): void => void call(N.insertBefore, parent, child, before),
  remove: (parent: Node, child: Node): void => void call(N.removeChild, parent, child),
  replace: (parent: Node, next: Node, prev: Node): void => void call(N.replaceChild, parent, next, prev),
  setText: (node: Node, text: string): void => void call(setText, node, text),
  setAttribute: (el: Element, name: string, value: string): void => call(E.setAttribute, el, name, value),
  setAttributeNS: (el: Element, ns: string, name: string, value: string): void => call(E.setAttributeNS, el, ns, name, value),
  removeAttribute: (el: Element, name: string): void => call(E.removeAttribute, el, name),
  getAttribute: (el: Element, name: string): string | null => call(E.getAttribute, el, name),
  attachShadow: (el: Element): ShadowRoot => call(E.attachShadow, el, { mode: 'open' }),
  setAdopted(root: Document | ShadowRoot, sheets: CSSStyleSheet[]): void {
    const desc = dom.type(root) === 9 ? adopted : rootAdopted;
    call(desc!.set, root, sheets);
  },
};
