/**
 * Runs an agent's action on the visitor's page, or says why not. The server has
 * already checked the mode's floor; only the page knows what an element is (a
 * link or a button, masked, disabled), so the exact decision is taken here.
 *
 * Events are dispatched the way the page's frameworks listen for them: text
 * goes in through the browser's own editing command (trusted beforeinput and
 * input events, undo, React's value tracker all see a real edit), clicks are a
 * full pointer and mouse sequence ending in a click that runs the element's
 * activation behaviour (follow a link, toggle a box, submit a form).
 */
import { modeRank, type AgentAction, type Mode, type Refusal } from '@tandem/protocol';
import type { Capture } from '@tandem/mirror/capture';
import { IGNORE_ATTR, closestAcross } from '@tandem/mirror/capture';
import { httpUrl, submissionHref } from './domains.js';

export interface ActionHost {
  mode(): Mode;
  capture: Capture;
  /** May the page go to this address (the site's own origins)? */
  allowedUrl(url: URL): boolean;
  /** Goes to an allowed address (the session goes along). */
  navigate(url: URL): void;
  highlight(el: Element): void;
}

/** Marks an element (and its subtree) that agents may look at but never use. */
export const NO_CONTROL_ATTR = 'data-tandem-no-control';

const TEXT_INPUTS = new Set(['text', 'search', 'email', 'url', 'tel', 'number', 'password', 'date', 'time', 'datetime-local', 'month', 'week']);

export function runAction(a: AgentAction, host: ActionHost): Refusal | null {
  const has = (mode: Mode) => modeRank[host.mode()] >= modeRank[mode];
  if (a.k === 'navigate') {
    if (!has('navigate')) return 'mode';
    const url = httpUrl(a.url);
    if (!url || !host.allowedUrl(url)) return 'url';
    host.navigate(url);
    return null;
  }

  const node = host.capture.nodeOf(a.node);
  if (!node || !node.isConnected) return 'gone';

  if (a.k === 'scroll') {
    if (!has('navigate')) return 'mode';
    const target = node.nodeType === 9 /* a document */ ? (node as Document).defaultView : (node as Element);
    target?.scrollTo({ left: a.x, top: a.y, behavior: 'instant' as ScrollBehavior });
    return null;
  }

  const el = actionTarget(a, host.capture);
  if (!el) return 'gone';
  if (a.k === 'highlight') {
    host.highlight(el);
    return null;
  }

  const link = el.closest<HTMLAnchorElement>('a[href], area[href]');
  const followsLink = a.k === 'click' && link !== null && !el.closest('button, input, select, textarea, label');
  if (!has(followsLink ? 'navigate' : 'control')) return 'mode';
  if (closestAcross(el, `[${NO_CONTROL_ATTR}], [${IGNORE_ATTR}]`)) return 'noControl';
  const protection = host.capture.protection(el);
  if (protection) return protection;
  if (el.matches(':disabled')) return 'disabled';
  // Where a click or key would take the page (a link, a form's submission): only to the site's addresses.
  const leadsTo = a.k === 'click' || a.k === 'key' ? destination(el, a.k === 'key' ? a.key : null) : undefined;
  if (leadsTo !== undefined && (!leadsTo || !host.allowedUrl(leadsTo))) return 'url';
  if (followsLink && !has('control')) {
    // Browsing, not controlling: go to the link's address, and run none of the page's click handlers.
    host.navigate(leadsTo!);
    return null;
  }

  switch (a.k) {
    case 'click':
      click(el, a.x, a.y, a.double === true);
      return null;
    case 'type':
      return typeText(el, a.text);
    case 'key':
      return pressKey(el, a.key, a.shift === true);
    case 'select': {
      if (el.localName !== 'select') return 'notEditable';
      const select = el as HTMLSelectElement;
      focus(select);
      const wanted = select.multiple ? a.indexes : a.indexes.slice(0, 1);
      for (let i = 0; i < select.options.length; i++) select.options[i]!.selected = wanted.includes(i);
      changed(select);
      return null;
    }
    case 'check': {
      const input = el as HTMLInputElement;
      if (el.localName !== 'input' || (input.type !== 'checkbox' && input.type !== 'radio')) return 'notEditable';
      // A click, as a person's: the page's click, input and change handlers all run.
      if (input.checked !== a.checked) click(input, 1, 1, false);
      return null;
    }
  }
}

/**
 * The element an action names: keys sent to the document go where the page's focus is, a scroll
 * of the document scrolls its root, a text node stands for its parent. Null when it is gone.
 */
export function actionTarget(a: Exclude<AgentAction, { k: 'navigate' }>, capture: Capture): Element | null {
  const node = capture.nodeOf(a.node);
  if (!node || !node.isConnected) return null;
  if (node.nodeType === 1) return node as Element; // an element
  if (node.nodeType !== 9) return node.parentElement; // not a document
  const doc = node as Document;
  return a.k === 'scroll' ? doc.documentElement : (deepActive(doc) ?? doc.body);
}

function focus(el: Element): void {
  if (deepActive(el.ownerDocument) !== el) (el as HTMLElement).focus?.({ preventScroll: true });
}

/** The focused element, through open shadow roots. */
function deepActive(doc: Document): Element | null {
  let active = doc.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/**
 * Editing commands act on whatever has the focus, so an element that could not
 * take it (hidden, inert) must not be typed into: the text would land in the
 * field the visitor is in, maybe a masked one.
 */
function hasFocus(el: Element): boolean {
  const active = deepActive(el.ownerDocument);
  return active === el || ((el as HTMLElement).isContentEditable && active !== null && el.contains(active));
}

/**
 * The address a click on `el` (or `key` pressed on it) would load: a link's,
 * or a form's when it submits it. undefined: it loads none; null: one that is
 * not http(s) (javascript:, data:).
 */
function destination(el: Element, key: string | null): URL | null | undefined {
  const link = el.closest<HTMLAnchorElement>('a[href], area[href]');
  const field = el as HTMLButtonElement;
  const submits =
    key === null || key === ' '
      ? el.matches('button:not([type=button]):not([type=reset]), input[type=submit], input[type=image]')
      : key === 'Enter'
        ? el.localName === 'input' || el.matches('button:not([type=button]):not([type=reset])')
        : false;
  if (submits && field.form) return httpUrl(submissionHref(field.form, field));
  if (link && (key === null || key === 'Enter')) return httpUrl(link.href);
  return undefined;
}

/** A field's value changed by script: its input and change events, as a person's change fires them. */
function changed(el: Element): void {
  for (const type of ['input', 'change']) el.dispatchEvent(new Event(type, { bubbles: true }));
}

/** A text field (not a contenteditable element): it has a value and, for most types, a caret. */
function isField(el: Element): boolean {
  return el.localName === 'input' || el.localName === 'textarea';
}

/** Puts a text field's caret at `at`. */
function setCaret(field: Element, at: number): void {
  try {
    (field as HTMLInputElement).setSelectionRange(at, at);
  } catch {
    // Types without a caret (number, email in some engines).
  }
}

function click(el: Element, x: number, y: number, double: boolean): void {
  const box = el.getBoundingClientRect();
  const view = el.ownerDocument.defaultView;
  const at = { clientX: box.left + x, clientY: box.top + y, bubbles: true, cancelable: true, composed: true, view, button: 0 };
  const sequence = (detail: number) => {
    el.dispatchEvent(new PointerEvent('pointerdown', { ...at, pointerId: 1, isPrimary: true, pointerType: 'mouse', buttons: 1 }));
    el.dispatchEvent(new MouseEvent('mousedown', { ...at, detail, buttons: 1 }));
    focus(el.closest('a[href], button, input, select, textarea, [tabindex], [contenteditable]') ?? el);
    el.dispatchEvent(new PointerEvent('pointerup', { ...at, pointerId: 1, isPrimary: true, pointerType: 'mouse' }));
    el.dispatchEvent(new MouseEvent('mouseup', { ...at, detail }));
    el.dispatchEvent(new MouseEvent('click', { ...at, detail }));
  };
  // A double click follows the single click the agent's first press already sent.
  if (!double) return sequence(1);
  sequence(2);
  el.dispatchEvent(new MouseEvent('dblclick', { ...at, detail: 2 }));
}

function editable(el: Element): boolean {
  if (el.localName === 'textarea') return !(el as HTMLTextAreaElement).readOnly;
  if (el.localName === 'input') return TEXT_INPUTS.has((el as HTMLInputElement).type) && !(el as HTMLInputElement).readOnly;
  return (el as HTMLElement).isContentEditable;
}

function typeText(el: Element, text: string): Refusal | null {
  if (!editable(el)) return 'notEditable';
  const doc = el.ownerDocument;
  if (!hasFocus(el)) {
    focus(el);
    if (!hasFocus(el)) return 'notFocusable';
    caretToEnd(el);
  }
  // The browser's own editing command: trusted beforeinput/input events, so
  // React, Vue and plain listeners see exactly what a keyboard would give them.
  if (doc.execCommand('insertText', false, text)) return null;
  // Where the command is not available: the value setter of the prototype (a
  // framework's own setter would hide the change from it), then an input event.
  const field = el as HTMLInputElement;
  const proto = el.localName === 'textarea' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(field, field.value + text);
  el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: text }));
  return null;
}

function caretToEnd(el: Element): void {
  // Types without a caret (number, email in some engines) insert at their end anyway.
  if (isField(el)) return setCaret(el, (el as HTMLInputElement).value.length);
  const selection = el.ownerDocument.getSelection();
  if (!selection) return;
  const range = el.ownerDocument.createRange();
  range.selectNodeContents(el);
  range.collapse(false);
  selection.removeAllRanges();
  selection.addRange(range);
}

const KEY_CODES: Record<string, string> = { ' ': 'Space' };

function pressKey(el: Element, key: string, shift: boolean): Refusal | null {
  focus(el);
  // Keys that edit need the element to hold the focus (see hasFocus); others go to it as events.
  if (editable(el) && !hasFocus(el)) return 'notFocusable';
  const init = { key, code: KEY_CODES[key] ?? key, shiftKey: shift, bubbles: true, cancelable: true, composed: true };
  const go = el.dispatchEvent(new KeyboardEvent('keydown', init));
  // Synthetic key events have no default action: do what the browser would have done.
  if (go) keyDefault(el, key, shift);
  el.dispatchEvent(new KeyboardEvent('keyup', init));
  return null;
}

function keyDefault(el: Element, key: string, shift: boolean): void {
  const doc = el.ownerDocument;
  const isText = editable(el);
  switch (key) {
    case 'Enter':
      if (el.localName === 'input') (el as HTMLInputElement).form?.requestSubmit();
      else if (isText) doc.execCommand(el.localName === 'textarea' ? 'insertText' : 'insertParagraph', false, '\n');
      else if (el.matches('a[href], button, summary, [role=button]')) click(el, 1, 1, false);
      return;
    case ' ':
      if (isText) doc.execCommand('insertText', false, ' ');
      else if (el.matches('button, input[type=checkbox], input[type=radio], summary, [role=button]')) click(el, 1, 1, false);
      return;
    case 'Backspace':
    case 'Delete':
      if (isText) doc.execCommand(key === 'Backspace' ? 'delete' : 'forwardDelete');
      return;
    case 'Tab':
      moveFocus(el, shift ? -1 : 1);
      return;
    case 'Escape': {
      const dialog = el.closest<HTMLDialogElement>('dialog[open]');
      dialog?.close();
      return;
    }
    case 'ArrowUp':
    case 'ArrowDown':
      if (el.localName === 'select' && !(el as HTMLSelectElement).multiple) {
        const select = el as HTMLSelectElement;
        const next = select.selectedIndex + (key === 'ArrowDown' ? 1 : -1);
        if (next >= 0 && next < select.options.length) {
          select.selectedIndex = next;
          changed(select);
        }
        return;
      }
      if (!isText) doc.defaultView?.scrollBy(0, key === 'ArrowDown' ? 40 : -40);
      return;
    case 'PageUp':
    case 'PageDown': {
      const win = doc.defaultView;
      if (win) win.scrollBy(0, (key === 'PageDown' ? 1 : -1) * win.innerHeight * 0.9);
      return;
    }
    case 'Home':
    case 'End':
      if (isText && isField(el)) setCaret(el, key === 'Home' ? 0 : (el as HTMLInputElement).value.length);
      else if (!isText) doc.defaultView?.scrollTo(0, key === 'Home' ? 0 : doc.documentElement.scrollHeight);
      return;
    case 'ArrowLeft':
    case 'ArrowRight':
      if (isText && isField(el)) {
        const field = el as HTMLInputElement;
        setCaret(field, Math.max(0, (field.selectionStart ?? 0) + (key === 'ArrowLeft' ? -1 : 1)));
      }
      return;
  }
}

const TABBABLE =
  'a[href], button, input:not([type=hidden]), select, textarea, [tabindex], [contenteditable=""], [contenteditable=true], summary';

/** Moves focus to the next (or previous) element in tab order, as Tab would. */
function moveFocus(from: Element, step: 1 | -1): void {
  const all = [...from.ownerDocument.querySelectorAll<HTMLElement>(TABBABLE)].filter(
    (e) => e.tabIndex >= 0 && !e.matches(':disabled') && e.getClientRects().length > 0 && !e.closest(`[${IGNORE_ATTR}]`),
  );
  // Positive tabindex first, in order, then document order (the HTML rule).
  const ordered = [...all.filter((e) => e.tabIndex > 0).sort((a, b) => a.tabIndex - b.tabIndex), ...all.filter((e) => e.tabIndex === 0)];
  const i = ordered.indexOf(from as HTMLElement);
  const next = ordered[(i + step + ordered.length) % ordered.length];
  next?.focus();
}
