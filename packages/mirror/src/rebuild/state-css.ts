/**
 * The page's hover and focus pseudo-classes, said in the stylesheets the mirror builds as attributes the rebuild sets
 * where the visitor's page has those states (states.ts says why and where). Text only: no DOM here.
 */
import { COMMENT_OR_STRING } from './css-text.js';
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

/** A comment, a quoted string (css-text.ts) or an escape, all kept as they are; or a state. */
const STATE_OR_SKIP = new RegExp(String.raw`(${COMMENT_OR_STRING}|\\[^])|:(hover|focus-within|focus-visible|focus)(?![\w\\-])`, 'gi');

/** How far back a state's compound selector is read: real ones are a few dozen characters; a hostile sheet's are not. */
const MAX_COMPOUND = 256;

/**
 * A stylesheet's text with the page's hover and focus pseudo-classes said as the attributes the rebuild sets. Left as
 * they are: strings, comments and escapes (Tailwind's `.md\:hover\:bg-blue:hover` rewrites only its last state); a
 * state in a compound after a pseudo-element (`::-webkit-scrollbar-thumb:vertical:hover`,
 * `::part(label):hover:not(:focus)`), where an attribute selector is invalid, and one invalid selector drops its
 * whole rule, other selectors and all; and the `hover` media feature (`(hover:hover)`).
 *
 * Reading back costs at most twice the sheet's length in all: a real sheet reads a few characters per state, a
 * hostile one (`::x:a:a…:a:hover:hover…`, every state deep in one compound) keeps its remaining states as they are
 * once that is spent. Unbounded, 160 KB of it held the agent's page for 25 s.
 */
export function stateCss(css: string): string {
  if (!/:(?:hover|focus)/i.test(css)) return css;
  const budget = { left: 2 * css.length + 4096 };
  return css.replace(STATE_OR_SKIP, (m, skip: string | undefined, name: string | undefined, at: number) =>
    skip !== undefined || !rewritable(css, at, budget) ? m : `[${ATTR_OF.get(name!.toLowerCase())!}]`,
  );
}

/**
 * Whether the state at `at` (its colon) may become an attribute selector: read back to the start of its compound,
 * over the arguments of the pseudo-classes it is inside (`:not(`, `:is(`), looking for a pseudo-element.
 */
function rewritable(css: string, at: number, budget: { left: number }): boolean {
  let depth = 0;
  for (let i = at - 1, stop = Math.max(0, at - MAX_COMPOUND); i >= stop; i--) {
    if (--budget.left < 0) return false;
    const c = css.charCodeAt(i);
    if (css.charCodeAt(i - 1) === 92 /* \ */) {
      i--; // an escaped character is part of a name
    } else if (c === 41 /* ) */) {
      depth++;
    } else if (c === 40 /* ( */) {
      if (depth) {
        depth--;
        continue;
      }
      // Inside a pseudo-class's argument (`:not(`): its compound goes on outside. Else the argument of a
      // pseudo-element (`::slotted(`, a compound of its own), of `selector(`, or a media feature.
      const fn = /:?:[\w-]+$/.exec(css.slice(Math.max(0, i - 64), i))?.[0];
      if (fn?.startsWith(':') && !fn.startsWith('::')) continue;
      return !/^\s*(?:any-)?hover\s*$/i.test(css.slice(i + 1, at));
    } else if (depth === 0 && (c <= 32 || c === 62 || c === 43 || c === 126 || c === 44 || c === 123 || c === 125 || c === 59)) {
      return true; // white space, > + ~ , { } ;: the compound's start
    } else if (depth === 0 && c === 58 /* : */ && css.charCodeAt(i - 1) === 58) {
      return false;
    }
  }
  return true;
}

/** A stylesheet's text as the mirror builds it: made safe (sanitize.ts), its states said as attributes. */
export const sheetCss = (css: string): string => stateCss(safeCss(css));

/**
 * What the browser's own stylesheet gives a focused element: a ring where it matches :focus-visible. In a layer of its
 * own, declared before the page's sheets, and of no specificity: any rule of the page wins, as over the browser's.
 */
export const FOCUS_RING_CSS = `@layer tandem-ua { :where([${FOCUS_VISIBLE_ATTR}]) { outline: auto 1px -webkit-focus-ring-color; } }`;
