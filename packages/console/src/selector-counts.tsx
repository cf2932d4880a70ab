/**
 * Beside each saved masking and blocking selector of the site settings: how
 * many elements it matches on a live visitor's page of the site, so an admin
 * sees a rule work (or not). As the pages say it: a hint, not a proof. Asked
 * again every few seconds while the screen is open.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type SelectorCountsPage } from './api.js';

/** How often the counts are asked for while the settings are open. */
const REFRESH_MS = 3000;

export type RuleKind = 'selectors' | 'blockSelectors';

/** The site's live pages' latest counts, most recent first; null until known (or when not allowed to see them). */
export function useSelectorCounts(site: string): SelectorCountsPage[] | null {
  const [pages, setPages] = useState<SelectorCountsPage[] | null>(null);
  useEffect(() => {
    setPages(null);
    if (!site) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const r = await api.selectorCounts(site);
        if (!stopped) setPages(r.pages);
      } catch (err) {
        // Not allowed (403), or the site went: nothing to show, and no use asking again.
        if (typeof (err as { status?: unknown }).status === 'number' && (err as { status: number }).status < 500) return;
      }
      if (!stopped) timer = setTimeout(() => void load(), REFRESH_MS);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [site]);
  return pages;
}

const pathOf = (url: string) => {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
};

/** "matches 2 on /booking", "invalid selector", "not counted", "no live page": the most recent page that counted this selector. */
export function CountNote({ pages, kind, selector }: { pages: SelectorCountsPage[] | null; kind: RuleKind; selector: string }) {
  if (pages === null) return null;
  let text = 'no live page';
  let state = 'none';
  let title: string | undefined;
  if (pages.length > 0) {
    text = 'not counted yet';
    for (const page of pages) {
      const rule = page[kind].find((r) => r.selector === selector);
      if (!rule) continue;
      title = `${page.url} at ${new Date(page.at).toLocaleTimeString()}`;
      if (rule.count === null) [text, state] = ['invalid selector', 'invalid'];
      else if (rule.count < 0) {
        [text, state] = ['not counted', 'none'];
        title =
          'A rule that tests values or state (an attribute’s value, :checked, :has…) is not counted: its count would tell what masking hides.';
      } else [text, state] = [`matches ${rule.count} on ${pathOf(page.url)}`, rule.count === 0 ? 'zero' : 'some'];
      break;
    }
  }
  return (
    <span class="count-note" data-count={state} data-count-for={selector} title={title}>
      {text}
    </span>
  );
}
