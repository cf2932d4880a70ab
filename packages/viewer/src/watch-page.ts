/**
 * The standalone watch page (/watch?session=ID) for agent desktops that embed
 * Tandem in an iframe or a browser control. Uses the agent's sign-in cookie.
 */
import { Viewer } from './index.js';

const sessionId = new URLSearchParams(location.search).get('session') ?? '';
const bar = document.getElementById('bar')!;

new Viewer({
  container: document.getElementById('view')!,
  async ticket() {
    const res = await fetch(`/api/v1/sessions/${encodeURIComponent(sessionId)}/ticket`, { method: 'POST' });
    const body = (await res.json()) as { ticket?: string; message?: string; endReason?: string };
    if (!res.ok || !body.ticket)
      throw Object.assign(new Error(body.message ?? 'This session is not available.'), { status: res.status, endReason: body.endReason });
    return body.ticket;
  },
  onStatus(s) {
    const who = s.visitorName ?? 'the visitor';
    bar.textContent =
      s.state === 'live'
        ? `Watching ${who} — ${s.url ?? ''}`
        : s.state === 'ended'
          ? `The session ended${s.reason ? ` (${s.reason})` : ''}.`
          : s.state === 'visitor-away'
            ? `${who} is changing page…`
            : s.state === 'waiting'
              ? `Waiting for ${who}'s page…`
              : s.state === 'reconnecting'
                ? 'Reconnecting…'
                : 'Connecting…';
  },
});
