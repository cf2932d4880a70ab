/**
 * Sessions, live and past (who, where, when, how it ended: never page content),
 * filtered by site, agent, state and date; a live session the agent may open again
 * (one they joined, or any for an admin) is rejoined from here, so a reloaded
 * console gets back into its session.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Joined, type Session } from './api.js';
import { Audit } from './audit.js';
import { useSites } from './use-sites.js';
import { Columns } from './feedback.js';
import { SiteOptions } from './site-options.js';

/** The list refreshes this often while it is on screen. */
const REFRESH_MS = 5000;

const ENDED: Record<string, string> = {
  visitor: 'by the visitor',
  agent: 'by an agent',
  api: 'by an integration',
  timeout: 'visitor did not come back',
  server: 'by the server',
  left: 'visitor left the site',
};

type StateFilter = 'all' | 'live' | 'ended';

/** The agent filter's value for sessions no agent joined (an agent id is never empty-braced). */
const NO_AGENT = '{none}';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const who = (s: Session) => s.visitorName ?? s.visitorEmail ?? s.visitorUniqueId ?? 'Anonymous visitor';

export function Sessions({ onJoined }: { onJoined: (joined: Joined) => void }) {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const sites = useSites() ?? [];
  const [site, setSite] = useState('');
  const [agent, setAgent] = useState('');
  const seenAgents = useRef(new Map<string, string>());
  const [state, setState] = useState<StateFilter>('all');
  const [from, setFrom] = useState('');
  const [error, setError] = useState('');
  const [audit, setAudit] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = () =>
      api.sessions(state === 'all' ? undefined : state === 'live').then(
        (r) => !stopped && setSessions(r.sessions),
        (e: Error) => !stopped && setError(e.message),
      );
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [state]);

  async function rejoin(s: Session) {
    setError('');
    try {
      onJoined(await api.ticket(s.id));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  // A date input gives the local day; sessions from its midnight on are shown.
  const since = from ? new Date(`${from}T00:00`).getTime() : -Infinity;
  const byAgent = (s: Session) => !agent || (agent === NO_AGENT ? s.agents.length === 0 : s.agents.some((a) => a.agentId === agent));
  const shown = (sessions ?? []).filter((s) => (!site || s.siteKey === site) && byAgent(s) && Date.parse(s.createdAt) >= since);
  // The agents to filter by: those in the sessions listed since the screen opened (a refresh or another state
  // filter keeps the one chosen in the picker), named as they last were (the list is newest first).
  const agents = seenAgents.current;
  for (const s of [...(sessions ?? [])].reverse()) for (const a of s.agents) agents.set(a.agentId, a.agentName);

  return (
    <section class="card wide sessions" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <div class="filters" role="group" aria-label="Filter sessions">
        <div>
          <label for="sessions-site">Site</label>
          <select id="sessions-site" value={site} onChange={(e) => setSite(e.currentTarget.value)}>
            <option value="">All sites</option>
            <SiteOptions sites={sites} />
          </select>
        </div>
        <div>
          <label for="sessions-agent">Agent</label>
          <select id="sessions-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
            <option value="">All agents</option>
            {[...agents]
              .sort((a, b) => a[1].localeCompare(b[1]))
              .map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            <option value={NO_AGENT}>No agent joined</option>
          </select>
        </div>
        <div>
          <label for="sessions-state">State</label>
          <select id="sessions-state" value={state} onChange={(e) => setState(e.currentTarget.value as StateFilter)}>
            <option value="all">Live and ended</option>
            <option value="live">Live</option>
            <option value="ended">Ended</option>
          </select>
        </div>
        <div>
          <label for="sessions-from">Started on or after</label>
          <input id="sessions-from" type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </div>
      </div>
      {sessions !== null && shown.length === 0 && <p class="muted">No session to show.</p>}
      {shown.length > 0 && (
        <table>
          <Columns names={['Visitor', 'Site', 'Agents', 'Started', 'State']} />
          <tbody>
            {shown.map((s) => [
              <tr key={s.id} data-session={s.id} data-live={s.live ? 'true' : 'false'}>
                <td>
                  <strong>{who(s)}</strong>
                  {s.startUrl && (
                    <div class="muted url-cell" title={s.startUrl}>
                      {s.startUrl}
                    </div>
                  )}
                </td>
                <td>{s.siteKey}</td>
                <td data-agents>{s.agents.length ? s.agents.map((a) => a.agentName).join(', ') : <span class="muted">No agent</span>}</td>
                <td>{when(s.createdAt)}</td>
                <td>
                  {s.live ? (
                    <span class="pill live">Live</span>
                  ) : (
                    <span class="muted">
                      Ended{s.endedAt ? ` ${when(s.endedAt)}` : ''}
                      {s.endReason ? `, ${ENDED[s.endReason] ?? s.endReason}` : ''}
                    </span>
                  )}
                </td>
                <td>
                  {/* The code is shown to whoever may open the session again: an agent who joined it, or an admin. */}
                  {s.live && s.code !== undefined && (
                    <button type="button" data-rejoin={s.id} aria-label={`Rejoin the session with ${who(s)}`} onClick={() => void rejoin(s)}>
                      Rejoin
                    </button>
                  )}
                  {/* The audit is for the same agents as the code: admins, and agents who joined. */}
                  {s.code !== undefined && (
                    <button
                      type="button"
                      data-audit={s.id}
                      aria-expanded={audit === s.id}
                      aria-label={`Audit of the session with ${who(s)}`}
                      onClick={() => setAudit(audit === s.id ? null : s.id)}
                    >
                      Audit
                    </button>
                  )}
                </td>
              </tr>,
              audit === s.id && (
                <tr key={`${s.id}-audit`} class="audit-row">
                  <td colSpan={6}>
                    <Audit sessionId={s.id} />
                  </td>
                </tr>
              ),
            ])}
          </tbody>
        </table>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
