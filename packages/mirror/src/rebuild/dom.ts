/* eslint-disable @typescript-eslint/unbound-method -- the point of this file: prototype methods taken unbound, then called on the right node. */
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
/**
 * A prototype's method or getter as a function of its receiver, for the calls a snapshot makes per node (tens of
 * thousands): `call` above allocates an array of arguments per call, which showed in the agent's profile.
 */
const uncurry = <A extends unknown[], R>(fn: unknown): ((self: unknown, ...args: A) => R) =>
  Function.prototype.call.bind(fn as (...a: unknown[]) => R) as (self: unknown, ...args: A) => R;

const docElement = get(D, 'documentElement');
const docView = get(D, 'defaultView');
const nodeParent = uncurry<[], Node | null>(get(N, 'parentNode'));
const nodeType = uncurry<[], number>(get(N, 'nodeType'));
const nodeFirst = uncurry<[], Node | null>(get(N, 'firstChild'));
const nodeLast = uncurry<[], Node | null>(get(N, 'lastChild'));
const nodeNext = uncurry<[], Node | null>(get(N, 'nextSibling'));
const elLocalName = uncurry<[], string>(get(E, 'localName'));
const createElement = uncurry<[string], Element>(D.createElement);
const createText = uncurry<[string], Text>(D.createTextNode);
const createComment = uncurry<[string], Comment>(D.createComment);
const appendChild = uncurry<[Node], Node>(N.appendChild);
const insertBefore = uncurry<[Node, Node | null], Node>(N.insertBefore);
const removeChild = uncurry<[Node], Node>(N.removeChild);
const replaceChild = uncurry<[Node, Node], Node>(N.replaceChild);
const setAttribute = uncurry<[string, string], void>(E.setAttribute);
const getAttribute = uncurry<[string], string | null>(E.getAttribute);
const setText = set(N, 'textContent');
const adopted = Object.getOwnPropertyDescriptor(D, 'adoptedStyleSheets');
const rootAdopted = Object.getOwnPropertyDescriptor(ShadowRoot.prototype, 'adoptedStyleSheets');

export const dom = {
  createElement: (doc: Document, tag: string): Element => createElement(doc, tag),
  createElementNS: (doc: Document, ns: string, tag: string): Element => call(D.createElementNS, doc, ns, tag),
  createText: (doc: Document, text: string): Text => createText(doc, text),
  createComment: (doc: Document, text: string): Comment => createComment(doc, text),
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
  parent: nodeParent as (node: Node) => Node | null,
  type: nodeType as (node: Node) => number,
  firstChild: nodeFirst as (node: Node) => Node | null,
  lastChild: nodeLast as (node: Node) => Node | null,
  nextSibling: nodeNext as (node: Node) => Node | null,
  localName: elLocalName as (el: Element) => string,
  append: (parent: Node, child: Node): void => void appendChild(parent, child),
  insertBefore: (parent: Node, child: Node, before: Node | null): void => void insertBefore(parent, child, before),
  remove: (parent: Node, child: Node): void => void removeChild(parent, child),
  replace: (parent: Node, next: Node, prev: Node): void => void replaceChild(parent, next, prev),
  setText: (node: Node, text: string): void => void call(setText, node, text),
  setAttribute: (el: Element, name: string, value: string): void => setAttribute(el, name, value),
  setAttributeNS: (el: Element, ns: string, name: string, value: string): void => call(E.setAttributeNS, el, ns, name, value),
  removeAttribute: (el: Element, name: string): void => call(E.removeAttribute, el, name),
  getAttribute: (el: Element, name: string): string | null => getAttribute(el, name),
  attachShadow: (el: Element): ShadowRoot => call(E.attachShadow, el, { mode: 'open' }),
  setAdopted(root: Document | ShadowRoot, sheets: CSSStyleSheet[]): void {
    const desc = dom.type(root) === 9 ? adopted : rootAdopted;
    call(desc!.set, root, sheets);
  },
};
