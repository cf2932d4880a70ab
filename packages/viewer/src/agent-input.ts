/**
 * Turns what the agent does over the mirror into actions for the visitor's
 * page. The mirror itself never receives an event (an overlay covers it); a
 * hidden text field takes the agent's keyboard, so typing, an input method's
 * composed text and pastes all arrive as plain text to insert.
 */
import { DOCUMENT_ID, KEYS, modeRank, type AgentAction, type Key, type Mode } from '@tandem/protocol';
import type { Rebuilder } from '@tandem/mirror/rebuild';
import type { Tool } from './ink-input.js';

export interface AgentInputOptions {
  overlay: HTMLElement;
  rebuilder: Rebuilder;
  /** From a pointer event to CSS px of the visitor's viewport. */
  toPage(e: MouseEvent): [number, number];
  mode(): Mode;
  /** The agent's tool: clicks act only with `point` (as the mode allows) and `highlight` (always a highlight). */
  tool(): Tool;
  send(action: AgentAction): void;
  /** The agent's own view scrolls (zoomed past its room): a wheel the mode does not let through pans it instead. */
  pans(): boolean;
  /** Something the agent tried that the mode rules out (said once, not on every wheel turn). */
  refused(action: AgentAction['k']): void;
}

const KEY_SET = new Set<string>(KEYS);

export class AgentInput {
  /** The element the agent last clicked: where keys and text go. */
  private target = 0;
  private readonly sink: HTMLTextAreaElement;
  private wheel: { node: number; dx: number; dy: number; el: Element | null } | null = null;

  constructor(private readonly o: AgentInputOptions) {
    this.sink = document.createElement('textarea');
    this.sink.setAttribute('aria-label', 'Type on the visitor’s page');
    this.sink.dataset.tandemKeys = '';
    this.sink.autocomplete = 'off';
    this.sink.spellcheck = false;
    // Focusable and on screen (input methods place their window by it), but invisible.
    this.sink.style.cssText = 'position:absolute;left:0;top:0;width:1px;height:1px;opacity:0;border:0;padding:0;resize:none;pointer-events:none';
    o.overlay.appendChild(this.sink);
    o.overlay.addEventListener('click', (e) => this.onClick(e));
    o.overlay.addEventListener('dblclick', (e) => this.onClick(e, true));
    o.overlay.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.sink.addEventListener('keydown', (e) => this.onKey(e));
    this.sink.addEventListener('beforeinput', (e) => this.onBeforeInput(e));
    this.sink.addEventListener('compositionend', (e) => {
      if (e.data) this.type(e.data);
      this.sink.value = '';
    });
    this.sink.addEventListener('paste', (e) => {
      e.preventDefault();
      const text = e.clipboardData?.getData('text/plain');
      if (text) this.type(text);
    });
  }

  private has(mode: Mode): boolean {
    return modeRank[this.o.mode()] >= modeRank[mode];
  }

  private onClick(e: MouseEvent, double = false): void {
    // The browser sends click, click, dblclick: the second click is the double.
    if (!double && e.detail > 1) return;
    if ((e.target as Element).closest('[data-tandem-picker]')) return;
    const tool = this.o.tool();
    if (tool !== 'point' && tool !== 'highlight') return;
    const [x, y] = this.o.toPage(e);
    const hit = this.o.rebuilder.hit(x, y);
    if (!hit) return;
    // Keys go to the sink in every mode, so that a refused key is said, not lost.
    this.sink.focus({ preventScroll: true });
    if (tool === 'highlight' || (this.o.mode() === 'view' && !hit.node.closest('a[href]'))) {
      this.o.send({ k: 'highlight', node: hit.id });
      return;
    }
    this.target = hit.id;
    if (hit.node.localName === 'select' && this.has('control')) return this.pick(hit.node as HTMLSelectElement, hit.id);
    this.o.send({ k: 'click', node: hit.id, x: hit.x, y: hit.y, ...(double ? { double: true } : {}) });
    this.sink.focus({ preventScroll: true });
  }

  /**
   * A click on a <select> opens nothing on the visitor's page (a script cannot
   * open a native picker there), so the agent picks here, from the mirror's
   * options, and the choice travels as a `select` action.
   */
  private pick(mirrored: HTMLSelectElement, node: number): void {
    this.overlayPicker?.remove();
    const picker = document.createElement('select');
    picker.dataset.tandemPicker = '';
    picker.multiple = mirrored.multiple;
    for (const o of Array.from(mirrored.options)) picker.appendChild(new Option(o.text, '', false, o.selected));
    const box = mirrored.getBoundingClientRect();
    picker.style.cssText = `position:absolute;left:${box.left}px;top:${box.top}px;min-width:${box.width}px;z-index:3;font:14px system-ui,sans-serif`;
    if (picker.multiple) picker.size = Math.min(8, mirrored.options.length);
    picker.addEventListener('change', () => {
      const indexes = Array.from(picker.options).flatMap((o, i) => (o.selected ? [i] : []));
      this.o.send({ k: 'select', node, indexes });
      if (!picker.multiple) picker.remove();
    });
    picker.addEventListener('blur', () => picker.remove());
    this.o.overlay.appendChild(picker);
    this.overlayPicker = picker;
    picker.focus({ preventScroll: true });
    try {
      picker.showPicker();
    } catch {
      // Opening needs a user gesture in some browsers; the focused select still takes keys and clicks.
    }
  }

  private overlayPicker: HTMLSelectElement | null = null;

  private onKey(e: KeyboardEvent): void {
    if (e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (!KEY_SET.has(e.key)) return;
    e.preventDefault();
    if (!this.has('control')) return this.o.refused('key');
    this.o.send({ k: 'key', node: this.target || DOCUMENT_ID, key: e.key as Key, ...(e.shiftKey ? { shift: true } : {}) });
    // Tab moved the visitor's focus: what comes next goes where the focus went.
    if (e.key === 'Tab') this.target = DOCUMENT_ID;
  }

  private onBeforeInput(e: InputEvent): void {
    // Composition is sent whole at compositionend; everything else is kept out of the sink.
    if (e.inputType === 'insertCompositionText') return;
    e.preventDefault();
    if ((e.inputType === 'insertText' || e.inputType === 'insertReplacementText') && e.data) this.type(e.data);
  }

  private type(text: string): void {
    if (!this.has('control')) return this.o.refused('type');
    if (this.target) this.o.send({ k: 'type', node: this.target, text });
  }

  private onWheel(e: WheelEvent): void {
    if (!this.has('navigate')) {
      // Not the visitor's page to scroll: the agent's zoomed view pans (the wheel's default), or the agent is told why not.
      if (this.o.pans()) return;
      e.preventDefault();
      return this.o.refused('scroll');
    }
    e.preventDefault();
    if (!this.wheel) {
      const [x, y] = this.o.toPage(e);
      const el = scrollable(this.o.rebuilder.hit(x, y)?.node ?? null);
      const node = el ? this.o.rebuilder.idOfNode(el) : DOCUMENT_ID;
      this.wheel = { node: node ?? DOCUMENT_ID, dx: 0, dy: 0, el: node ? el : null };
      // One scroll action per frame, whatever the wheel's rate.
      requestAnimationFrame(() => this.flushWheel());
    }
    this.wheel.dx += e.deltaX;
    this.wheel.dy += e.deltaY;
  }

  private flushWheel(): void {
    const w = this.wheel;
    this.wheel = null;
    if (!w) return;
    const win = this.o.rebuilder.document.defaultView;
    const [left, top] = w.el ? [w.el.scrollLeft, w.el.scrollTop] : [win?.scrollX ?? 0, win?.scrollY ?? 0];
    const x = Math.max(0, Math.round(left + w.dx));
    const y = Math.max(0, Math.round(top + w.dy));
    // The mirror moves at once; the visitor's scroll confirms it a moment later.
    if (w.el) w.el.scrollTo(x, y);
    else win?.scrollTo(x, y);
    this.o.send({ k: 'scroll', node: w.node, x, y });
  }
}

/** The nearest element that scrolls, or null for the document. */
function scrollable(el: Element | null): Element | null {
  for (let e = el; e && e !== e.ownerDocument.documentElement && e !== e.ownerDocument.body; e = e.parentElement) {
    const style = e.ownerDocument.defaultView!.getComputedStyle(e);
    if (/(auto|scroll)/.test(style.overflowY + style.overflowX) && (e.scrollHeight > e.clientHeight || e.scrollWidth > e.clientWidth)) return e;
  }
  return null;
}
