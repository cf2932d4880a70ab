/**
 * Masking decisions, made at capture so a masked value never exists in any
 * message. Passwords are always masked; more by attribute, class and selectors.
 */
export interface MaskOptions {
  /** CSS selectors whose elements (and everything inside) are masked. */
  selectors?: string[];
  /** Class names that mask, beside `maskContent` (the class 8x8 users already have). */
  classes?: string[];
  /** CSS selectors whose elements are replaced by an empty box of the same size. */
  blockSelectors?: string[];
}

// Payment card fields are masked whatever the site configured: no one should have to remember them.
const DEFAULT_MASK = ['[data-tandem-mask]', '.maskContent', 'input[autocomplete^="cc-"]'];
const DEFAULT_BLOCK = ['[data-tandem-block]'];

/** Attributes that carry user data and are masked on masked elements. */
const MASKED_ATTRS = new Set(['value', 'placeholder', 'title', 'alt', 'aria-label', 'aria-valuetext']);

export class Masker {
  readonly maskSelector: string;
  readonly blockSelector: string;

  constructor(options: MaskOptions = {}) {
    const classes = (options.classes ?? []).map((c) => '.' + CSS.escape(c));
    this.maskSelector = [...DEFAULT_MASK, ...classes, ...(options.selectors ?? [])].join(',');
    this.blockSelector = [...DEFAULT_BLOCK, ...(options.blockSelectors ?? [])].join(',');
  }

  /** Does this element itself match a mask rule (not counting its ancestors)? */
  matchesMask(el: Element): boolean {
    return safeMatches(el, this.maskSelector);
  }

  isBlocked(el: Element): boolean {
    return safeMatches(el, this.blockSelector);
  }

  /** Is this element masked, by itself or by an ancestor? Used outside the snapshot walk. */
  isMasked(el: Element): boolean {
    return isPasswordField(el) || safeClosest(el, this.maskSelector);
  }

  maskAttr(name: string, value: string): string {
    return MASKED_ATTRS.has(name) || name.startsWith('data-') ? maskText(value) : value;
  }
}

export function isPasswordField(el: Element): boolean {
  return el.localName === 'input' && (el as HTMLInputElement).type === 'password';
}

/** Keeps the length and the spaces, so the layout stays close; every other character becomes "*". */
export function maskText(text: string): string {
  return text.replace(/\S/g, '*');
}

function safeMatches(el: Element, selector: string): boolean {
  try {
    return el.matches(selector);
  } catch {
    return false;
  }
}

function safeClosest(el: Element, selector: string): boolean {
  try {
    return el.closest(selector) !== null;
  } catch {
    return false;
  }
}
