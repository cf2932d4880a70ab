/**
 * The hover and focus rules of stylesheets from another origin. The visitor's page cannot read the rules of a sheet
 * another origin serves without CORS (a theme on a CDN, most often), so such a <link> arrives without them and the
 * agent's browser loads it itself. The rebuild's state rewrite (state-css.ts) then never saw its `:hover` and `:focus`
 * rules: a CDN theme's menus stayed shut on the agent's screen while the visitor opened them.
 *
 * Once the mirror's <link> has loaded, a probe asks for the same address again in CORS mode, without credentials: a
 * <link crossorigin media="not all"> right after it (the mirror's CSP lets stylesheets, not fetch(), reach other
 * origins). Many CDNs answer CORS requests. Where one does and the rules hold a state, the states are rewritten in
 * place, in the probe's own CSSOM, and the probe takes the link's place (Builder.probed): the same sheet, at the same
 * place in the cascade, its relative URLs resolved as the browser resolves them, against the address it was served
 * from after any redirect (text read out of the CSSOM would have only the one asked for). Where none does, or nothing
 * answers in PROBE_TIMEOUT_MS, the probe goes and the link stays as it was: the page looks as before, without the
 * states. While a probe loads, it is one more sibling of the page's link.
 *
 * Only the top document's links are probed: `load` leaves neither a shadow root nor a frame.
 */
import { dom } from './dom.js';
import { isAlternateRel } from './sanitize.js';
import { stateCss } from './state-css.js';

/** Marks a probe while it loads: the mirror's own, not the page's. */
export const PROBE_ATTR = 'data-tandem-probe';

/** Probes per snapshot: a page of ten thousand links costs the agent at most this many more requests. */
const MAX_PROBES = 256;
/** Rules read per snapshot, over all the probed sheets (a large theme has a few thousand). */
const MAX_RULES = 200_000;
/** How deep nested rules are followed (@media in @supports in @layer, nested style rules, @import). */
const MAX_NESTING = 32;
/** A probe not answered in this time goes: it must not stay beside the page's link. */
export const PROBE_TIMEOUT_MS = 8000;

const HTML = 'http://www.w3.org/1999/xhtml';

export class CrossSheets {
  private probes = 0;
  private rules = 0;

  /** `take` puts `probe`, its states rewritten, in the place of `link`. */
  constructor(private readonly take: (link: Element, probe: Element) => void) {}

  /** A new snapshot: a new page, with links of its own. */
  reset(): void {
    this.probes = 0;
    this.rules = 0;
  }

  /** The target of a `load` in the mirror's document: a stylesheet <link> whose rules the agent cannot read is probed. */
  loaded(target: EventTarget | null): void {
    const link = target as HTMLLinkElement;
    if (!(dom.type(link) === 1 && link.namespaceURI === HTML && dom.localName(link) === 'link')) return;
    const parent = dom.parent(link);
    if (!probable(link) || !parent || this.probes >= MAX_PROBES) return;
    this.probes++;
    const href = link.href;
    const probe = dom.createElement(link.ownerDocument, 'link') as HTMLLinkElement;
    dom.setAttribute(probe, PROBE_ATTR, '');
    dom.setAttribute(probe, 'rel', 'stylesheet');
    dom.setAttribute(probe, 'crossorigin', 'anonymous');
    // Loaded, not applied until it takes the link's place.
    dom.setAttribute(probe, 'media', 'not all');
    dom.setAttribute(probe, 'href', href);
    const finish = (loaded: boolean) => {
      clearTimeout(timer);
      try {
        // The link may have gone, moved to another address or been disabled while the probe loaded.
        if (loaded && link.isConnected && probe.isConnected && link.href === href && probable(link) && this.rewrite(probe.sheet)) {
          dom.removeAttribute(probe, PROBE_ATTR);
          this.take(link, probe);
          return;
        }
      } catch {
        // A sheet that throws where it should not: the link stays.
      }
      const up = dom.parent(probe);
      if (up) dom.remove(up, probe);
    };
    const timer = setTimeout(() => finish(false), PROBE_TIMEOUT_MS);
    probe.addEventListener('load', () => finish(true), { once: true });
    probe.addEventListener('error', () => finish(false), { once: true });
    dom.insertBefore(parent, probe, dom.nextSibling(link));
  }

  /** Rewrites the states of a sheet's rules in place (the sheet read in CORS mode); whether it had any. */
  private rewrite(sheet: CSSStyleSheet | null): boolean {
    let found = false;
    const visit = (rules: CSSRuleList | undefined, depth: number) => {
      if (!rules || depth > MAX_NESTING) return;
      for (let i = 0; i < rules.length && this.rules < MAX_RULES; i++, this.rules++) {
        const rule = rules[i] as CSSStyleRule & CSSGroupingRule & CSSImportRule;
        const selector = rule.selectorText;
        // stateCss returns a selector without a state as it is, after one quick test.
        const rewritten = typeof selector === 'string' ? stateCss(selector) : selector;
        if (rewritten !== selector) {
          rule.selectorText = rewritten;
          found = true;
        }
        // Grouping rules and nested style rules have rules of their own; an @import, the sheet it loaded.
        visit(rule.cssRules, depth + 1);
        if (rule.styleSheet) visit(readable(rule.styleSheet) ? rule.styleSheet.cssRules : undefined, depth + 1);
      }
    };
    if (sheet && readable(sheet)) visit(sheet.cssRules, 0);
    return found;
  }
}

/**
 * A link to probe: an enabled stylesheet over http(s), not a probe, not one the agent reads (a sheet of the agent's
 * own origin: the page could not have sent its rules either), and neither an alternate sheet nor one of a titled set,
 * which the browser may leave unapplied: taking their place, the probe would apply.
 */
function probable(link: HTMLLinkElement): boolean {
  const sheet = link.sheet;
  return (
    !!sheet &&
    !sheet.disabled &&
    !readable(sheet) &&
    /^https?:/i.test(link.href) &&
    dom.getAttribute(link, PROBE_ATTR) === null &&
    dom.getAttribute(link, 'title') === null &&
    !isAlternateRel(dom.getAttribute(link, 'rel'))
  );
}

function readable(sheet: CSSStyleSheet): boolean {
  try {
    return !!sheet.cssRules;
  } catch {
    return false;
  }
}
