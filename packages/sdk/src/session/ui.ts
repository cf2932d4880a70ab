/**
 * The visitor's UI: consent, code, the "sharing with" panel (mode, Stop,
 * minimize, drag), an agent's request for more, highlights and agents' cursors.
 * It lives in a shadow root on an element the capture ignores, so the site's
 * CSS cannot break it, it cannot break the site, and agents never see it.
 *
 * Theming: the site sets these custom properties (on :root or on `tandem-ui`),
 * which inherit into the shadow root where nothing else from the page does:
 * --tandem-accent, --tandem-bg, --tandem-fg, --tandem-font, --tandem-radius.
 */
import { IGNORE_ATTR } from '@tandem/mirror/capture';
import { InkLayer } from '@tandem/mirror/ink';
import { MODES, type Mode } from '@tandem/protocol';
import { fill, modeText, type Strings } from './strings.js';
import type { UiOptions } from '../host.js';

// `!important` in the shadow tree wins over the page's `!important` (the inner
// context wins for important rules), so `* { all: unset !important }` or
// `* { display: none !important }` on the page cannot hide or break the host:
// `all: initial !important` resets every property of it (position, visibility,
// opacity, pointer-events…), and only display is set apart, to block.
// Minified at build (scripts/build.mjs).
const CSS = /* css */ `
:host { all: initial !important; display: block !important; }
* { box-sizing: border-box; font: 14px/1.4 var(--tandem-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif); }
.panel { position: fixed; z-index: 2147483647; right: 16px; bottom: 16px; width: 340px; max-width: calc(100vw - 32px); padding: 14px 16px 16px;
  background: var(--tandem-bg, #fff); color: var(--tandem-fg, #1b2330); border-radius: var(--tandem-radius, 12px);
  box-shadow: 0 8px 30px rgba(0,0,0,.25); border: 2px solid var(--tandem-accent, #2563eb); }
.panel.min { width: auto; padding: 6px 8px 6px 12px; }
.panel.left { right: auto; left: 16px; }
.panel.top { bottom: auto; top: 16px; }
.head { display: flex; align-items: flex-start; gap: 8px; cursor: move; touch-action: none; user-select: none; }
.title { font-weight: 700; font-size: 16px; margin: 0 0 6px; flex: 1; }
.min .title { font-size: 13px; margin: 0; align-self: center; }
.icon { padding: 0 8px; line-height: 22px; font-size: 18px; background: transparent; color: inherit; border: 0; }
.body { margin: 0 0 12px; }
.row { display: flex; gap: 8px; justify-content: flex-end; align-items: center; }
.mode { display: flex; gap: 8px; align-items: center; margin: 0 0 12px; font-size: 13px; }
.mode span { white-space: nowrap; }
.mode select { flex: 1; min-width: 0; }
select { font: inherit; font-size: 13px; padding: 4px; border-radius: 6px; border: 1px solid #c5ccd6; background: #fff; color: #1b2330; }
button { cursor: pointer; border-radius: 8px; padding: 8px 14px; border: 1px solid transparent; font-weight: 600; }
.primary { background: var(--tandem-accent, #2563eb); color: #fff; }
.secondary { background: transparent; color: inherit; border-color: #c5ccd6; }
.danger { background: #dc2626; color: #fff; }
.min .danger { padding: 4px 10px; }
.code { font-size: 28px; font-weight: 800; letter-spacing: 4px; margin: 2px 0 8px; font-variant-numeric: tabular-nums; }
.request { border-top: 1px solid #e2e5ea; margin-top: 12px; padding-top: 12px; }
.frame { position: fixed; inset: 0; z-index: 2147483646; pointer-events: none; border: 4px solid var(--tandem-accent, #2563eb); }
.cursor { position: fixed; z-index: 2147483647; pointer-events: none; left: 0; top: 0; transition: transform 60ms linear; }
.cursor svg { display: block; }
.cursor path { fill: var(--c); }
.cursor .label { position: absolute; left: 18px; top: 16px; white-space: nowrap; padding: 2px 8px; border-radius: 10px;
  background: var(--c); color: #fff; font-size: 12px; font-weight: 600; }
.agents { list-style: none; margin: 0 0 12px; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 13px; }
.agents i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; background: var(--c); }
`;

export interface SharingState {
  code: string;
  /** The agents connected, in join order, each with the colour of its cursor. */
  agents: { name: string; color: string }[];
  mode: Mode;
  onStop(): void;
  /** The visitor chose another mode in the panel. */
  onMode(mode: Mode): void;
}

interface Request {
  agent: string;
  mode: Mode;
  answer(allowed: boolean): void;
}

/**
 * The sharing panel as it was built, updated in place while the session's state changes (an agent joins or leaves,
 * the mode changes). Built anew, its select and Stop would be new elements: the visitor's focus in the select would
 * be lost with every change they make there, and the browser re-reads every form on the page when form controls come
 * and go (Chromium's autofill: 7.5 ms on the 1.6 MB bench page, with a layout and a hover hit-test, at the moment an
 * agent's snapshot starts). Minimizing and requests build it anew (rerender).
 */
interface SharingPanel {
  panel: HTMLElement;
  title: HTMLElement;
  /** Holds the code and its line, or the list of agents: no form controls, replaced as a whole. */
  who: HTMLElement;
  select?: HTMLSelectElement;
}

export class VisitorUi {
  private readonly host: HTMLElement;
  private readonly root: ShadowRoot;
  private panel: HTMLElement | null = null;
  private frame: HTMLElement | null = null;
  private readonly cursors = new Map<string, HTMLElement>();
  private minimized = false;
  /** Where the visitor dragged the panel, kept across re-renders. */
  private position: { left: number; top: number } | null = null;
  private requests: Request[] = [];
  private last: SharingState | null = null;
  private shown: SharingPanel | null = null;
  /** Answers an open consent prompt: destroying the UI answers it "no". */
  private consent: ((yes: boolean) => void) | null = null;

  constructor(
    private readonly strings: Strings,
    private readonly options: UiOptions = {},
  ) {
    this.host = document.createElement('tandem-ui');
    this.host.setAttribute(IGNORE_ATTR, '');
    this.root = this.host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = CSS;
    this.root.appendChild(style);
    document.documentElement.appendChild(this.host);
  }

  /** Resolves true when the visitor clicked Share, false for Not now. */
  askConsent(title = this.strings.consentTitle, body = this.strings.consentBody): Promise<boolean> {
    const s = this.strings;
    return new Promise((done) => {
      const resolve = (yes: boolean) => {
        this.consent = null;
        done(yes);
      };
      this.consent = resolve;
      const panel = this.showPanel(title, body);
      panel.setAttribute('role', 'dialog');
      const decline = button(s.consentDecline, 'secondary', 'decline', () => resolve(false));
      // Only a real click by the visitor counts: a page script cannot consent for them.
      const accept = button(s.consentAccept, 'primary', 'accept', (e) => e.isTrusted && resolve(true));
      panel.appendChild(row(decline, accept));
      accept.focus({ preventScroll: true });
    });
  }

  /** A state of the connection; `onStop` offers Stop in it (the visitor can stop at every moment). */
  status(text: string, body = '', onStop?: () => void): void {
    this.last = null;
    const panel = this.showPanel(text, body);
    panel.setAttribute('role', 'status');
    if (onStop) panel.appendChild(row(button(this.strings.stop, 'danger', 'stop', () => onStop())));
  }

  /** Another tab holds the session: offer to move it here. */
  elsewhere(onSync: () => void): void {
    this.last = null;
    const panel = this.showPanel(this.strings.syncRequired, this.strings.syncInfo);
    panel.appendChild(row(button(this.strings.syncButton, 'primary', 'sync', (e) => e.isTrusted && onSync())));
  }

  /**
   * The panel while a session is live: the code until an agent joins, then who is watching, the mode and Stop.
   * A panel already up is updated in place (see SharingPanel).
   */
  sharing(state: SharingState): void {
    this.last = state;
    const s = this.strings;
    const title = state.agents.length ? fill(s.connected, { agents: state.agents.map((a) => a.name).join(', ') }) : s.codeLabel;
    const shown = this.shown;
    if (shown?.panel === this.panel) {
      shown.panel.dataset.mode = state.mode;
      // Minimized, the panel shows neither (its title is strings.ready).
      if (shown.select) {
        shown.title.textContent = title;
        shown.select.value = state.mode;
        shown.who.replaceChildren(...this.whoNodes(state));
      }
      return;
    }
    const panel = this.showPanel(title, '');
    panel.setAttribute('role', 'status');
    panel.dataset.mode = state.mode;
    // The buttons and the select act on the state shown now (this.last), not the one they were made for: the panel
    // outlives the state it was built with.
    const stop = button(s.stop, 'danger', 'stop', () => this.last?.onStop());
    const parts: SharingPanel = { panel, title: panel.querySelector('.title')!, who: el('div', '') };
    this.shown = parts;
    if (this.minimized) {
      panel.appendChild(stop);
      this.showFrame();
      return;
    }
    parts.who.append(...this.whoNodes(state));
    panel.appendChild(parts.who);
    const mode = el('label', 'mode');
    mode.appendChild(text('span', '', s.modeLabel));
    const select = el('select', '') as HTMLSelectElement;
    select.dataset.action = 'mode';
    select.append(...MODES.map((m) => new Option(modeText(s, m), m, false, m === state.mode)));
    select.addEventListener('change', (e) => {
      const now = this.last;
      // A page script changing this select is not the visitor choosing.
      if (e.isTrusted) now?.onMode(select.value as Mode);
      else if (now) select.value = now.mode;
    });
    parts.select = select;
    mode.appendChild(select);
    panel.appendChild(mode);
    panel.appendChild(row(stop));
    for (const r of this.requests) panel.appendChild(this.requestBox(r));
    this.showFrame();
  }

  /** Who the panel is about: the code to read out until an agent joins, then each agent with their colour. */
  private whoNodes(state: SharingState): HTMLElement[] {
    if (!state.agents.length) {
      const c = el('div', 'code');
      c.textContent = state.code.replace(/(\d{3})(?=\d)/g, '$1 ');
      c.dataset.code = state.code;
      return [c, text('p', 'body', this.strings.waitingForAgent)];
    }
    // Each agent with its colour: the visitor can tell whose cursor is whose.
    const list = el('ul', 'agents');
    for (const a of state.agents) {
      const item = list.appendChild(text('li', '', a.name));
      item.prepend(el('i', ''));
      item.style.setProperty('--c', a.color);
    }
    return [list];
  }

  /** An agent asks for more; resolves with the visitor's answer (a real click only). */
  askMode(agent: string, mode: Mode): Promise<boolean> {
    return new Promise((resolve) => {
      // A newer request from the same agent replaces an older one (answering takes a request off the list).
      for (const r of this.requests.filter((r) => r.agent === agent)) r.answer(false);
      const request: Request = {
        agent,
        mode,
        answer: (allowed) => {
          this.requests = this.requests.filter((r) => r !== request);
          resolve(allowed);
          this.rerender();
        },
      };
      this.requests.push(request);
      this.minimized = false;
      this.rerender();
    });
  }

  /** Where agents' ink is drawn: over the page, under the panel and the cursors. */
  get ink(): InkLayer {
    this.inkLayer ??= new InkLayer(this.root, 'position:fixed;left:0;top:0;width:100vw;height:100vh;z-index:2147483646');
    return this.inkLayer;
  }

  private inkLayer: InkLayer | null = null;

  /** Shows an agent's pointer with their name, in their colour; x < 0 hides it. */
  cursor(agentId: string, name: string, color: string, x: number, y: number): void {
    let c = this.cursors.get(agentId);
    if (x < 0) {
      c?.remove();
      this.cursors.delete(agentId);
      return;
    }
    if (!c) {
      c = el('div', 'cursor');
      c.dataset.agent = agentId;
      c.innerHTML = '<svg width="20" height="22" viewBox="0 0 20 22"><path d="M1 1l7 19 3-8 8-3z" stroke="#fff" stroke-width="1.5"/></svg>';
      c.style.setProperty('--c', color);
      c.appendChild(text('span', 'label', name));
      this.root.appendChild(c);
      this.cursors.set(agentId, c);
    }
    c.style.transform = `translate(${x}px, ${y}px)`;
  }

  removeCursor(agentId: string): void {
    this.cursor(agentId, '', '', -1, -1);
  }

  destroy(): void {
    this.inkLayer?.destroy();
    this.consent?.(false);
    for (const r of [...this.requests]) r.answer(false);
    this.host.remove();
  }

  /** Built anew: the panel's shape changed (minimized, requests). */
  private rerender(): void {
    this.shown = null;
    if (this.last) this.sharing(this.last);
  }

  private requestBox(r: Request): HTMLElement {
    const s = this.strings;
    const box = el('div', 'request');
    box.setAttribute('role', 'alertdialog');
    box.dataset.request = r.mode;
    box.appendChild(text('p', 'body', fill(s.modeRequest, { agent: r.agent, mode: modeText(s, r.mode) })));
    box.appendChild(
      row(
        button(s.modeDecline, 'secondary', 'decline-mode', () => r.answer(false)),
        button(s.modeAllow, 'primary', 'allow-mode', (e) => e.isTrusted && r.answer(true)),
      ),
    );
    return box;
  }

  private showPanel(title: string, body: string): HTMLElement {
    this.panel?.remove();
    const [vertical, horizontal] = (this.options.position ?? 'bottom-right').split('-');
    const place = `${vertical === 'top' ? ' top' : ''}${horizontal === 'left' ? ' left' : ''}`;
    const panel = el('div', (this.minimized && this.last ? 'panel min' : 'panel') + place);
    const head = el('div', 'head');
    head.appendChild(text('p', 'title', this.minimized && this.last ? this.strings.ready : title));
    if (this.last) {
      const toggle = button(this.minimized ? '▴' : '–', 'icon', 'minimize', () => {
        this.minimized = !this.minimized;
        this.rerender();
      });
      toggle.title = this.minimized ? this.strings.expand : this.strings.minimize;
      toggle.setAttribute('aria-label', toggle.title);
      head.appendChild(toggle);
    }
    this.draggable(panel, head);
    panel.appendChild(head);
    if (body) panel.appendChild(text('p', 'body', body));
    if (this.position)
      Object.assign(panel.style, { left: `${this.position.left}px`, top: `${this.position.top}px`, right: 'auto', bottom: 'auto' });
    this.root.appendChild(panel);
    this.panel = panel;
    return panel;
  }

  /** The visitor can move the panel off whatever it covers, by its head. */
  private draggable(panel: HTMLElement, handle: HTMLElement): void {
    handle.addEventListener('pointerdown', (down) => {
      if ((down.target as Element).closest('button') || down.button !== 0) return;
      const box = panel.getBoundingClientRect();
      const dx = down.clientX - box.left;
      const dy = down.clientY - box.top;
      handle.setPointerCapture(down.pointerId);
      const move = (e: PointerEvent) => {
        const left = Math.min(Math.max(0, e.clientX - dx), innerWidth - box.width);
        const top = Math.min(Math.max(0, e.clientY - dy), innerHeight - box.height);
        this.position = { left, top };
        Object.assign(panel.style, { left: `${left}px`, top: `${top}px`, right: 'auto', bottom: 'auto' });
      };
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
    });
  }

  /** The coloured frame around the viewport while the tab is shared (unless the site turned it off); it goes with the host. */
  private showFrame(): void {
    if (this.options.frame !== false && !this.frame) this.root.appendChild((this.frame = el('div', 'frame')));
  }
}

function el(tag: string, cls: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

function text(tag: string, cls: string, content: string): HTMLElement {
  const e = el(tag, cls);
  e.textContent = content;
  return e;
}

/** `action` goes in data-action: what the button does, for tests to find it by. */
function button(label: string, cls: string, action: string, onClick: (e: MouseEvent) => void): HTMLButtonElement {
  const b = text('button', cls, label) as HTMLButtonElement;
  b.type = 'button';
  b.dataset.action = action;
  b.addEventListener('click', onClick);
  return b;
}

/** The buttons of a panel or request, in a row. */
function row(...buttons: HTMLElement[]): HTMLElement {
  const r = el('div', 'row');
  r.append(...buttons);
  return r;
}
