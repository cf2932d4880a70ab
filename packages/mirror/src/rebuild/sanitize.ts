/**
 * The rebuild's rules for hostile input. The visitor's page, and anyone who can
 * put markup in it, decides what arrives here; nothing of it may run in the
 * agent's browser. The sandboxed iframe without `allow-scripts` and the watch
 * page's Content-Security-Policy are the backstops; these rules are the first line.
 * See THREAT_MODEL.md.
 */

import { isFrameTag } from '@tandem/protocol';
import { COMMENT_OR_STRING } from './css-text.js';

/**
 * Elements rebuilt as an inert comment: they run code, embed documents or navigate. Frames are not among them: an
 * <iframe> or a frameset's <frame> is rebuilt without its address (safeAttr), and the mirror fills its document itself.
 */
const INERT_TAGS = new Set(['script', 'noscript', 'object', 'embed', 'applet', 'portal']);

/** Attributes whose value is a URL that a browser may load or navigate to. */
const URL_ATTRS = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'xlink:href',
  'data',
  'poster',
  'background',
  'cite',
  'longdesc',
  'ping',
  'codebase',
  'lowsrc',
  'dynsrc',
  'manifest',
  'icon',
]);

/** Attributes dropped whatever their value. */
const DROPPED_ATTRS = new Set(['srcdoc', 'nonce', 'integrity', 'autofocus', 'http-equiv', 'target', 'formtarget', 'ping', 'attributionsrc']);

/** SVG animation elements can rewrite another attribute (href) to a script URL. */
const SVG_ANIMATION = new Set(['set', 'animate', 'animatemotion', 'animatetransform', 'discard']);

/** Whether a <link rel> value asks for a stylesheet: any other relation that fetches is refused. */
export function isStylesheetRel(rel: string | null): boolean {
  return rel !== null && /(^|\s)stylesheet(\s|$)/i.test(rel);
}

/** "alternate stylesheet": a sheet the browser loads and leaves unapplied, though its CSSOM reads as enabled. */
export function isAlternateRel(rel: string | null | undefined): boolean {
  return !!rel && /(^|\s)alternate(\s|$)/i.test(rel);
}

/** The media of the <style> a stylesheet <link> becomes when its rules come with it: an alternate one never applies. */
export function standInMedia(rel: string | null | undefined, media: string | null | undefined): string {
  return isAlternateRel(rel) ? 'not all' : (media ?? '');
}

export function isInertTag(tag: string): boolean {
  return INERT_TAGS.has(tag.toLowerCase());
}

/**
 * A name the rebuild creates as it is: no prefix (a colon would let
 * createElementNS give "svg:script" the local name "script"), nothing but
 * letters, digits, "-", "." and "_" — non-ASCII letters included, as custom
 * element names allow ("x-ü").
 */
export function isPlainTag(tag: string): boolean {
  return /^[a-z][a-z0-9._\-\u00b7\u00c0-\u037d\u037f-\u1fff\u200c-\u200d\u203f\u2040\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd]*$/i.test(
    tag,
  );
}

/**
 * Whether a name the rebuild refuses still means an inert element: what any
 * prefix leaves ("x:script"), trimmed ("Script "). Such an element is a comment
 * without content; any other refused name keeps its content in a stand-in.
 */
export function isInertName(tag: string): boolean {
  const local = tag.slice(tag.lastIndexOf(':') + 1).trim();
  return isInertTag(tag) || isInertTag(local) || /^#(?:shadow|doc)?$/.test(tag);
}

/** Attributes a stand-in for a refused element keeps: what styles it, nothing that fetches or runs. */
export const STAND_IN_ATTRS = new Set(['class', 'style', 'id', 'dir', 'lang', 'title', 'hidden']);

/** The only data a relayed resource may be: an image, base64-encoded. */
export function isImageData(url: string): boolean {
  return /^data:image\/(?:png|jpeg|gif|webp|avif|bmp|x-icon|svg\+xml);base64,[a-z0-9+/]*={0,2}$/i.test(url);
}

/** Attributes a relayed resource may fill: images only, never a document or a script. */
export function isRelayTarget(tag: string, name: string): boolean {
  return (
    (tag === 'img' && name === 'src') ||
    (tag === 'image' && (name === 'href' || name === 'xlink:href')) ||
    (tag === 'video' && name === 'poster')
  );
}

/** Browsers ignore ASCII whitespace and control characters inside a scheme: so must we. */
function scheme(value: string): string {
  // eslint-disable-next-line no-control-regex
  const compact = value.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
  const colon = compact.indexOf(':');
  return colon > 0 ? compact.slice(0, colon) : '';
}

const SCRIPT_SCHEMES = new Set(['javascript', 'vbscript', 'livescript']);

function isScriptUrl(value: string): boolean {
  return SCRIPT_SCHEMES.has(scheme(value));
}

/**
 * A url() of a script scheme, whole, as the browser reads it: a quoted one to its closing quote (a ")" inside it is the
 * URL's) or the end of the line, an unquoted one to its first unescaped ")". Comments, strings and other unquoted urls
 * are matched first (group 1) and kept as they are: a "url(" in a comment or a string is no url, an unclosed quote
 * there must not swallow the rules after it, and a quote inside an unquoted url opens no string. A string ends at a
 * line's end, as in CSS, so no rule hides from this inside what only looks like a string.
 */
const SCRIPT_URL = new RegExp(
  [
    String.raw`(${COMMENT_OR_STRING}|url\((?!\s*['"]|\s*(?:javascript|vbscript|livescript)\s*:)(?:\\[^]|[^\\)])*\)?)`,
    String.raw`url\(\s*(?:(['"])\s*(?:javascript|vbscript|livescript)\s*:(?:\\[^]|(?!\2)[^\\\n\r\f])*\2?|(?:javascript|vbscript|livescript)\s*:(?:\\[^]|[^\\)])*)\s*\)?`,
  ].join('|'),
  'gi',
);

/**
 * Neutralises url(javascript:…) and legacy expression() in CSS text. A script url becomes `none`, which loads nothing:
 * valid where an image may be none (a background, a list style), and it makes any other place invalid, an @import among
 * them (url(about:invalid) there was a load the document waited for). Stopped at the first ")" inside quotes, as it
 * once was, the match left the closing quote behind, which opened a string that ate the rest of a minified sheet.
 */
export function safeCss(css: string): string {
  if (!/javascript|vbscript|livescript|expression|behavior|-moz-binding/i.test(css)) return css;
  return css
    .replace(SCRIPT_URL, (_, kept: string | undefined) => kept ?? 'none')
    .replace(/expression\s*\(/gi, 'invalid(')
    .replace(/(?:behavior|-moz-binding)\s*:/gi, 'invalid:');
}

/**
 * Returns the value to set for this attribute, or null to drop it.
 * `tag` is the element's localName in lower case.
 */
export function safeAttr(tag: string, name: string, value: string): string | null {
  const lname = name.toLowerCase();
  if (lname.startsWith('on') || DROPPED_ATTRS.has(lname)) return null;
  if (URL_ATTRS.has(lname) || lname.endsWith(':href')) {
    if (isScriptUrl(value)) return null;
    // data: documents can run script where a document is embedded or navigated to.
    if (scheme(value) === 'data' && (tag === 'a' || isFrameTag(tag) || tag === 'form' || lname.endsWith('action'))) return null;
    // A frame never loads anything: its document, when the visitor's page could read it, is built by the mirror.
    if (isFrameTag(tag) && lname === 'src') return null;
  }
  if (lname === 'style') return safeCss(value);
  if (SVG_ANIMATION.has(tag) && (lname === 'attributename' ? /href/i.test(value) : isScriptUrl(value))) return null;
  if ((lname === 'values' || lname === 'to' || lname === 'from') && value.split(';').some(isScriptUrl)) return null;
  if (tag === 'base' && lname === 'href') return null; // the rebuild sets its own base
  if (tag === 'link' && lname === 'rel' && /\b(?:import|prerender|prefetch|preload|modulepreload|serviceworker)\b/i.test(value)) return null;
  if (tag === 'meta' && (lname === 'content' || lname === 'name') && /refresh|url\s*=/i.test(value)) return null;
  return value;
}
