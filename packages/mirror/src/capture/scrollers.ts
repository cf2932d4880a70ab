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
 * rule whose selectors do not stand alone (nested rules, @scope, ::slotted) —
 * the caller then reads every element, as before.
 */

/** Scroll containers by the browser's own sheet, and fields whose text scrolls. */
const UA_SCROLLERS = 'textarea, select, marquee, input:not([type=checkbox], [type=radio], [type=hidden])';
const INLINE_OVERFLOW = '[style*="overflow" i]';
const NOT_SCROLLING = new Set(['', 'visible', 'clip']);
const PROPERTIES = ['overflow-x', 'overflow-y', 'overflow-block', 'overflow-inline'];

// CSSRule.type of the rules read here; the newer rules (layer, container, scope, starting-style) are 0.
const STYLE_RULE = 1;
const IMPORT_RULE = 3;
const MEDIA_RULE = 4;
const SUPPORTS_RULE = 12;

/** Thrown inside the walk when the CSS cannot give an answer. */
class Unknown extends Error {}
const UNKNOWN = new Unknown('the CSS cannot tell which elements scroll');

export function scrollCandidates(root: Document | ShadowRoot): Element[] | null {
  const selectors: string[] = [UA_SCROLLERS, INLINE_OVERFLOW];
  let host = false;
  try {
    const sheets = [...Array.from(root.styleSheets), ...(root.adoptedStyleSheets ?? [])];
    for (const sheet of sheets) if (!sheet.disabled) readSheet(sheet, selectors, 0);
  } catch (e) {
    if (e === UNKNOWN) return null;
    throw e;
  }
  const plain: string[] = [];
  for (const s of selectors) {
    // `:host` is the shadow root's host, outside the root and its querySelectorAll: the host is a candidate, and
    // what the rest of the selector reaches inside is matched without it (a superset: `:host(.a) > .b` -> `.b`).
    if (!/:host/i.test(s)) plain.push(s);
    else
      for (const one of s.split(',')) {
        const rest = one.replace(/:host(?:-context)?(?:\([^)]*\))?\s*[>+~]?\s*/gi, '').trim();
        if (rest) plain.push(rest);
        else host = true;
      }
  }
  const out: Element[] = [];
  if (host && root.nodeType !== 9) out.push((root as ShadowRoot).host);
  let found: NodeListOf<Element>;
  try {
    // Inside :is() the selector list is forgiving: one the engine does not know (a vendor pseudo-element) is dropped, not fatal.
    found = root.querySelectorAll(`:is(${plain.join(',')})`);
  } catch {
    return null; // a browser without :is()
  }
  for (let i = 0; i < found.length; i++) out.push(found[i]!);
  return out;
}

function readSheet(sheet: CSSStyleSheet, selectors: string[], depth: number): void {
  // @import chains deeper than this are not followed by browsers either in practice; the caller falls back.
  if (depth > 8) throw UNKNOWN;
  let rules: CSSRuleList;
  try {
    rules = sheet.cssRules;
  } catch {
    throw UNKNOWN; // cross-origin: its rules cannot be read
  }
  readRules(rules, selectors, depth);
}

function readRules(rules: CSSRuleList, selectors: string[], depth: number): void {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    switch (rule.type) {
      case STYLE_RULE: {
        const style = rule as CSSStyleRule;
        // Nested rules' selectors are relative to this one's.
        if (style.cssRules?.length) throw UNKNOWN;
        if (PROPERTIES.some((p) => !NOT_SCROLLING.has(style.style.getPropertyValue(p).trim().toLowerCase()))) {
          if (/::slotted|::part/i.test(style.selectorText)) throw UNKNOWN;
          selectors.push(style.selectorText);
        }
        break;
      }
      case IMPORT_RULE: {
        const imported = (rule as CSSImportRule).styleSheet;
        if (imported) readSheet(imported, selectors, depth + 1);
        break;
      }
      case MEDIA_RULE:
      case SUPPORTS_RULE:
        readRules((rule as CSSGroupingRule).cssRules, selectors, depth);
        break;
      case 0: {
        const name = rule.constructor?.name;
        if (name === 'CSSLayerBlockRule' || name === 'CSSContainerRule' || name === 'CSSStartingStyleRule')
          readRules((rule as CSSGroupingRule).cssRules, selectors, depth);
        // @scope, and any grouping rule this code does not know, could hold style rules it cannot place.
        else if ((rule as Partial<CSSGroupingRule>).cssRules) throw UNKNOWN;
        break;
      }
      // @font-face, @keyframes, @page, @namespace, @property, @layer statements: no element gets an overflow.
    }
  }
}
