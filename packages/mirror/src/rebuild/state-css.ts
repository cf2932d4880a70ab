/**
 * The page's hover and focus pseudo-classes, said in the stylesheets the mirror builds as attributes the rebuild sets
 * where the visitor's page has those states (states.ts says why and where). Text only: no DOM here.
 */
import { safeCss } from './sanitize.js';

export const HOVER_ATTR = 'data-tandem-hover';
export const FOCUS_ATTR = 'data-tandem-focus';
export const FOCUS_WITHIN_ATTR = 'data-tandem-focus-within';
export const FOCUS_VISIBLE_ATTR = 'data-tandem-focus-visible';

const ATTR_OF = new Map([
  ['hover', HOVER_ATTR],
  ['focus', FOCUS_ATTR],
  ['focus-within', FOCUS_WITHIN_ATTR],
  ['focus-visible', FOCUS_VISIBLE_ATTR],
]);

/**
 * A quoted string (kept as it is), or one of the pseudo-classes. The checks run once a colon has matched (cheap on a
 * large sheet), and they keep out:
 * - an escaped colon, part of a name (Tailwind's `.md\:hover\:bg-blue:hover`);
 * - a state anywhere in the compound after a pseudo-element (`::-webkit-scrollbar-thumb:vertical:hover`,
 *   `::part(label):hover:not(:focus)`, inside a function there too): an attribute selector is invalid there, and one invalid selector drops its
 *   whole rule, other selectors and all;
 * - the `hover` media feature (`(hover:hover)`).
 */
const STATE_OR_STRING =
  /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|:(?<!(?:\\|::[\w-]+(?:\((?:[^()]|\([^()]*\))*\))?(?::[\w-]+(?:\((?:[^()]|\([^()]*\))*\))?)*(?::[\w-]+\([^()]*)?|\(\s*(?:any-)?hover\s*):)(hover|focus-within|focus-visible|focus)(?![\w\\-])/gi;

/** A stylesheet's text with the page's hover and focus pseudo-classes said as the attributes the rebuild sets. */
export function stateCss(css: string): string {
  if (!/:(?:hover|focus)/i.test(css)) return css;
  return css.replace(STATE_OR_STRING, (m, quoted: string | undefined, name: string | undefined) =>
    quoted === undefined ? `[${ATTR_OF.get(name!.toLowerCase())!}]` : m,
  );
}

/** A stylesheet's text as the mirror builds it: made safe (sanitize.ts), its states said as attributes. */
export const sheetCss = (css: string): string => stateCss(safeCss(css));

/**
 * What the browser's own stylesheet gives a focused element: a ring where it matches :focus-visible. In a layer of its
 * own, declared before the page's sheets, and of no specificity: any rule of the page wins, as over the browser's.
 */
export const FOCUS_RING_CSS = `@layer tandem-ua { :where([${FOCUS_VISIBLE_ATTR}]) { outline: auto 1px -webkit-focus-ring-color; } }`;
