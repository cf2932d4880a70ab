/**
 * The embeddable viewer: rebuilds the visitor's page in a sandboxed iframe,
 * scales it to fit, shows the visitor's pointer, the agent's own and the other
 * agents' (each in its colour, with its name), and sends the agent's pointer. The agent's mouse never reaches the rebuilt page: an
 * overlay takes it, so links and forms of the page cannot be triggered from here.
 */
import {
  PROTOCOL_VERSION,
  closeCodes,
  refusals,
  type AgentAction,
  type AgentInfo,
  type AgentToServer,
  type Mode,
  type PlatformInfo,
  type ServerToAgent,
  type SessionAgent,
} from '@tandem/protocol';
import { Rebuilder } from '@tandem/mirror/rebuild';
import { warmRebuild } from '@tandem/mirror/warm';
import { FrameDecoder } from './frames.js';
import { AgentInput } from './agent-input.js';
import { fitScale, offsetIn, stepDown, stepUp, type Zoom } from './zoom.js';
import { InkInput, type Tool } from './ink-input.js';

export { ZOOM_STEPS, MAX_FIT, type Zoom } from './zoom.js';
export { TOOLS, type Tool } from './ink-input.js';

let prepared: Promise<void> | null = null;
/** A viewer was made in this page: its snapshot is coming, and a warm-up still going stops. */
let viewing = false;

/**
 * Readies the rebuild for the first snapshot a viewer of this page will show (see mirror's warm.ts): a made-up page
 * built in a hidden frame, one batch per idle moment, until a viewer is made. For a page that opens viewers later
 * (the console, from its start); a page whose viewer connects at once (the watch page) gains nothing by it. Once per
 * page.
 */
export function prepareViewer(): Promise<void> {
  const idle: (run: () => void) => void =
    typeof requestIdleCallback === 'function' ? (run) => requestIdleCallback(run, { timeout: 1000 }) : (run) => setTimeout(run, 50);
  return (prepared ??= warmRebuild(document.body ?? document.documentElement, idle, () => viewing));
}

/** How the page is shown: its scale, whether it follows the agent's room, and full screen. */
export interface ViewerZoom extends Zoom {
  fullscreen: boolean;
}

export type ViewerState = 'connecting' | 'reconnecting' | 'waiting' | 'live' | 'visitor-away' | 'ended' | 'error';

export interface ViewerStatus {
  state: ViewerState;
  visitorName: string | null;
  url?: string;
  title?: string;
  reason?: string;
  agents: string[];
  /** The agents in the session, in join order, with their colours (this one among them). */
  roster?: SessionAgent[];
  /** This agent as the others see it, once the server welcomed it. */
  you?: SessionAgent;
  /** What the visitor allows now. */
  mode: Mode;
  /** A mode this agent asked for and the visitor has not answered yet. */
  asked?: Mode | null;
  /** The agent holding the controls (only its clicks and typing reach the page); null while none does. */
  controlBy?: string | null;
  /** The visitor's browser, system, viewport, language and time zone, as their page last said it; null until it has. */
  platform?: PlatformInfo | null;
}

/** Something the agent should read: an action the page refused, an answer to a request. */
export interface ViewerNotice {
  /** `control`: the controls changed hands; `controlAsked`: another agent (`agentId`) asks this one, which holds them, to hand over. */
  kind: 'refused' | 'declined' | 'granted' | 'control' | 'controlAsked';
  message: string;
  agentId?: string;
}

export interface ViewerOptions {
  container: HTMLElement;
  /**
   * Returns a fresh agent ticket for the session (asked again on every reconnect).
   * An error with a numeric `status` is the server's answer (the session ended,
   * the agent signed out): the viewer stops. Any other error (the network) is retried.
   */
  ticket: () => Promise<string>;
  /** Origin of the Tandem server; the page's own by default. */
  server?: string;
  onStatus?: (status: ViewerStatus) => void;
  onNotice?: (notice: ViewerNotice) => void;
  /** Another agent (or this one, on another screen) joined or left the session. */
  onAgent?: (change: 'joined' | 'left', agent: AgentInfo) => void;
  /** The scale changed (fit, zoom in or out, a new viewport) or full screen was entered or left. */
  onZoom?: (zoom: ViewerZoom) => void;
}

const MODE_NEEDED: Record<string, string> = {
  scroll: 'Scrolling needs the visitor to allow browsing.',
  key: 'Typing needs the visitor to allow control.',
  type: 'Typing needs the visitor to allow control.',
};
/** HTTP answers to a ticket request after which trying again cannot help. */
const FINAL_STATUSES = [401, 403, 404, 410];
/** The same refusal is said at most this often (a wheel sends many). */
const NOTICE_REPEAT_MS = 3000;

export class Viewer {
  private readonly root: HTMLElement;
  private readonly sizer: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly outline: HTMLElement;
  private readonly iframe: HTMLIFrameElement;
  private readonly overlay: HTMLElement;
  private readonly visitorCursor: HTMLElement;
  private readonly ownCursor: HTMLElement;
  private readonly rebuilder: Rebuilder;
  private socket: WebSocket | null = null;
  private size = { width: 1280, height: 800 };
  private scale = 1;
  /** A zoom the agent chose; null while the page fits the room. */
  private chosen: number | null = null;
  private lastZoom = '';
  private readonly onFullscreen = () => this.layout();
  private pendingPointer: [number, number] | null = null;
  private status: ViewerStatus = { state: 'connecting', visitorName: null, agents: [], mode: 'view', asked: null };
  private actionId = 0;
  private lastNotice = { message: '', at: 0 };
  private readonly resize = new ResizeObserver(() => this.layout());
  private closed = false;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly agents = new Map<string, SessionAgent>();
  /** The other agents' pointers, by agent id. */
  private readonly peerCursors = new Map<string, HTMLElement>();
  private readonly inkInput: InkInput;
  private currentTool: Tool = 'point';

  constructor(private readonly options: ViewerOptions) {
    viewing = true;
    // The root scrolls when the agent zooms past its room; the sizer gives it the zoomed page's size.
    this.root = div('tandem-viewer', 'position:relative;width:100%;height:100%;overflow:auto;background:#e5e7eb');
    this.sizer = div('tandem-sizer', 'position:relative;overflow:hidden');
    this.stage = div('tandem-stage', 'position:absolute;left:0;top:0;transform-origin:0 0;background:#fff;box-shadow:0 2px 12px rgba(0,0,0,.2)');
    // The visitor's viewport, outlined when the agent has room to spare around it.
    this.outline = div('tandem-outline', 'position:absolute;display:none;pointer-events:none;outline:2px dashed #2563eb;outline-offset:1px');
    this.outline.dataset.viewportOutline = '';
    this.iframe = document.createElement('iframe');
    // Scripts never run in the rebuilt page; same-origin only so the viewer can build it.
    this.iframe.setAttribute('sandbox', 'allow-same-origin');
    this.iframe.setAttribute('title', 'Visitor page');
    this.iframe.dataset.tandemView = '';
    this.iframe.style.cssText = 'border:0;display:block;pointer-events:none;background:#fff';
    this.overlay = div('tandem-overlay', 'position:absolute;inset:0;cursor:none');
    this.visitorCursor = cursor('#2563eb', 'Visitor');
    this.visitorCursor.dataset.cursor = 'visitor';
    this.ownCursor = cursor('#db2777', 'You');
    this.ownCursor.dataset.cursor = 'agent';
    this.overlay.append(this.visitorCursor, this.ownCursor);
    this.stage.append(this.iframe, this.overlay);
    this.sizer.append(this.stage, this.outline);
    this.root.appendChild(this.sizer);
    options.container.appendChild(this.root);
    document.addEventListener('fullscreenchange', this.onFullscreen);
    this.rebuilder = new Rebuilder(this.iframe, {
      viewport: (w, h) => this.setSize(w, h),
      pointer: (x, y) => place(this.visitorCursor, x, y),
      snapshot: (s) => this.update({ state: 'live', url: s.url, title: s.title }),
    });
    this.inkInput = new InkInput({
      overlay: this.overlay,
      rebuilder: this.rebuilder,
      toPage: (e) => this.toPage(e),
      tool: () => this.currentTool,
      me: () => this.status.you,
      sendInk: (a) => this.send({ t: 'ink', a }),
      sendSelection: (range) => this.send({ t: 'selection', range }),
    });
    new AgentInput({
      overlay: this.overlay,
      rebuilder: this.rebuilder,
      toPage: (e) => this.toPage(e),
      tool: () => this.currentTool,
      mode: () => this.status.mode,
      pans: () => this.root.scrollHeight > this.root.clientHeight + 1 || this.root.scrollWidth > this.root.clientWidth + 1,
      send: (a) => this.act(a),
      refused: (k) => this.notice({ kind: 'refused', message: MODE_NEEDED[k] ?? refusals.mode }, true),
    });
    this.overlay.addEventListener('pointermove', (e) => this.onPointer(e));
    this.overlay.addEventListener('pointerleave', () => {
      place(this.ownCursor, -1, -1);
      this.send({ t: 'pointerLeave' });
    });
    this.resize.observe(options.container);
    this.setSize(this.size.width, this.size.height);
    void this.connect();
  }

  /** Sends an action to the visitor's page; the answer comes as a notice when it is refused. */
  act(action: AgentAction): void {
    this.send({ t: 'action', id: ++this.actionId, a: action });
    // The agent sees its own highlight, as the visitor and the other agents do.
    if (action.k === 'highlight') this.inkInput.ownHighlight(action.node);
  }

  /**
   * What the agent's pointer does over the page: `point` acts as the mode allows (a highlight in view mode),
   * `highlight` outlines the element clicked whatever the mode, `draw` draws strokes that fade, `laser`
   * shows a laser with a trail, `text` selects text. Everyone in the session sees the result in this agent's colour.
   */
  setTool(tool: Tool): void {
    this.currentTool = tool;
    this.root.dataset.tool = tool;
    this.overlay.style.cursor = tool === 'text' ? 'text' : tool === 'draw' ? 'crosshair' : 'none';
  }

  get tool(): Tool {
    return this.currentTool;
  }

  /** Clears every agent's ink and selections, here, on the visitor's page and in the other viewers. */
  clearInk(): void {
    this.inkInput.clear();
  }

  /** Asks the visitor for another mode; they see the request and answer it. */
  requestMode(mode: Mode): void {
    this.send({ t: 'requestMode', mode });
    this.update({ asked: mode });
  }

  /** Gives the controls to another agent of the session (this one must hold them). */
  handOver(agentId: string): void {
    this.send({ t: 'handOver', to: agentId });
  }

  /** Asks the agent holding the controls to hand them over. */
  askControl(): void {
    this.send({ t: 'askControl' });
  }

  /**
   * Leaves the session; `end` ends it for the visitor too. Ending is the server's to allow (an admin, the
   * agent with the controls, or an agent alone): the viewer stays until `ended` comes, or says why not.
   */
  leave(end = false): void {
    const open = this.socket?.readyState === WebSocket.OPEN;
    this.send({ t: 'leave', end });
    if (!end || !open) this.destroy();
  }

  /** The page a step bigger; the stage scrolls once it is bigger than the room. */
  zoomIn(): void {
    this.zoomTo(stepUp(this.scale));
  }

  /** The page a step smaller. */
  zoomOut(): void {
    this.zoomTo(stepDown(this.scale));
  }

  /** Back to the whole page in the agent's room (scaled up or down), following the room as it changes. */
  fit(): void {
    this.chosen = null;
    this.layout();
  }

  /** Shows the viewer's container full screen, or leaves full screen. Rejects where the page may not (a frame without `allow="fullscreen"`). */
  async fullscreen(on = document.fullscreenElement !== this.options.container): Promise<void> {
    if (!on) {
      if (document.fullscreenElement === this.options.container) await document.exitFullscreen();
      return;
    }
    await this.options.container.requestFullscreen();
  }

  get zoom(): ViewerZoom {
    return { scale: this.scale, fitted: this.chosen === null, fullscreen: document.fullscreenElement === this.options.container };
  }

  destroy(): void {
    this.closed = true;
    document.removeEventListener('fullscreenchange', this.onFullscreen);
    if (document.fullscreenElement === this.options.container) void document.exitFullscreen().catch(() => {});
    clearTimeout(this.retryTimer);
    this.resize.disconnect();
    this.inkInput.layer.destroy();
    this.socket?.close();
    this.root.remove();
  }

  private async connect(): Promise<void> {
    let ticket: string;
    try {
      ticket = await this.options.ticket();
    } catch (err) {
      if (this.closed) return;
      const answer = err as Error & { status?: unknown; endReason?: string };
      // The server's final word (signed out, not allowed, no such session, ended); anything else is tried again.
      if (typeof answer.status === 'number' && FINAL_STATUSES.includes(answer.status)) {
        return this.update({ state: 'ended', reason: answer.endReason ?? answer.message });
      }
      // The network, not the server: the session may well go on. Try again, a little later each time.
      this.update({ state: 'reconnecting' });
      this.retryTimer = setTimeout(() => void this.connect(), Math.min(5000, 500 * 2 ** this.retries++));
      return;
    }
    if (this.closed) return;
    const server = this.options.server ?? location.origin;
    const ws = new WebSocket(server.replace(/^http/, 'ws') + '/ws/agent?ticket=' + encodeURIComponent(ticket));
    ws.binaryType = 'arraybuffer';
    this.socket = ws;
    const decoder = new FrameDecoder(
      (events) => this.rebuilder.apply(events),
      () => this.send({ t: 'resync' }),
      // A layout of the part built so far: small while it does not fill the visitor's window. The body's height, not the
      // document's scroll height, which is never less than the window's (a body sized to the window counts as full).
      () => this.rebuilder.bodyHeight() >= this.size.height,
    );
    ws.onopen = () => this.send({ t: 'hello', versions: [PROTOCOL_VERSION] });
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return decoder.push(new Uint8Array(e.data as ArrayBuffer));
      this.onControl(JSON.parse(e.data) as ServerToAgent);
    };
    ws.onclose = (e) => {
      if (this.closed || this.status.state === 'ended' || this.socket !== ws) return;
      // Closes that mean "do not come back": the session ended, a version in common there is none, signed out.
      if (e.code === closeCodes.sessionEnded || e.code === closeCodes.badVersion || e.code === closeCodes.unauthorized) {
        return this.update({ state: 'ended', reason: e.code === closeCodes.sessionEnded ? undefined : e.reason || undefined });
      }
      this.update({ state: 'reconnecting' });
      // Closed for reading too slowly: the server is fine and the session goes on, so back at once, from a fresh snapshot.
      // A node shutting down (4012): another takes the session; soon, spread so its clients do not all come at once.
      const wait =
        e.code === closeCodes.tooSlow ? 0 : e.code === closeCodes.restart ? Math.random() * 300 : Math.min(5000, 500 * 2 ** this.retries++);
      this.retryTimer = setTimeout(() => void this.connect(), wait);
    };
  }

  private onControl(msg: ServerToAgent): void {
    switch (msg.t) {
      case 'welcome':
        this.retries = 0;
        this.visitorCursor.querySelector('span')!.textContent = msg.visitor.name ?? 'Visitor';
        paint(this.ownCursor, msg.you.color);
        this.agents.clear();
        for (const a of msg.agents) this.agents.set(a.id, a);
        // Back after a break: pointers of agents who left meanwhile go.
        for (const id of [...this.peerCursors.keys()]) if (!this.agents.has(id)) this.peerCursor(id, '', '', -1, -1);
        this.update({
          state: msg.visitor.connected ? 'waiting' : 'visitor-away',
          visitorName: msg.visitor.name,
          platform: msg.visitor.platform ?? null,
          mode: msg.mode,
          you: msg.you,
          controlBy: msg.controlBy,
          ...this.rosterStatus(),
        });
        break;
      case 'mode':
        if (this.status.asked === msg.mode) this.notice({ kind: 'granted', message: `The visitor allowed ${msg.mode}.` });
        this.update({ mode: msg.mode, asked: null });
        break;
      case 'modeDeclined':
        this.notice({ kind: 'declined', message: `The visitor declined ${msg.mode}.` });
        this.update({ asked: null });
        break;
      case 'actionResult':
        if (!msg.ok) this.notice({ kind: 'refused', message: msg.message ?? refusals[msg.reason ?? 'mode'] });
        break;
      case 'visitorIdentity':
        this.visitorCursor.querySelector('span')!.textContent = msg.name ?? 'Visitor';
        this.update({ visitorName: msg.name });
        break;
      case 'visitorPlatform':
        this.update({ platform: msg.platform });
        break;
      case 'visitorStatus':
        this.update({ state: msg.connected ? 'waiting' : 'visitor-away' });
        break;
      case 'agentJoined':
        this.agents.set(msg.agent.id, msg.agent);
        this.update(this.rosterStatus());
        this.options.onAgent?.('joined', { id: msg.agent.id, name: msg.agent.name });
        break;
      case 'agentLeft': {
        const agent = this.agents.get(msg.agentId);
        this.agents.delete(msg.agentId);
        this.peerCursor(msg.agentId, '', '', -1, -1);
        this.inkInput.layer.clear(msg.agentId);
        this.update(this.rosterStatus());
        if (agent !== undefined) this.options.onAgent?.('left', { id: msg.agentId, name: agent.name });
        break;
      }
      case 'agentPointer':
        this.peerCursor(msg.agentId, msg.name, msg.color, msg.x, msg.y);
        break;
      case 'controlHolder': {
        const you = this.status.you?.id;
        const name = (id: string | null) => (id === null ? 'nobody' : (this.agents.get(id)?.name ?? 'another agent'));
        if (msg.agentId !== this.status.controlBy) {
          this.notice({
            kind: 'control',
            message: msg.agentId === you ? 'You have the controls now.' : `${name(msg.agentId)} has the controls now.`,
          });
        }
        this.update({ controlBy: msg.agentId });
        break;
      }
      case 'controlAsked':
        this.notice({ kind: 'controlAsked', message: `${msg.name} asks for the controls.`, agentId: msg.agentId });
        break;
      case 'ink':
      case 'agentSelection':
      case 'visitorSelection':
        this.inkInput.show(msg);
        break;
      case 'ended':
        this.update({ state: 'ended', reason: msg.reason });
        place(this.visitorCursor, -1, -1);
        for (const id of [...this.peerCursors.keys()]) this.peerCursor(id, '', '', -1, -1);
        break;
      case 'error':
        // A refusal the agent should read (ending for everyone, handing over what it does not hold).
        if (msg.code === 'TDM_FORBIDDEN') this.notice({ kind: 'refused', message: msg.message });
        else console.warn(`Tandem viewer: ${msg.code}: ${msg.message}`);
        break;
    }
  }

  private rosterStatus(): Pick<ViewerStatus, 'agents' | 'roster'> {
    const roster = [...this.agents.values()];
    return { agents: roster.map((a) => a.name), roster };
  }

  /** Another agent's pointer, labelled with its name in its colour; x < 0 removes it. */
  private peerCursor(agentId: string, name: string, color: string, x: number, y: number): void {
    let c = this.peerCursors.get(agentId);
    if (x < 0 || y < 0) {
      c?.remove();
      this.peerCursors.delete(agentId);
      return;
    }
    if (!c) {
      c = cursor(color, name);
      c.dataset.cursor = 'peer';
      c.dataset.agentId = agentId;
      c.style.setProperty('--inv', String(1 / this.scale));
      this.overlay.appendChild(c);
      this.peerCursors.set(agentId, c);
    }
    place(c, x, y);
  }

  private toPage(e: MouseEvent): [number, number] {
    const box = this.stage.getBoundingClientRect();
    return [Math.round((e.clientX - box.left) / this.scale), Math.round((e.clientY - box.top) / this.scale)];
  }

  /** `repeated`: the agent's own gesture repeats (a wheel): say it once a while, not each time. */
  private notice(n: ViewerNotice, repeated = false): void {
    const now = Date.now();
    if (repeated && n.message === this.lastNotice.message && now - this.lastNotice.at < NOTICE_REPEAT_MS) return;
    this.lastNotice = { message: n.message, at: now };
    this.options.onNotice?.(n);
  }

  private onPointer(e: PointerEvent): void {
    const [x, y] = this.toPage(e);
    place(this.ownCursor, x, y);
    // One pointer message per animation frame at most.
    if (!this.pendingPointer) requestAnimationFrame(() => this.flushPointer());
    this.pendingPointer = [x, y];
  }

  private flushPointer(): void {
    if (!this.pendingPointer) return;
    const [x, y] = this.pendingPointer;
    this.pendingPointer = null;
    this.send({ t: 'pointer', x, y });
  }

  private send(msg: AgentToServer): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  private setSize(width: number, height: number): void {
    this.size = { width, height };
    this.iframe.style.width = `${width}px`;
    this.iframe.style.height = `${height}px`;
    this.stage.style.width = `${width}px`;
    this.stage.style.height = `${height}px`;
    this.layout();
  }

  /** Keeps the point at the middle of what the agent sees where it is while the scale changes. */
  private zoomTo(scale: number): void {
    const r = this.root;
    const before = this.scale;
    const middle = [
      (r.scrollLeft + r.clientWidth / 2 - this.stage.offsetLeft) / before,
      (r.scrollTop + r.clientHeight / 2 - this.stage.offsetTop) / before,
    ];
    this.chosen = scale;
    this.layout();
    r.scrollLeft = this.stage.offsetLeft + middle[0]! * scale - r.clientWidth / 2;
    r.scrollTop = this.stage.offsetTop + middle[1]! * scale - r.clientHeight / 2;
  }

  /** Lays the page out in the room: fitted (up to MAX_FIT) or at the agent's zoom, centred, outlined when smaller. */
  private layout(): void {
    const box = this.options.container.getBoundingClientRect();
    if (!box.width || !box.height) return;
    this.scale = this.chosen ?? fitScale(box, this.size);
    const w = Math.floor(this.size.width * this.scale);
    const h = Math.floor(this.size.height * this.scale);
    // Past the room the root scrolls, and its scrollbars take some of it.
    const roomW = Math.floor(w > box.width ? box.width : this.root.clientWidth || box.width);
    const roomH = Math.floor(h > box.height ? box.height : this.root.clientHeight || box.height);
    const left = offsetIn(roomW, w);
    const top = offsetIn(roomH, h);
    this.sizer.style.width = `${Math.max(w, roomW)}px`;
    this.sizer.style.height = `${Math.max(h, roomH)}px`;
    this.stage.style.left = `${left}px`;
    this.stage.style.top = `${top}px`;
    this.stage.style.transform = `scale(${this.scale})`;
    const spare = left > 8 || top > 8;
    this.outline.style.cssText += `;display:${spare ? 'block' : 'none'};left:${left}px;top:${top}px;width:${w}px;height:${h}px`;
    this.root.dataset.outlined = String(spare);
    // Cursor labels stay readable whatever the scale.
    for (const c of [this.visitorCursor, this.ownCursor, ...this.peerCursors.values()]) c.style.setProperty('--inv', String(1 / this.scale));
    const zoom = this.zoom;
    this.root.dataset.zoom = String(Math.round(zoom.scale * 100));
    const key = `${zoom.scale}|${zoom.fitted}|${zoom.fullscreen}`;
    if (key !== this.lastZoom) {
      this.lastZoom = key;
      this.options.onZoom?.(zoom);
    }
  }

  private update(patch: Partial<ViewerStatus>): void {
    this.status = { ...this.status, ...patch };
    this.root.dataset.state = this.status.state;
    this.options.onStatus?.(this.status);
  }
}

function div(cls: string, css: string): HTMLElement {
  const d = document.createElement('div');
  d.className = cls;
  d.style.cssText = css;
  return d;
}

function cursor(color: string, label: string): HTMLElement {
  const c = div('tandem-cursor', 'position:absolute;left:0;top:0;display:none;pointer-events:none;z-index:2');
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '22');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M1 1l7 19 3-8 8-3z');
  path.setAttribute('fill', color);
  path.setAttribute('stroke', '#fff');
  path.setAttribute('stroke-width', '1.5');
  svg.appendChild(path);
  const name = document.createElement('span');
  name.textContent = label;
  name.style.cssText = `position:absolute;left:16px;top:16px;white-space:nowrap;padding:2px 8px;border-radius:10px;background:${color};color:#fff;font:600 12px system-ui,sans-serif;transform:scale(var(--inv,1));transform-origin:0 0`;
  c.append(svg, name);
  c.dataset.color = color;
  return c;
}

/** Gives a cursor (arrow and label) an agent's colour. */
function paint(c: HTMLElement, color: string): void {
  c.querySelector('path')!.setAttribute('fill', color);
  c.querySelector('span')!.style.background = color;
  c.dataset.color = color;
}

/** Moves a cursor to (x, y) in page pixels; negative hides it. */
function place(c: HTMLElement, x: number, y: number): void {
  if (x < 0 || y < 0) {
    c.style.display = 'none';
    return;
  }
  c.style.display = 'block';
  c.style.transform = `translate(${x}px, ${y}px)`;
}
