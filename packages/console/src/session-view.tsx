import { useEffect, useRef, useState } from 'preact/hooks';
import { Viewer, type ViewerStatus } from '@tandem/viewer';
import { api, type Joined } from './api.js';

const ENDED_BY: Record<string, string> = {
  visitor: 'The visitor stopped sharing.',
  agent: 'The session was ended by an agent.',
  api: 'The session was ended by an integration.',
  timeout: 'The visitor left and did not come back.',
  server: 'The server ended the session.',
};

const STATE_LABEL: Record<string, string> = {
  connecting: 'Connecting',
  waiting: 'Waiting for the page',
  live: 'Live',
  'visitor-away': 'Visitor changing page',
  ended: 'Ended',
  error: 'Error',
};

export function SessionView({ joined, onClose }: { joined: Joined; onClose: () => void }) {
  const container = useRef<HTMLDivElement>(null);
  const viewer = useRef<Viewer | null>(null);
  const [status, setStatus] = useState<ViewerStatus>({ state: 'connecting', visitorName: joined.visitorName, agents: [] });

  useEffect(() => {
    let first = true;
    const v = new Viewer({
      container: container.current!,
      // The ticket from joining is used once; reconnects ask for a fresh one.
      ticket: async () => {
        if (first) {
          first = false;
          return joined.ticket;
        }
        return (await api.ticket(joined.sessionId)).ticket;
      },
      onStatus: setStatus,
    });
    viewer.current = v;
    return () => v.destroy();
  }, [joined]);

  const ended = status.state === 'ended';
  return (
    <section class="session" aria-label="Session">
      <div class="session-bar">
        <strong>{status.visitorName ?? 'Visitor'}</strong>
        <span class={`pill ${status.state}`} data-session-state={status.state}>
          {STATE_LABEL[status.state]}
        </span>
        <span class="url" title={status.url}>{status.url ?? ''}</span>
        {ended ? (
          <button type="button" onClick={onClose}>Back</button>
        ) : (
          <button type="button" class="danger" onClick={() => viewer.current?.leave(true)}>
            End session
          </button>
        )}
      </div>
      <div class="view" ref={container}>
        {ended && (
          <div class="ended-banner" role="status" data-ended>
            <span>Session ended</span>
            <small>{ENDED_BY[status.reason ?? ''] ?? ''}</small>
          </div>
        )}
      </div>
    </section>
  );
}
