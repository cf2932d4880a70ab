/**
 * The elements of a document or shadow root that may be scrolled, found from its
 * CSS instead of by reading every element's offset. Only a scroll container has
 * an offset, and an element is one only where a rule, its style attribute or
 * the browser's own sheet gives it an `overflow` other than visible or clip. So
 * the selectors of the rules that set such an overflow (any media, supports,
 * layer or container condition taken as true), the style attributes that name
 * overflow, and the form fields that scroll on their own give a superset of the
 * scrolled elements, matched natively. On the 1.6 MB benchmark page that is a
 * few hundred elements instead of 17,000 offset reads (each walks the element's
 * ancestors), the larger part of the scan's cost.
 *
 * Null when the CSS cannot tell: a sheet that cannot be read (cross-origin), a
 * rule whose selectors do not stand alone (nested rules, @scope, :host,
 * ::slotted, ::part) — the caller then reads every element of that root, as
 * before.
 */

/**
 * Scroll containers by the browser's own sheet, fields whose text scrolls, and style attributes that name overflow. A
 * select scrolls as a list box only (multiple, or a size): a drop-down one has no offset, and a form-heavy page has
 * hundreds of them (half the 737 candidates of the 1.6 MB bench page).
 */
const ALWAYS = 'textarea,select[multiple],select[size],marquee,input:not([type=checkbox],[type=radio],[type=hidden]),[style*=overflow i]';

const OVERFLOW = ['overflow', 'overflow-x', 'overflow-y', 'overflow-block', 'overflow-inline'];
/** A declared overflow under which the element may scroll: not visible or clip, or one only known later. */
const SCROLLS = /auto|scroll|hidden|overlay|var\(|inherit|unset|revert/i;

export function scrollCandidates(root: Document | ShadowRoot): Element[] | null {
  const selectors = [ALWAYS];
  for (const sheet of [...root.styleSheets, ...(root.adoptedStyleSheets ?? [])])
    if (!sheet.disabled && !readSheet(sheet, selectors, 0)) return null;
  try {
    // Inside :is() the selector list is forgiving: one the engine does not know (a vendor pseudo-element) is dropped, not fatal.
    return Array.from(root.querySelectorAll(`:is(${selectors.join()})`));
  } catch {
    return null; // a browser without :is()
  }
}

/** Adds the selectors of the sheet's rules that make scroll containers; false when the sheet cannot tell. */
function readSheet(sheet: CSSStyleSheet, selectors: string[], depth: number): boolean {
  let rules: CSSRuleList;
  try {
    rules = sheet.cssRules;
  } catch {
    return false; // cross-origin: its rules cannot be read
  }
  return depth < 8 && readRules(rules, selectors, depth);
}

function readRules(rules: CSSRuleList, selectors: string[], depth: number): boolean {
  for (const rule of rules) {
    const r = rule as CSSStyleRule;
    if (rule.type === 1) {
      // Nested rules' selectors are relative to this one's; :host, ::slotted and ::part reach across the root's edge.
      if (r.cssRules?.length) return false;
      // Any overflow property (shorthand, longhands, logical ones; also set by `all`) with a value that can scroll.
      // Read property by property: serializing each rule's cssText cost several times more.
      const st = r.style;
      if (SCROLLS.test(OVERFLOW.map((p) => st.getPropertyValue(p)).join())) {
        if (/:host|::slotted|::part/i.test(r.selectorText)) return false;
        selectors.push(r.selectorText);
      }
    } else if (rule.type === 3) {
      const imported = (rule as CSSImportRule).styleSheet;
      if (imported && !readSheet(imported, selectors, depth + 1)) return false;
    } else if (r.cssRules && (rule.constructor.name === 'CSSScopeRule' || !readRules(r.cssRules, selectors, depth))) {
      // @media, @supports, @layer, @container… are read as if their conditions held; @scope's selectors are scoped.
      return false;
    }
    // @font-face, @keyframes, @page, @namespace, @property, @layer statements: no element gets an overflow.
  }
  return true;
}
