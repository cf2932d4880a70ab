/**
 * The visitor's hover and focus, shown in the mirror. No mirror element is ever hovered or focused itself: the agent's
 * pointer never reaches the mirror, and its keys go elsewhere. So the page's `:hover`, `:focus`, `:focus-within` and
 * `:focus-visible` rules never matched there: a menu that opens on hover stayed shut on the agent's screen while the
 * visitor read it, and the field the visitor was in showed no ring. The stylesheets the rebuild builds say those
 * pseudo-classes as attributes instead (`stateCss`), and the rebuild sets the attributes where the visitor's page has
 * the states: on what lies under the visitor's pointer (found on the mirror, which has the visitor's layout) and on
 * the element capture reports focused (EventType.Focus), each with its ancestors as the browser gives them: across
 * shadow roots for both, across frames for hover only.
 */
import { isFrameTag } from '@tandem/protocol';
import { dom } from './dom.js';
import { FOCUS_ATTR, FOCUS_RING_CSS, FOCUS_VISIBLE_ATTR, FOCUS_WITHIN_ATTR, HOVER_ATTR } from './state-css.js';

/** Ancestors are followed this far at most: a bound on a walk up a tree the visitor's page built. */
const MAX_CHAIN = 512;

export class States {
  /** The elements that carry each attribute now. */
  private readonly marked = new Map<string, Set<Element>>();

  /** `top`: the mirror's document, where the chains end (its frame element belongs to the agent's page). */
  constructor(private readonly top: () => Document | null) {}

  /**
   * What lies under the visitor's pointer (null: nothing known): it and every element it is in are hovered, and the
   * control of a hovered <label>, as the browser hovers it.
   */
  hover(target: Element | null): void {
    const els = target ? this.chain(target, true).map(([el]) => el) : [];
    const controls = els.map((el) => (dom.localName(el) === 'label' ? dom.labelControl(el as HTMLLabelElement) : null));
    this.mark(HOVER_ATTR, [...els, ...controls.filter((c) => c !== null)]);
  }

  /**
   * The visitor's focused element (null: none). It has :focus, and so do the shadow hosts it is in, as seen from
   * outside them; it and its ancestors have :focus-within; it alone :focus-visible, when `visible`. Not across a
   * frame: the browser gives a frame's ancestors in the page around it neither (only the focused document matches).
   */
  focus(target: Element | null, visible: boolean): void {
    const chain = target ? this.chain(target, false) : [];
    this.mark(
      FOCUS_ATTR,
      chain.filter(([, boundary]) => boundary).map(([el]) => el),
    );
    this.mark(
      FOCUS_WITHIN_ATTR,
      chain.map(([el]) => el),
    );
    this.mark(FOCUS_VISIBLE_ATTR, target && visible ? [target] : []);
    // The browser's ring reaches into shadow trees; the mirror's rule for it (builder.ts: MIRROR_CSS) does not.
    const root = target && visible ? dom.rootNode(target) : null;
    if (root && dom.type(root) === 11) ringIn(root as ShadowRoot);
  }

  /** A new snapshot replaced the documents: the elements marked are gone with them. */
  reset(): void {
    this.marked.clear();
  }

  /**
   * `el` and its ancestors in the flat tree, as the browser walks them for these states: a slotted element's parent is
   * its slot, a shadow root's its host, and with `frames` a frame document's its frame element; up to the mirror's
   * document. Each with whether it is `el`, or a host or frame `el` is inside (not one it is only slotted into).
   */
  private chain(el: Element, frames: boolean): [Element, boolean][] {
    const out: [Element, boolean][] = [];
    const top = this.top();
    let node: Element | null = el;
    let boundary = true;
    /** Shadow trees entered through a slot on the way up, not yet left. */
    let slotted = 0;
    while (node && out.length < MAX_CHAIN) {
      out.push([node, boundary]);
      boundary = false;
      const slot = dom.assignedSlot(node);
      if (slot) {
        slotted++;
        node = slot;
        continue;
      }
      const parent = dom.parent(node);
      const type = parent && dom.type(parent);
      if (type === 1) node = parent as Element;
      else if (type === 11) {
        node = (parent as ShadowRoot).host ?? null;
        if (slotted) slotted--;
        else boundary = true;
      } else if (frames && type === 9 && parent !== top) {
        node = frameOf(parent as Document);
        boundary = true;
      } else node = null;
    }
    return out;
  }

  private mark(attr: string, els: Element[]): void {
    const before = this.marked.get(attr) ?? new Set<Element>();
    const now = new Set(els);
    for (const el of before) if (!now.has(el)) dom.removeAttribute(el, attr);
    for (const el of now) if (!before.has(el)) dom.setAttribute(el, attr, '');
    this.marked.set(attr, now);
  }
}

/** The mirror's frame element that holds `doc`, or null. */
function frameOf(doc: Document): Element | null {
  const frame = dom.view(doc)?.frameElement ?? null;
  return frame && isFrameTag(dom.localName(frame)) ? frame : null;
}

/** Constructed sheets holding the focus ring, one per window: a window's shadow roots adopt only its own sheets. */
const ringSheets = new WeakMap<Window, CSSStyleSheet>();

/** The focus-ring sheet `root` adopts first, if it does: kept there when the page's own adopted sheets change. */
export function ringOf(root: Document | ShadowRoot): CSSStyleSheet[] {
  const first = dom.adopted(root)[0];
  const win = dom.viewOf(root);
  return first && win && ringSheets.get(win) === first ? [first] : [];
}

/** Gives a shadow root the focus ring, first among its adopted sheets, so the page's own rules come after it. */
function ringIn(root: ShadowRoot): void {
  const win = dom.viewOf(root);
  if (!win || ringOf(root).length) return;
  let sheet = ringSheets.get(win);
  if (!sheet) {
    sheet = new win.CSSStyleSheet();
    sheet.replaceSync(FOCUS_RING_CSS);
    ringSheets.set(win, sheet);
  }
  dom.setAdopted(root, [sheet, ...dom.adopted(root)]);
}
