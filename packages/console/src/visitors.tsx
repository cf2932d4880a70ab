/**
 * Visitors on the site now (sites with presence on): look one up, invite them,
 * and join as soon as they accept.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Joined, type PresentVisitor } from './api.js';

/** The list refreshes this often while it is on screen. */
const REFRESH_MS = 5000;
const INVITE_POLL_MS = 1000;

const ANSWER: Record<string, string> = {
  pending: 'Invited: waiting for the visitor to answer…',
  declined: 'The visitor declined.',
  expired: 'The visitor did not answer.',
};

export function Visitors({ onJoined }: { onJoined: (joined: Joined) => void }) {
  const [site, setSite] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [visitors, setVisitors] = useState<PresentVisitor[]>([]);
  const [invite, setInvite] = useState<{ shortId: string; state: string } | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    api.sites().then(
      (r) => setSite(r.sites[0]?.key ?? null),
      (e: Error) => setError(e.message),
    );
  }, []);

  useEffect(() => {
    if (!site) return;
    let stopped = false;
    const load = () =>
      api.visitors(site, query).then(
        (r) => !stopped && setVisitors(r.visitors),
        () => {},
      );
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [site, query]);

  async function inviteVisitor(v: PresentVisitor) {
    if (!site) return;
    setError('');
    try {
      let state = await api.invite(site, v.shortId);
      setInvite({ shortId: v.shortId, state: state.state });
      while (state.state === 'pending') {
        await new Promise((r) => setTimeout(r, INVITE_POLL_MS));
        state = await api.inviteState(state.inviteId);
      }
      setInvite({ shortId: v.shortId, state: state.state });
      if (state.state === 'accepted' && state.code) onJoined(await api.join(state.code));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <section class="card visitors" aria-label="Visitors on the site">
      <h2>On the site now</h2>
      <input
        type="search"
        aria-label="Search visitors"
        placeholder="Name, email or customer id"
        value={query}
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      {visitors.length === 0 && <p class="muted">No visitor to show. Presence lists visitors only on sites that turn it on.</p>}
      <ul>
        {visitors.map((v) => (
          <li key={v.shortId} data-visitor={v.shortId}>
            <div>
              <strong>{v.identity.name ?? 'Anonymous visitor'}</strong>
              {v.identity.email && <span class="muted"> {v.identity.email}</span>}
              {v.identity.uniqueId && <span class="muted"> #{v.identity.uniqueId}</span>}
              {v.verified && (
                <span class="verified" title="The site signed this customer id">
                  {' '}
                  ✓ verified
                </span>
              )}
            </div>
            <div class="muted" title={v.url}>
              {v.title || v.url}
            </div>
            <div class="muted">
              {v.platform.browser} · {v.platform.os} · {v.platform.viewport} · {v.platform.language} · {v.platform.timeZone}
            </div>
            {invite?.shortId === v.shortId && ANSWER[invite.state] ? (
              <p class="invite-state" role="status">
                {ANSWER[invite.state]}
              </p>
            ) : (
              <button type="button" onClick={() => void inviteVisitor(v)}>
                Invite to share
              </button>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
