/**
 * Stylesheets as the browser holds them. CSS-in-JS libraries (styled-components,
 * emotion) insert rules through the CSS Object Model, so a <style> element's text
 * can be empty while its sheet holds hundreds of rules: the capture reads the
 * CSSOM. Constructed sheets adopted by a document or a shadow root have no
 * element at all. Changes made through the CSSOM after the snapshot are caught
 * by wrapping its mutating methods.
 */

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
 * loads those itself.
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
  const restores: (() => void)[] = [];
  const wrap = (proto: object | undefined, name: string, sheetOf: (self: any) => CSSStyleSheet | null) => {
    if (!proto) return;
    const original = Object.getOwnPropertyDescriptor(proto, name)?.value as ((...a: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') return;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      const sheet = sheetOf(this);
      if (sheet) dirty(sheet.ownerNode ?? sheet);
      return result;
    };
    Object.defineProperty(proto, name, { value: wrapped, configurable: true, writable: true });
    restores.push(() => Object.defineProperty(proto, name, { value: original, configurable: true, writable: true }));
  };
  const topSheet = (rule: CSSRule | null): CSSStyleSheet | null => {
    let sheet = rule?.parentStyleSheet ?? null;
    while (sheet?.ownerRule) sheet = sheet.ownerRule.parentStyleSheet;
    return sheet;
  };
  const sheetProto = win.CSSStyleSheet?.prototype;
  const self = (s: CSSStyleSheet) => topSheet(s.ownerRule) ?? s;
  for (const name of ['insertRule', 'deleteRule', 'addRule', 'removeRule', 'replaceSync']) wrap(sheetProto, name, self);
  // replace() is async: report once its promise settles.
  if (sheetProto?.replace) {
    const original = sheetProto.replace;
    sheetProto.replace = function (this: CSSStyleSheet, text: string) {
      const p = original.call(this, text);
      p.then(() => dirty(this), () => {});
      return p;
    };
    restores.push(() => (sheetProto.replace = original));
  }
  const groupingProto = win.CSSGroupingRule?.prototype;
  for (const name of ['insertRule', 'deleteRule']) wrap(groupingProto, name, (r: CSSRule) => topSheet(r));
  // Declarations of a rule edited in place (rule.style.setProperty); inline styles
  // of elements go through the same methods but change an attribute, seen anyway.
  const declProto = win.CSSStyleDeclaration?.prototype;
  for (const name of ['setProperty', 'removeProperty']) wrap(declProto, name, (d: CSSStyleDeclaration) => topSheet(d.parentRule));
  const setter = (proto: object | undefined, name: string, sheetOf: (self: any) => CSSStyleSheet | null) => {
    const desc = proto && Object.getOwnPropertyDescriptor(proto, name);
    if (!desc?.set) return;
    const set = desc.set;
    Object.defineProperty(proto, name, {
      ...desc,
      set(this: unknown, value: unknown) {
        set.call(this, value);
        const sheet = sheetOf(this);
        if (sheet) dirty(sheet.ownerNode ?? sheet);
      },
    });
    restores.push(() => Object.defineProperty(proto, name, desc));
  };
  setter(declProto, 'cssText', (d: CSSStyleDeclaration) => topSheet(d.parentRule));
  setter(win.CSSStyleRule?.prototype, 'selectorText', (r: CSSRule) => topSheet(r));
  setter(win.StyleSheet?.prototype, 'disabled', (s: CSSStyleSheet) => s);
  return () => restores.forEach((r) => r());
}
