/**
 * Masking decisions, made at capture so a masked value never exists in any
 * message. Passwords, payment card fields and hidden inputs are always masked;
 * more by attribute, class and selectors; or everything, in private mode.
 */
export interface MaskOptions {
  /** CSS selectors whose elements (and everything inside) are masked. */
  selectors?: string[];
  /** Class names that mask, beside `maskContent` (the class 8x8 users already have). */
  classes?: string[];
  /** CSS selectors whose elements are replaced by an empty box of the same size. */
  blockSelectors?: string[];
  /** Private by default: mask all text and inputs except inside elements matching `allowSelectors`. */
  privateByDefault?: boolean;
  allowSelectors?: string[];
}

// Payment card fields are masked whatever the site configured: no one should have to remember them.
const DEFAULT_MASK = ['[data-tandem-mask]', '.maskContent', 'input[autocomplete^="cc-"]'];
const DEFAULT_BLOCK = ['[data-tandem-block]'];

/** Attributes that carry user data and are masked on masked elements. */
const MASKED_ATTRS = new Set(['value', 'placeholder', 'title', 'alt', 'aria-label', 'aria-valuetext', 'aria-description', 'label']);

export class Masker {
  readonly maskSelector: string;
  readonly blockSelector: string;
  readonly allowSelector: string | null;
  /**
   * During a snapshot, the elements each rule matches, found with one native
   * querySelectorAll per tree: far cheaper than a matches() per element.
   */
  private matched: { mask: Set<Element>; block: Set<Element>; allow: Set<Element> } | null = null;

  constructor(options: MaskOptions = {}) {
    const classes = (options.classes ?? []).map((c) => '.' + CSS.escape(c));
    // Rules are joined into one selector list, and one invalid selector makes a
    // whole list invalid: masking would then fail open. So each is checked alone.
    this.maskSelector = [...DEFAULT_MASK, ...classes, ...validSelectors(options.selectors)].join(',');
    this.blockSelector = [...DEFAULT_BLOCK, ...validSelectors(options.blockSelectors)].join(',');
    // In private mode nothing is allowed unless a selector says so.
    this.allowSelector = options.privateByDefault ? validSelectors(options.allowSelectors).join(',') || ':not(*)' : null;
  }

  /** Whether the document root starts out masked (private mode). */
  get maskedByDefault(): boolean {
    return this.allowSelector !== null;
  }

  /** Starts a snapshot: matches every rule once per tree (`root` and, later, its shadow roots and frames). */
  prepare(root: Document | ShadowRoot): void {
    const m = (this.matched ??= { mask: new Set(), block: new Set(), allow: new Set() });
    this.prepared.push(root);
    for (const el of safeAll(root, this.maskSelector)) m.mask.add(el);
    for (const el of safeAll(root, this.blockSelector)) m.block.add(el);
    if (this.allowSelector !== null) for (const el of safeAll(root, this.allowSelector)) m.allow.add(el);
  }

  /** The page changed between two slices of a snapshot: match the rules again, in every tree seen so far. */
  refresh(): void {
    if (!this.matched) return;
    const roots = this.prepared;
    this.release();
    for (const root of roots) this.prepare(root);
  }

  /** Ends a snapshot: later elements (added by changes) are matched one by one. */
  release(): void {
    this.matched = null;
    this.prepared = [];
  }

  private prepared: (Document | ShadowRoot)[] = [];

  /**
   * The mask state of `el` given its parent's: masking rules win, an allowed
   * element lifts private mode for its subtree.
   */
  childState(el: Element, parentMasked: boolean): boolean {
    if (this.matches(el, 'mask', this.maskSelector)) return true;
    if (this.allowSelector !== null && parentMasked && this.matches(el, 'allow', this.allowSelector)) {
      // Allowed, unless a masking rule masks an ancestor.
      return el.parentElement !== null && safeClosest(el.parentElement, this.maskSelector);
    }
    return parentMasked;
  }

  isBlocked(el: Element): boolean {
    return this.matches(el, 'block', this.blockSelector);
  }

  private matches(el: Element, rule: 'mask' | 'block' | 'allow', selector: string): boolean {
    if (!this.matched) return safeMatches(el, selector);
    const set = this.matched[rule];
    // Most pages match no rule at all: skip the lookup (hashing every element has a cost).
    return set.size !== 0 && set.has(el);
  }

  /** Is this element's content masked? Used outside the snapshot walk, where ancestors are not at hand. */
  isMasked(el: Element): boolean {
    if (safeClosest(el, this.maskSelector)) return true;
    return this.allowSelector !== null && !safeClosest(el, this.allowSelector);
  }

  /**
   * Whether `node` is a blocked element or inside one (across shadow hosts and frames), as the page is now: nothing of
   * it travels after the box it was sent as, until a rule stops blocking it and it is sent again whole.
   */
  inBlocked(node: Node): boolean {
    const type = node.nodeType;
    let el: Node | null = type === 9 ? (node as Document).documentElement : type === 1 || type === 11 ? node : node.parentNode;
    if (el?.nodeType === 11) el = (el as ShadowRoot).host;
    return el?.nodeType === 1 && safeClosest(el as Element, this.blockSelector);
  }

  /**
   * Why agents may not act on this element, if they may not: it is inside a
   * blocked part, its content is masked, or it is a field that always is.
   */
  protection(el: Element): 'blocked' | 'masked' | null {
    if (this.inBlocked(el)) return 'blocked';
    return this.isMasked(el) || isAlwaysMaskedField(el) ? 'masked' : null;
  }

  /** Is this field's value masked (masked content, or a field that always is)? */
  masksValue(el: Element, contentMasked: boolean): boolean {
    return contentMasked || isAlwaysMaskedField(el);
  }

  maskAttr(name: string, value: string): string {
    return MASKED_ATTRS.has(name) || name.startsWith('data-') ? maskText(value) : value;
  }
}

/** Fields whose value never travels, whatever the rules: passwords and hidden inputs (tokens live there). */
export function isAlwaysMaskedField(el: Element): boolean {
  if (el.localName !== 'input') return false;
  const type = (el as HTMLInputElement).type;
  return type === 'password' || type === 'hidden';
}

/** Keeps the length and the spaces, so the layout stays close; every other character becomes "*". */
export function maskText(text: string): string {
  return text.replace(/\S/g, '*');
}

function validSelectors(selectors: string[] | undefined): string[] {
  // A fresh fragment: the page may have clobbered document.createDocumentFragment (a named element).
  const probe = new DocumentFragment();
  return (selectors ?? []).filter((s) => {
    try {
      probe.querySelector(s);
      return typeof s === 'string' && s.trim() !== '';
    } catch {
      console.warn(`Tandem: masking selector "${s}" is not valid CSS: ignored`);
      return false;
    }
  });
}

export function safeMatches(el: Element, selector: string): boolean {
  try {
    return el.matches(selector);
  } catch {
    return false;
  }
}

function safeAll(root: Document | ShadowRoot, selector: string): Element[] {
  try {
    return Array.from(root.querySelectorAll(selector));
  } catch {
    return [];
  }
}

/**
 * `closest` that goes on through shadow hosts and frame elements: capture masks
 * a shadow tree or a frame's document inside a masked element, so every other
 * decision (agent actions included) must see the same ancestors.
 */
export function closestAcross(el: Element, selector: string): Element | null {
  for (let at: Element | null = el; at;) {
    const hit = at.closest(selector);
    if (hit) return hit;
    const root = at.getRootNode() as Node & { host?: Element; defaultView?: Window | null };
    at = root.host ?? frameOf(root.defaultView);
  }
  return null;
}

function frameOf(win: Window | null | undefined): Element | null {
  try {
    return win?.frameElement ?? null;
  } catch {
    return null;
  }
}

function safeClosest(el: Element, selector: string): boolean {
  try {
    return closestAcross(el, selector) !== null;
  } catch {
    return false;
  }
}
