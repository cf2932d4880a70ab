/**
 * The hover and focus rules of stylesheets from another origin. The visitor's page cannot read the rules of a sheet
 * another origin serves without CORS (a theme on a CDN, most often), so such a <link> arrives without them and the
 * agent's browser loads it itself. The rebuild's state rewrite (state-css.ts) then never saw its `:hover` and `:focus`
 * rules: a CDN theme's menus stayed shut on the agent's screen while the visitor opened them.
 *
 * Once the mirror's <link> has loaded, a probe asks for the same address again in CORS mode, without credentials, as
 * a <link media="not all"> beside it (the mirror's CSP lets stylesheets, not fetch(), reach other origins). Many CDNs
 * answer CORS requests; where one does, and the rules hold a state, they become the link's CSS as if the visitor's page
 * had sent them (PROP.css: a <style> in its place, sanitized and with the states rewritten). Where none does, the probe
 * fails and the link stays as it was: the page looks as before, without the states.
 */
import { absoluteUrls, sheetText } from '../sheet-text.js';
import { dom } from './dom.js';
import { isAlternateRel } from './sanitize.js';

/** Marks the probes: they are the mirror's own, not the page's. */
export const PROBE_ATTR = 'data-tandem-probe';

/** The largest sheet taken over (UTF-16 code units): beyond it, the link stays as it is. */
const MAX_SHEET_CHARS = 2 * 1024 * 1024;
/** Probes per snapshot: a page of ten thousand links costs the agent at most this many more requests. */
const MAX_PROBES = 256;

const HTML = 'http://www.w3.org/1999/xhtml';

export class CrossSheets {
  private probes = 0;

  /** `take` gets a link and its rules, with absolute URLs, when they hold a hover or focus state. */
  constructor(private readonly take: (link: Element, css: string) => void) {}

  /** A new snapshot: a new page, with links of its own. */
  reset(): void {
    this.probes = 0;
  }

  /** The target of a `load` in the mirror's document: a stylesheet <link> whose rules the agent cannot read is probed. */
  loaded(target: EventTarget | null): void {
    const link = target as HTMLLinkElement;
    if (!(dom.type(link) === 1 && link.namespaceURI === HTML && dom.localName(link) === 'link')) return;
    // A probe, or not a stylesheet, or one the agent reads (none, as the mirror is on its own origin).
    const sheet = link.sheet;
    if (dom.getAttribute(link, PROBE_ATTR) !== null || !sheet || sheet.disabled || readable(sheet)) return;
    // An alternate sheet, or one of a titled set, which the browser may leave unapplied: as a <style> it would apply.
    if (dom.getAttribute(link, 'title') !== null || isAlternateRel(dom.getAttribute(link, 'rel'))) return;
    const href = link.href;
    const parent = dom.parent(link);
    if (!/^https?:/i.test(href) || !parent || this.probes >= MAX_PROBES) return;
    this.probes++;
    const doc = link.ownerDocument;
    const probe = dom.createElement(doc, 'link') as HTMLLinkElement;
    dom.setAttribute(probe, PROBE_ATTR, '');
    dom.setAttribute(probe, 'rel', 'stylesheet');
    dom.setAttribute(probe, 'crossorigin', 'anonymous');
    // Loaded, never applied.
    dom.setAttribute(probe, 'media', 'not all');
    dom.setAttribute(probe, 'href', href);
    const done = (e: Event) => {
      const read = e.type === 'load' ? sheetText(probe.sheet) : null;
      const up = dom.parent(probe);
      if (up) dom.remove(up, probe);
      // The link may have gone, or moved to another address, while the probe loaded.
      if (read === null || read.length > MAX_SHEET_CHARS || !dom.parent(link) || link.href !== href) return;
      if (/:(?:hover|focus)/i.test(read)) this.take(link, absoluteUrls(read, href));
    };
    probe.addEventListener('load', done, { once: true });
    probe.addEventListener('error', done, { once: true });
    dom.insertBefore(parent, probe, dom.nextSibling(link));
  }
}

function readable(sheet: CSSStyleSheet): boolean {
  try {
    return !!sheet.cssRules;
  } catch {
    return false;
  }
}
