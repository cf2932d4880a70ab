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
const get = (proto: object, name: string): unknown => Object.getOwnPropertyDescriptor(proto, name)!.get;
const set = (proto: object, name: string): unknown => Object.getOwnPropertyDescriptor(proto, name)?.set;

/**
 * A prototype's method or accessor as a function of its receiver, taken once here: `uncurry<(el: Element) => string>(get
 * of localName)` is called as `localName(el)`. Bound to Function.prototype.call rather than called through Reflect.apply,
 * which made an array of arguments per call, in calls a snapshot makes per node (tens of thousands).
 */
const uncurry = <F>(fn: unknown): F => Function.prototype.call.bind(fn as () => unknown) as F;

const docOpen = uncurry<(doc: Document) => void>(D.open);
const docWrite = uncurry<(doc: Document, markup: string) => void>(D.write);
const createRange = uncurry<(doc: Document) => Range>(D.createRange);
const selectNodeContents = uncurry<(range: Range, node: Node) => void>(R.selectNodeContents);
const contextualFragment = uncurry<(range: Range, markup: string) => DocumentFragment>(R.createContextualFragment);
const attachShadow = uncurry<(el: Element, init: ShadowRootInit) => ShadowRoot>(E.attachShadow);
const setDocAdopted = uncurry<(doc: Document | ShadowRoot, sheets: CSSStyleSheet[]) => void>(set(D, 'adoptedStyleSheets'));
const setRootAdopted = uncurry<(root: Document | ShadowRoot, sheets: CSSStyleSheet[]) => void>(set(ShadowRoot.prototype, 'adoptedStyleSheets'));
const docAdopted = uncurry<(root: Document | ShadowRoot) => CSSStyleSheet[]>(get(D, 'adoptedStyleSheets'));
const rootAdopted = uncurry<(root: Document | ShadowRoot) => CSSStyleSheet[]>(get(ShadowRoot.prototype, 'adoptedStyleSheets'));
type FromPoint = (root: Document | ShadowRoot, x: number, y: number) => Element | null;
const docFromPoint = uncurry<FromPoint>(D.elementFromPoint);
const rootFromPoint = uncurry<FromPoint>(ShadowRoot.prototype.elementFromPoint);

export const dom = {
  createElement: uncurry<(doc: Document, tag: string) => Element>(D.createElement),
  createElementNS: uncurry<(doc: Document, ns: string, tag: string) => Element>(D.createElementNS),
  createText: uncurry<(doc: Document, text: string) => Text>(D.createTextNode),
  createComment: uncurry<(doc: Document, text: string) => Comment>(D.createComment),
  createFragment: uncurry<(doc: Document) => DocumentFragment>(D.createDocumentFragment),
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
    docOpen(doc);
    docWrite(doc, markup);
  },
  writeMore: docWrite,
  close: uncurry<(doc: Document) => void>(D.close),
  /** The parse of `markup` as children of `context` (its namespace and insertion mode), in a fragment of its document. */
  fragment(context: Element, markup: string): DocumentFragment {
    const range = createRange(context.ownerDocument);
    selectNodeContents(range, context);
    return contextualFragment(range, markup);
  },
  documentElement: uncurry<(doc: Document) => Element | null>(get(D, 'documentElement')),
  body: uncurry<(doc: Document) => HTMLElement | null>(get(D, 'body')),
  offsetHeight: uncurry<(el: HTMLElement) => number>(get(HTMLElement.prototype, 'offsetHeight')),
  view: uncurry<(doc: Document) => (Window & typeof globalThis) | null>(get(D, 'defaultView')),
  /** The window of a document or of a shadow root's document. */
  viewOf(root: Document | ShadowRoot): (Window & typeof globalThis) | null {
    return dom.view(dom.type(root) === 9 ? (root as Document) : (root as ShadowRoot).ownerDocument);
  },
  parent: uncurry<(node: Node) => Node | null>(get(N, 'parentNode')),
  type: uncurry<(node: Node) => number>(get(N, 'nodeType')),
  firstChild: uncurry<(node: Node) => Node | null>(get(N, 'firstChild')),
  lastChild: uncurry<(node: Node) => Node | null>(get(N, 'lastChild')),
  nextSibling: uncurry<(node: Node) => Node | null>(get(N, 'nextSibling')),
  localName: uncurry<(el: Element) => string>(get(E, 'localName')),
  append: uncurry<(parent: Node, child: Node) => void>(N.appendChild),
  insertBefore: uncurry<(parent: Node, child: Node, before: Node | null) => void>(N.insertBefore),
  remove: uncurry<(parent: Node, child: Node) => void>(N.removeChild),
  replace: uncurry<(parent: Node, next: Node, prev: Node) => void>(N.replaceChild),
  setText: uncurry<(node: Node, text: string) => void>(set(N, 'textContent')),
  setAttribute: uncurry<(el: Element, name: string, value: string) => void>(E.setAttribute),
  setAttributeNS: uncurry<(el: Element, ns: string, name: string, value: string) => void>(E.setAttributeNS),
  removeAttribute: uncurry<(el: Element, name: string) => void>(E.removeAttribute),
  getAttribute: uncurry<(el: Element, name: string) => string | null>(E.getAttribute),
  attachShadow: (el: Element): ShadowRoot => attachShadow(el, { mode: 'open' }),
  /** The topmost element at a point of the viewport, in a document or a shadow root. */
  elementFromPoint(root: Document | ShadowRoot, x: number, y: number): Element | null {
    return (dom.type(root) === 9 ? docFromPoint : rootFromPoint)(root, x, y);
  },
  shadowRoot: uncurry<(el: Element) => ShadowRoot | null>(get(E, 'shadowRoot')),
  assignedSlot: uncurry<(el: Element) => HTMLSlotElement | null>(get(E, 'assignedSlot')),
  rootNode: uncurry<(node: Node) => Node>(N.getRootNode),
  labelControl: uncurry<(label: HTMLLabelElement) => HTMLElement | null>(get(HTMLLabelElement.prototype, 'control')),
  rect: uncurry<(el: Element) => DOMRect>(E.getBoundingClientRect),
  clientLeft: uncurry<(el: Element) => number>(get(E, 'clientLeft')),
  clientTop: uncurry<(el: Element) => number>(get(E, 'clientTop')),
  adopted(root: Document | ShadowRoot): CSSStyleSheet[] {
    return (dom.type(root) === 9 ? docAdopted : rootAdopted)(root);
  },
  setAdopted(root: Document | ShadowRoot, sheets: CSSStyleSheet[]): void {
    (dom.type(root) === 9 ? setDocAdopted : setRootAdopted)(root, sheets);
  },
};
