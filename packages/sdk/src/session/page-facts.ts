/**
 * What the session's page tells the server about itself besides the DOM: the
 * visitor's platform (for the agents) and how many elements each of the site's
 * masking rules matches here (for the site's admins, so they see a rule work).
 * Counts and platform only: never the page's content.
 */
import { MAX_SELECTOR_COUNT, type SiteMasking } from '@tandem/protocol';
import { platform } from './presence.js';

export { platform };

/** DOM changes are counted again at most this often. */
const RECOUNT_MS = 2000;
/** Nodes added or removed before the page counts as changed "a lot" (typing in a field changes none). */
const CHANGED_NODES = 20;

/**
 * Matches of each rule in the document (not inside shadow roots or frames: a document-wide count is
 * what stays cheap); null for a selector this browser cannot parse, which must never throw here.
 */
export function countRules(masking: SiteMasking): { selectors: (number | null)[]; blockSelectors: (number | null)[] } {
  const count = (selector: string): number | null => {
    try {
      return Math.min(document.querySelectorAll(selector).length, MAX_SELECTOR_COUNT);
    } catch {
      return null;
    }
  };
  return { selectors: (masking.selectors ?? []).map(count), blockSelectors: (masking.blockSelectors ?? []).map(count) };
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
  const observer = new MutationObserver((records) => {
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
