/**
 * A stylesheet's rules as CSS text, for either side: capture reads the visitor's sheets (capture/styles.ts), the
 * rebuild reads a cross-origin sheet the agent's browser loaded in CORS mode (rebuild/cross-sheets.ts). Text in
 * either place becomes a <style> whose base is another document's, so its relative URLs are made absolute first.
 */

/** The CSS text of a sheet's rules, or null when the sheet cannot be read (another origin's, without CORS). */
export function sheetText(sheet: CSSStyleSheet | null): string | null {
  if (!sheet) return null;
  let rules: CSSRuleList;
  try {
    rules = sheet.cssRules;
  } catch {
    return null;
  }
  let out = '';
  for (let i = 0; i < rules.length; i++) out += rules[i]!.cssText + '\n';
  return out;
}

/** `css` with the relative URLs of its url() made absolute against `base`, the sheet's own address. */
export function absoluteUrls(css: string, base: string): string {
  return css.replace(/url\(\s*(["']?)([^"')]+)\1\s*\)/g, (m, q: string, url: string) => {
    if (/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(url)) return m;
    try {
      return `url(${q}${new URL(url, base).href}${q})`;
    } catch {
      return m;
    }
  });
}
