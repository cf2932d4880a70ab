/**
 * `<tandem-viewer>`: the agent's view of a session as one element for web
 * agent desktops. It frames the server's watch page (so the visitor's page
 * is rebuilt on the Tandem origin, never the desktop's) and turns the page's
 * messages into DOM events on the element:
 *
 *   <script src="https://tandem.example.com/tandem-viewer.js"></script>
 *   <tandem-viewer server="https://tandem.example.com" code="123456" noinput></tandem-viewer>
 *   el.addEventListener('tandem:active', (e) => …); el.end(); el.requestMode('control');
 *
 * Attributes: `server` (else the script's own origin), one of `code`, `token`
 * (a watch URL's) or `session`, and the flags `noinput` and `debug`. Events:
 * `tandem:<event>` with the message as `detail` (EMBED_EVENTS), and `tandem` for all.
 * The desktop's origin must be one an admin allowed (agent-desktop origins).
 */
import { EMBED_SOURCE, EMBED_EVENTS, type EmbedCommand, type EmbedEvent, type Mode } from '@tandem/protocol';

const scriptOrigin = (() => {
  const src = (document.currentScript as HTMLScriptElement | null)?.src;
  return src ? new URL(src).origin : location.origin;
})();

class TandemViewerElement extends HTMLElement {
  static observedAttributes = ['server', 'code', 'token', 'session', 'noinput', 'debug'];
  private frame: HTMLIFrameElement | null = null;
  private origin = scriptOrigin;
  private readonly onMessage = (e: MessageEvent) => {
    // Only our frame, from the Tandem origin, in our shape.
    if (!this.frame || e.source !== this.frame.contentWindow || e.origin !== this.origin) return;
    const data = e.data as Partial<EmbedEvent> & { source?: unknown };
    if (data?.source !== EMBED_SOURCE || typeof data.event !== 'string' || !EMBED_EVENTS.includes(data.event)) return;
    this.dispatchEvent(new CustomEvent(`tandem:${data.event}`, { detail: data }));
    this.dispatchEvent(new CustomEvent('tandem', { detail: data }));
  };

  connectedCallback(): void {
    addEventListener('message', this.onMessage);
    this.render();
  }

  disconnectedCallback(): void {
    removeEventListener('message', this.onMessage);
    this.frame?.remove();
    this.frame = null;
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.render();
  }

  /** Ends the session for everyone. */
  end(): void {
    this.command({ command: 'end' });
  }

  /** Leaves; the session goes on for the others. */
  leave(): void {
    this.command({ command: 'leave' });
  }

  requestMode(mode: Mode): void {
    this.command({ command: 'requestMode', mode });
  }

  /** Opens a session by code in a frame that is already there (a desktop with its own code box). */
  join(code: string): void {
    this.command({ command: 'join', code });
  }

  private command(c: EmbedCommand): void {
    this.frame?.contentWindow?.postMessage({ source: EMBED_SOURCE, ...c }, this.origin);
  }

  private render(): void {
    this.origin = new URL(this.getAttribute('server') ?? scriptOrigin, location.href).origin;
    const hash = new URLSearchParams();
    for (const name of ['code', 'token', 'session']) {
      const value = this.getAttribute(name);
      if (value) hash.set(name, value);
    }
    for (const flag of ['noinput', 'debug']) if (this.hasAttribute(flag)) hash.set(flag, '1');
    this.frame?.remove();
    const frame = document.createElement('iframe');
    frame.title = 'Tandem co-browsing session';
    frame.allow = 'fullscreen';
    frame.style.cssText = 'border:0;width:100%;height:100%;display:block';
    frame.src = `${this.origin}/watch#${hash.toString()}`;
    if (!this.style.display) this.style.display = 'block';
    this.frame = frame;
    this.replaceChildren(frame);
  }
}

if (!customElements.get('tandem-viewer')) customElements.define('tandem-viewer', TandemViewerElement);
