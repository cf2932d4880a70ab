/**
 * Stylesheets as the browser holds them. CSS-in-JS libraries (styled-components,
 * emotion) insert rules through the CSS Object Model, so a <style> element's text
 * can be empty while its sheet holds hundreds of rules: the capture reads the
 * CSSOM. Constructed sheets adopted by a document or a shadow root have no
 * element at all. Changes made through the CSSOM after the snapshot are caught
 * by wrapping its mutating methods.
 */

import { afterCall, afterSet, type Restore } from './patch.js';

/** The CSS text of a sheet's rules, or null when the sheet cannot be read. */
export function sheetText(sheet: CSSStyleSheet | null): string | null {
  if (!sheet) return null;
  let rules: CSSRuleList;
  try {
    rules = sheet.cssRules;
  } catch {
    return null; // a cross-origin sheet: the agent loads it itself
  }
  let out = '';
  for (let i = 0; i < rules.length; i++) out += rules[i]!.cssText + '\n';
  return out;
}

/** The CSS of a <style> element as the browser applies it. */
export function styleElementCss(el: HTMLStyleElement): string {
  if (el.sheet?.disabled) return '';
  return sheetText(el.sheet) ?? el.textContent ?? '';
}

/**
 * The CSS of a same-origin <link rel=stylesheet>, as the browser holds it (rules
 * may have been inserted through the CSSOM), with its relative URLs made
 * absolute: in the mirror it becomes a <style> whose base is the document's.
 * Null for a sheet that cannot be read (cross-origin, not loaded): the agent
 * loads those itself (and reads them in CORS mode where it can: rebuild/cross-sheets.ts).
 */
export function linkCss(el: HTMLLinkElement): string | null {
  const sheet = el.sheet;
  if (!sheet) return null;
  if (sheet.disabled) return '';
  const text = sheetText(sheet);
  if (text === null) return null;
  const base = sheet.href ?? el.href;
  return text.replace(/url\(\s*(["']?)([^"')]+)\1\s*\)/g, (m, q: string, url: string) => {
    if (/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(url)) return m;
    try {
      return `url(${q}${new URL(url, base).href}${q})`;
    } catch {
      return m;
    }
  });
}

export function isStylesheetLink(el: Element): el is HTMLLinkElement {
  return el.localName === 'link' && /(^|\s)stylesheet(\s|$)/i.test(el.getAttribute('rel') ?? '');
}

/** Concatenated CSS of the adopted sheets of a document or shadow root, or null when there are none. */
export function adoptedCss(root: Document | ShadowRoot): string | null {
  const sheets = root.adoptedStyleSheets;
  if (!sheets || sheets.length === 0) return null;
  return sheets.map(constructedCss).join('\n');
}

/** A constructed sheet as CSS text that keeps its media list and disabled state. */
function constructedCss(sheet: CSSStyleSheet): string {
  if (sheet.disabled) return '';
  const text = sheetText(sheet) ?? '';
  const media = sheet.media.mediaText;
  return media ? `@media ${media} {\n${text}}` : text;
}

type Dirty = (owner: Node | CSSStyleSheet) => void;

/**
 * Wraps the CSSOM's mutating methods of a window so every change reports the
 * sheet it touched. Returns the function that restores them.
 */
export function watchCssom(win: Window & typeof globalThis, dirty: Dirty): () => void {
  const restores: (Restore | null)[] = [];
  const report = (sheet: CSSStyleSheet | null) => {
    if (sheet) dirty(sheet.ownerNode ?? sheet);
  };
  const topSheet = (rule: CSSRule | null): CSSStyleSheet | null => {
    let sheet = rule?.parentStyleSheet ?? null;
    while (sheet?.ownerRule) sheet = sheet.ownerRule.parentStyleSheet;
    return sheet;
  };
  const sheetProto = win.CSSStyleSheet?.prototype;
  for (const name of ['insertRule', 'deleteRule', 'addRule', 'removeRule', 'replaceSync']) {
    restores.push(afterCall<CSSStyleSheet>(sheetProto, name, (s) => report(topSheet(s.ownerRule) ?? s)));
  }
  // replace() is async: report once its promise settles.
  restores.push(
    afterCall<CSSStyleSheet>(
      sheetProto,
      'replace',
      (s, p) =>
        void (p as Promise<unknown>).then(
          () => report(s),
          () => {},
        ),
    ),
  );
  const groupingProto = win.CSSGroupingRule?.prototype;
  for (const name of ['insertRule', 'deleteRule']) restores.push(afterCall<CSSRule>(groupingProto, name, (r) => report(topSheet(r))));
  // Declarations of a rule edited in place (rule.style.setProperty); inline styles
  // of elements go through the same methods but change an attribute, seen anyway.
  const declProto = win.CSSStyleDeclaration?.prototype;
  for (const name of ['setProperty', 'removeProperty']) {
    restores.push(afterCall<CSSStyleDeclaration>(declProto, name, (d) => report(topSheet(d.parentRule))));
  }
  restores.push(afterSet<CSSStyleDeclaration>(declProto, 'cssText', (d) => report(topSheet(d.parentRule))));
  restores.push(afterSet<CSSRule>(win.CSSStyleRule?.prototype, 'selectorText', (r) => report(topSheet(r))));
  restores.push(afterSet<CSSStyleSheet>(win.StyleSheet?.prototype, 'disabled', (s) => report(s)));
  return () => restores.forEach((r) => r?.());
}
