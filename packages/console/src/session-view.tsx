import { useEffect, useRef, useState } from 'preact/hooks';
import { Viewer, type ViewerNotice, type ViewerStatus, type ViewerZoom } from '@tandem/viewer';
import { modeRank, type Mode } from '@tandem/protocol';
import { api, type Joined } from './api.js';
import { ConfirmEnd, MoreMenu, ViewTools } from './session-tools.js';
import { InkTools } from './ink-tools.js';
import { Roster } from './roster.js';
import { InviteColleague } from './colleague.js';
import { VisitorDetails } from './visitor-details.js';

const ENDED_BY: Record<string, string> = {
  visitor: 'The visitor stopped sharing.',
  agent: 'The session was ended by an agent.',
  api: 'The session was ended by an integration.',
  timeout: 'The visitor left and did not come back.',
  server: 'The server ended the session.',
  left: 'The visitor went to a page outside the site.',
};

/** How the session ended, in words; a reason the console does not know is shown as the server said it. */
const endedText = (reason: string | undefined) => (reason && Object.hasOwn(ENDED_BY, reason) ? ENDED_BY[reason] : (reason ?? ''));

const STATE_LABEL: Record<string, string> = {
  connecting: 'Connecting',
  reconnecting: 'Reconnecting…',
  waiting: 'Waiting for the page',
  live: 'Live',
  'visitor-away': 'Visitor changing page',
  ended: 'Ended',
  error: 'Error',
};

const MODE_LABEL: Record<Mode, string> = {
  view: 'View: point and highlight',
  navigate: 'Navigate: also scroll and follow links',
  control: 'Control: also click and type',
};
const ASK: [Mode, string][] = [
  ['navigate', 'Ask to navigate'],
  ['control', 'Ask for control'],
];
/** A notice stays on screen this long; a colleague's request for the controls longer (it waits for an answer). */
const NOTICE_MS = 5000;
const REQUEST_MS = 15_000;

/** `admin`: the signed-in agent is an admin (it may end any session for everyone). */
export function SessionView({ joined, admin = false, onClose }: { joined: Joined; admin?: boolean; onClose: () => void }) {
  const container = useRef<HTMLDivElement>(null);
  const viewer = useRef<Viewer | null>(null);
  const [status, setStatus] = useState<ViewerStatus>({ state: 'connecting', visitorName: joined.visitorName, agents: [], mode: 'view' });
  const [notices, setNotices] = useState<(ViewerNotice & { key: number })[]>([]);
  const noticeKey = useRef(0);
  const [address, setAddress] = useState('');
  const [zoom, setZoom] = useState<ViewerZoom>({ scale: 1, fitted: true, fullscreen: false });
  const [confirming, setConfirming] = useState(false);

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
      onZoom: setZoom,
      onNotice: (n) => {
        const key = ++noticeKey.current;
        setNotices((list) => [...list.slice(-2), { ...n, key }]);
        setTimeout(() => setNotices((list) => list.filter((x) => x.key !== key)), n.kind === 'controlAsked' ? REQUEST_MS : NOTICE_MS);
      },
    });
    viewer.current = v;
    return () => v.destroy();
  }, [joined]);

  const ended = status.state === 'ended';
  // The server checks the same: an admin, the agent with the controls, or an agent alone ends it for everyone.
  const mayEnd = admin || (status.roster?.length ?? 0) <= 1 || (status.you !== undefined && status.controlBy === status.you.id);
  return (
    <section class="session" aria-label="Session" data-session-id={joined.sessionId}>
      <div class="session-bar">
        <strong class="who">{status.visitorName ?? 'Visitor'}</strong>
        {!ended && <VisitorDetails platform={status.platform} />}
        <span class={`pill ${status.state}`} data-session-state={status.state}>
          {STATE_LABEL[status.state]}
        </span>
        <span class="url" title={status.url}>
          {status.url ?? ''}
        </span>
        <MoreMenu>
          {!ended && (
            <span class="mode" data-mode={status.mode} title="What the visitor allows">
              {MODE_LABEL[status.mode]}
            </span>
          )}
          {!ended && modeRank[status.mode] >= modeRank.navigate && (
            <form
              class="go"
              aria-label="Send the visitor to an address"
              onSubmit={(e) => {
                e.preventDefault();
                // Relative addresses are the visitor's site's; the visitor's page checks it is one of the site's.
                try {
                  viewer.current?.act({ k: 'navigate', url: new URL(address.trim(), status.url).href });
                  setAddress('');
                } catch {
                  // Not an address: leave it in the field to correct.
                }
              }}
            >
              <input
                type="text"
                aria-label="Address"
                placeholder="/page or https://…"
                value={address}
                onInput={(e) => setAddress(e.currentTarget.value)}
              />
              <button type="submit">Go</button>
            </form>
          )}
          {!ended &&
            ASK.filter(([m]) => modeRank[m] > modeRank[status.mode]).map(([m, label]) => (
              <button type="button" key={m} data-ask={m} disabled={status.asked === m} onClick={() => viewer.current?.requestMode(m)}>
                {status.asked === m ? 'Asked…' : label}
              </button>
            ))}
          {!ended && (
            <button
              type="button"
              data-action="leave"
              title="Leave: the session goes on for the visitor and the other agents"
              onClick={() => {
                viewer.current?.leave(false);
                onClose();
              }}
            >
              Leave
            </button>
          )}
        </MoreMenu>
        {!ended && <ViewTools viewer={viewer.current} zoom={zoom} />}
        {ended ? (
          <button type="button" onClick={onClose}>
            Back
          </button>
        ) : (
          <button
            type="button"
            class="danger end"
            data-action="end"
            aria-label="End for everyone"
            disabled={!mayEnd}
            title={mayEnd ? undefined : 'Only the agent with the controls, or an admin, ends the session for everyone'}
            onClick={() => setConfirming(true)}
          >
            End<span class="wide-only"> for everyone</span>
          </button>
        )}
      </div>
      {!ended && (
        <div class="tool-row">
          <InkTools viewer={viewer.current} />
          <Roster status={status} viewer={viewer.current} admin={admin} />
          {joined.code && <InviteColleague code={joined.code} />}
        </div>
      )}
      <ConfirmEnd
        open={confirming && !ended}
        onCancel={() => setConfirming(false)}
        onEnd={() => {
          setConfirming(false);
          viewer.current?.leave(true);
        }}
      />
      <div class="notices" aria-live="polite">
        {notices.map((n) => (
          <div key={n.key} class={`notice ${n.kind}`} data-notice={n.kind}>
            {n.message}
            {n.kind === 'controlAsked' && n.agentId && status.controlBy === status.you?.id && (
              <button
                type="button"
                data-grant-control={n.agentId}
                onClick={() => {
                  viewer.current?.handOver(n.agentId!);
                  setNotices((list) => list.filter((x) => x.key !== n.key));
                }}
              >
                Hand over
              </button>
            )}
          </div>
        ))}
      </div>
      <div class="view" ref={container}>
        {ended && (
          <div class="ended-banner" role="status" data-ended>
            <span>Session ended</span>
            <small>{endedText(status.reason)}</small>
          </div>
        )}
      </div>
    </section>
  );
}
