/**
 * The visitor's UI: consent, code, the "sharing with" bar and agents' cursors.
 * It lives in a shadow root on an element the capture ignores, so the site's
 * CSS cannot break it, it cannot break the site, and agents never see it.
 */
import { IGNORE_ATTR } from '@tandem/mirror/capture';
import { fill, type Strings } from './strings.js';

const CSS = `
:host { all: initial; }
* { box-sizing: border-box; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.panel { position: fixed; z-index: 2147483647; right: 16px; bottom: 16px; max-width: 360px; padding: 16px;
  background: var(--tandem-bg, #fff); color: var(--tandem-fg, #1b2330); border-radius: 12px;
  box-shadow: 0 8px 30px rgba(0,0,0,.25); border: 2px solid var(--tandem-accent, #2563eb); }
.title { font-weight: 700; font-size: 16px; margin: 0 0 6px; }
.body { margin: 0 0 12px; }
.row { display: flex; gap: 8px; justify-content: flex-end; }
button { cursor: pointer; border-radius: 8px; padding: 8px 14px; border: 1px solid transparent; font-weight: 600; }
.primary { background: var(--tandem-accent, #2563eb); color: #fff; }
.secondary { background: transparent; color: inherit; border-color: #c5ccd6; }
.danger { background: #dc2626; color: #fff; }
.code { font-size: 28px; font-weight: 800; letter-spacing: 4px; margin: 2px 0 8px; font-variant-numeric: tabular-nums; }
.frame { position: fixed; inset: 0; z-index: 2147483646; pointer-events: none; border: 4px solid var(--tandem-accent, #2563eb); }
.cursor { position: fixed; z-index: 2147483647; pointer-events: none; left: 0; top: 0; transition: transform 60ms linear; }
.cursor svg { display: block; }
.cursor .label { position: absolute; left: 18px; top: 16px; white-space: nowrap; padding: 2px 8px; border-radius: 10px;
  background: var(--tandem-agent, #db2777); color: #fff; font-size: 12px; font-weight: 600; }
`;

export class VisitorUi {
  private readonly host: HTMLElement;
  private readonly root: ShadowRoot;
  private panel: HTMLElement | null = null;
  private frame: HTMLElement | null = null;
  private readonly cursors = new Map<string, HTMLElement>();

  constructor(private readonly strings: Strings) {
    this.host = document.createElement('tandem-ui');
    this.host.setAttribute(IGNORE_ATTR, '');
    this.root = this.host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = CSS;
    this.root.appendChild(style);
    document.documentElement.appendChild(this.host);
  }

  /** Resolves true when the visitor clicked Share, false for Not now. */
  askConsent(): Promise<boolean> {
    const s = this.strings;
    return new Promise((resolve) => {
      const panel = this.showPanel(s.consentTitle, s.consentBody);
      panel.setAttribute('role', 'dialog');
      const row = el('div', 'row');
      const decline = button(s.consentDecline, 'secondary', () => resolve(false));
      // Only a real click by the visitor counts: a page script cannot consent for them.
      const accept = button(s.consentAccept, 'primary', (e) => e.isTrusted && resolve(true));
      accept.dataset.action = 'accept';
      decline.dataset.action = 'decline';
      row.append(decline, accept);
      panel.appendChild(row);
      accept.focus();
    });
  }

  status(text: string): void {
    this.showPanel(text, '');
  }

  /** The bar while a session is live: the code until an agent joins, then who is watching. */
  sharing(code: string, agents: string[], onStop: () => void): void {
    const s = this.strings;
    const panel = agents.length
      ? this.showPanel(fill(s.connected, { agents: agents.join(', ') }), '')
      : this.showPanel(s.codeLabel, '');
    panel.setAttribute('role', 'status');
    if (!agents.length) {
      const c = el('div', 'code');
      c.textContent = code.replace(/(\d{3})(?=\d)/g, '$1 ');
      c.dataset.code = code;
      panel.appendChild(c);
      panel.appendChild(text('p', 'body', s.waitingForAgent));
    }
    const row = el('div', 'row');
    const stop = button(s.stop, 'danger', () => onStop());
    stop.dataset.action = 'stop';
    row.appendChild(stop);
    panel.appendChild(row);
    this.showFrame(true);
  }

  /** Shows an agent's pointer with their name; x < 0 hides it. */
  cursor(agentId: string, name: string, x: number, y: number): void {
    let c = this.cursors.get(agentId);
    if (x < 0) {
      c?.remove();
      this.cursors.delete(agentId);
      return;
    }
    if (!c) {
      c = el('div', 'cursor');
      c.dataset.agent = agentId;
      c.innerHTML =
        '<svg width="20" height="22" viewBox="0 0 20 22"><path d="M1 1l7 19 3-8 8-3z" fill="#db2777" stroke="#fff" stroke-width="1.5"/></svg>';
      c.appendChild(text('span', 'label', name));
      this.root.appendChild(c);
      this.cursors.set(agentId, c);
    }
    c.style.transform = `translate(${x}px, ${y}px)`;
  }

  removeCursor(agentId: string): void {
    this.cursor(agentId, '', -1, -1);
  }

  destroy(): void {
    this.host.remove();
  }

  private showPanel(title: string, body: string): HTMLElement {
    this.panel?.remove();
    const panel = el('div', 'panel');
    panel.appendChild(text('p', 'title', title));
    if (body) panel.appendChild(text('p', 'body', body));
    this.root.appendChild(panel);
    this.panel = panel;
    return panel;
  }

  private showFrame(on: boolean): void {
    if (on && !this.frame) this.root.appendChild((this.frame = el('div', 'frame')));
    if (!on) this.frame?.remove();
  }
}

function el(tag: string, cls: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = cls;
  return e;
}

function text(tag: string, cls: string, content: string): HTMLElement {
  const e = el(tag, cls);
  e.textContent = content;
  return e;
}

function button(label: string, cls: string, onClick: (e: MouseEvent) => void): HTMLButtonElement {
  const b = el('button', cls) as HTMLButtonElement;
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}
