/**
 * The watch page's row above its session bar, as the console's session view
 * has it: the pointer tools (point, highlight, draw, laser, select text, clear),
 * the agents with their colours and who holds the controls, and "Invite a
 * colleague" for an agent with an account (a guest of an integrator's has no
 * code to give: the ticket brings none). Labels fold to icons on a narrow page
 * (watch.html's CSS). Also the toasts for the controls changing hands and for a
 * colleague asking for them, with "Hand over".
 */
import type { Tool, Viewer, ViewerNotice, ViewerStatus } from '../index.js';
import { CLEAR_INFO, TOOL_INFO } from '../tool-icons.js';

/** A notice stays this long; a colleague's request for the controls longer (it waits for an answer). */
const NOTICE_MS = 5000;
const REQUEST_MS = 15_000;

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function icon(d: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ width: '16', height: '16', viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' }))
    svg.setAttribute(k, v);
  const path = document.createElementNS(SVG, 'path');
  for (const [k, v] of Object.entries({
    d,
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '1.8',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
  }))
    path.setAttribute(k, v);
  svg.append(path);
  return svg;
}

function toolButton(label: string, title: string, d: string, attrs: Record<string, string>): HTMLButtonElement {
  const b = el('button', { type: 'button', 'aria-label': label, title, ...attrs });
  b.append(icon(d), el('span', { class: 'tool-label', 'aria-hidden': 'true' }, label));
  return b;
}

export class WatchTools {
  private readonly toolbar = el('div', { class: 'ink-tools', role: 'toolbar', 'aria-label': 'Pointer tools' });
  private readonly roster = el('ul', { class: 'roster', 'aria-label': 'Agents in this session' });
  private readonly notices = document.getElementById('notices')!;
  private status: ViewerStatus | null = null;
  private drawn = '';

  /** `row` is the (empty) row to fill; `viewer` is asked on each click (the session opens later). */
  constructor(
    private readonly row: HTMLElement,
    private readonly viewer: () => Viewer | null,
  ) {
    for (const { tool, label, title, icon: d } of TOOL_INFO) {
      const b = toolButton(label, title, d, { 'data-tool': tool, 'aria-pressed': String(tool === 'point') });
      b.addEventListener('click', () => this.choose(tool));
      this.toolbar.append(b);
    }
    const clear = toolButton(CLEAR_INFO.label, CLEAR_INFO.title, CLEAR_INFO.icon, { 'data-tool-action': 'clear' });
    clear.setAttribute('aria-label', CLEAR_INFO.ariaLabel);
    clear.addEventListener('click', () => this.viewer()?.clearInk());
    this.toolbar.append(clear);
    // A toolbar's arrows move between its buttons (each is in the tab order too).
    this.toolbar.addEventListener('keydown', (e) => {
      const buttons = [...this.toolbar.querySelectorAll('button')];
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (at < 0 || step === 0) return;
      e.preventDefault();
      buttons[(at + step + buttons.length) % buttons.length]!.focus();
    });
    row.append(this.toolbar, this.roster);
  }

  private choose(tool: Tool): void {
    this.viewer()?.setTool(tool);
    for (const b of this.toolbar.querySelectorAll<HTMLButtonElement>('[data-tool]'))
      b.setAttribute('aria-pressed', String(b.dataset.tool === tool));
  }

  /** The viewer's status: the roster is drawn again when the agents or the controls changed. */
  update(s: ViewerStatus): void {
    this.status = s;
    this.row.hidden = s.state === 'ended';
    const key = JSON.stringify([s.roster, s.you?.id, s.controlBy]);
    if (key === this.drawn) return;
    this.drawn = key;
    const you = s.you?.id;
    const holding = you !== undefined && s.controlBy === you;
    this.roster.replaceChildren(
      ...(s.roster ?? []).map((a) => {
        const holder = a.id === s.controlBy;
        const li = el('li', { 'data-agent-id': a.id, 'data-color': a.color });
        if (holder) li.dataset.holder = 'true';
        const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.background = a.color;
        li.append(swatch, a.name);
        if (a.id === you) li.append(el('small', {}, ' (you)'));
        if (holder)
          li.append(
            el('span', { class: 'holder-badge', title: 'Only this agent’s clicks and typing reach the visitor’s page' }, 'has the controls'),
          );
        if (holding && a.id !== you) {
          const b = el(
            'button',
            { type: 'button', class: 'small', 'data-hand-over': a.id, 'aria-label': `Hand the controls to ${a.name}` },
            'Hand over',
          );
          b.addEventListener('click', () => this.viewer()?.handOver(a.id));
          li.append(b);
        } else if (!holding && holder && a.id !== you) {
          const b = el(
            'button',
            { type: 'button', class: 'small', 'data-ask-control': '', 'aria-label': `Ask ${a.name} for the controls` },
            'Ask for the controls',
          );
          b.addEventListener('click', () => this.viewer()?.askControl());
          li.append(b);
        }
        return li;
      }),
    );
  }

  /** Shows the notices about the controls as toasts; false for the others (the bar says those). */
  notice(n: ViewerNotice): boolean {
    if (n.kind !== 'control' && n.kind !== 'controlAsked') return false;
    const toast = el('div', { class: `notice ${n.kind}`, 'data-notice': n.kind }, n.message);
    const asker = n.agentId;
    if (n.kind === 'controlAsked' && asker && this.status?.controlBy === this.status?.you?.id) {
      const b = el('button', { type: 'button', 'data-grant-control': asker }, 'Hand over');
      b.addEventListener('click', () => {
        this.viewer()?.handOver(asker);
        toast.remove();
      });
      toast.append(b);
    }
    this.notices.append(toast);
    // Three at most, the newest: a burst of notices never piles up over the page.
    while (this.notices.childElementCount > 3) this.notices.firstElementChild!.remove();
    setTimeout(() => toast.remove(), n.kind === 'controlAsked' ? REQUEST_MS : NOTICE_MS);
    return true;
  }

  /** "Invite a colleague": the session's code and a console link that joins with it (a signed-in agent's only). */
  invite(code: string): void {
    if (this.row.querySelector('.colleague')) return;
    const link = `${location.origin}/console/#/join/${code}`;
    const wrap = el('div', { class: 'colleague' });
    const toggle = el(
      'button',
      { type: 'button', 'data-invite-colleague': '', 'aria-expanded': 'false', 'aria-controls': 'colleague-panel' },
      'Invite a colleague',
    );
    const panel = el('div', { class: 'colleague-panel', id: 'colleague-panel', role: 'group', 'aria-label': 'Invite a colleague' });
    panel.hidden = true;
    const input = el('input', { id: 'colleague-link', type: 'text', readonly: '' });
    input.value = link;
    input.addEventListener('focus', () => input.select());
    const copy = el('button', { type: 'button', 'data-copy-link': '' }, 'Copy');
    copy.addEventListener(
      'click',
      () =>
        void navigator.clipboard?.writeText(link).then(
          () => (copy.textContent = 'Copied'),
          () => (copy.textContent = 'Copy'),
        ),
    );
    const field = el('div', { class: 'colleague-link' });
    field.append(input, copy);
    panel.append(
      el('p', {}, 'A colleague joins with this code in their console, or opens the link and signs in.'),
      el(
        'p',
        { class: 'colleague-code', 'data-colleague-code': code, 'aria-label': `Session code ${code.split('').join(' ')}` },
        code.replace(/(\d{3})(?=\d)/g, '$1 '),
      ),
      el('label', { for: 'colleague-link' }, 'Link'),
      field,
    );
    const show = (open: boolean) => {
      toggle.setAttribute('aria-expanded', String(open));
      panel.hidden = !open;
      if (open) copy.textContent = 'Copy';
    };
    toggle.addEventListener('click', () => show(panel.hidden));
    wrap.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !panel.hidden) {
        show(false);
        toggle.focus();
      }
    });
    document.addEventListener('pointerdown', (e) => {
      if (!wrap.contains(e.target as Node)) show(false);
    });
    wrap.append(toggle, panel);
    this.row.append(wrap);
  }
}
