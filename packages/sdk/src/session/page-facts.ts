/**
 * What the session's page tells the server about itself besides the DOM: the
 * visitor's platform (for the agents) and how many elements each of the site's
 * masking rules matches here (for the site's admins, so they see a rule work).
 * Counts and platform only: never the page's content.
 */
import { MAX_SELECTOR_COUNT, type SiteMasking } from '@tandem/protocol';
import { browserMutationObserver } from '@tandem/mirror/capture';
import { platform } from './presence.js';

export { platform };

/** DOM changes are counted again at most this often. */
const RECOUNT_MS = 2000;
/** Nodes added or removed before the page counts as changed "a lot" (typing in a field changes none). */
const CHANGED_NODES = 20;

/**
 * A rule that asks about values or state — an attribute's value (`[value^="41"]`: React writes what is
 * typed into `value`), a checked box, a field's validity, `:has()` — would turn a count into a yes or no
 * about what masking hides. Such rules are not counted (NOT_COUNTED): admins get numbers only for what
 * agents could see anyway.
 */
const ASKS_ABOUT_VALUES =
  /\[[^\]]*=|:(?:has|checked|placeholder-shown|valid|invalid|user-valid|user-invalid|autofill|-webkit-autofill|default|indeterminate|in-range|out-of-range|empty|blank|focus|focus-within|focus-visible|hover|active|target|visited|open|popover-open|modal|playing|paused|state)\b/i;
/** The count of a rule that asks about values or state. */
export const NOT_COUNTED = -1;

/**
 * Matches of each rule in the document (not inside shadow roots or frames: a document-wide count is
 * what stays cheap), leaving out elements inside a blocked element (agents see a blocked element as an
 * empty box, nothing of what is in it); null for a selector this browser cannot parse (never a throw
 * here), NOT_COUNTED for one that asks about values or state. `blocked`: every block rule in force.
 */
export function countRules(masking: SiteMasking, blocked: string[]): { selectors: (number | null)[]; blockSelectors: (number | null)[] } {
  const blocks = ['[data-tandem-block]', ...blocked].filter((b) => parses(b));
  const inBlocked = (el: Element) => !!el.parentElement && blocks.some((b) => el.parentElement!.closest(b));
  const count = (selector: string): number | null => {
    if (!parses(selector)) return null;
    if (ASKS_ABOUT_VALUES.test(selector)) return NOT_COUNTED;
    let n = 0;
    for (const el of document.querySelectorAll(selector)) if (!inBlocked(el) && ++n >= MAX_SELECTOR_COUNT) break;
    return n;
  };
  return { selectors: (masking.selectors ?? []).map(count), blockSelectors: (masking.blockSelectors ?? []).map(count) };
}

function parses(selector: string): boolean {
  try {
    document.createDocumentFragment().querySelector(selector);
    return true;
  } catch {
    return false;
  }
}

/** Viewport widths in three classes: agents hear of a resize only when it crosses one. */
const sizeClass = (width: number) => (width < 600 ? 0 : width < 1024 ? 1 : 2);

/**
 * Calls `resized` when the viewport's size class changes and `changed` (at most every 2 s) after
 * the DOM changed a lot; returns what stops both.
 */
export function watchPage(resized: () => void, changed: () => void): () => void {
  let size = sizeClass(innerWidth);
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  const onResize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const next = sizeClass(innerWidth);
      if (next !== size) {
        size = next;
        resized();
      }
    }, 300);
  };
  addEventListener('resize', onResize);
  let nodes = 0;
  let recount: ReturnType<typeof setTimeout> | undefined;
  // The browser's own: a page may have replaced window.MutationObserver with one that throws.
  const observer = new (browserMutationObserver(document))((records) => {
    for (const r of records) nodes += r.addedNodes.length + r.removedNodes.length;
    if (nodes < CHANGED_NODES || recount) return;
    recount = setTimeout(() => {
      recount = undefined;
      nodes = 0;
      changed();
    }, RECOUNT_MS);
  });
  observer.observe(document, { childList: true, subtree: true });
  return () => {
    removeEventListener('resize', onResize);
    clearTimeout(resizeTimer);
    clearTimeout(recount);
    observer.disconnect();
  };
}
