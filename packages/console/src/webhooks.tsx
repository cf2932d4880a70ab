/**
 * A site's webhooks, for admins: add an endpoint (its signing secret shown
 * once, here), choose its events, enable or disable it, send a test delivery,
 * and read its last deliveries (status, attempts, the last answer or error).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Webhook, type WebhookCreated, type WebhookDelivery, type WebhookEventType } from './api.js';
import { useSites } from './use-sites.js';
import { Feedback } from './feedback.js';
import { SiteOptions } from './site-options.js';

/** The events an endpoint can subscribe to (the protocol's WEBHOOK_EVENT_TYPES, kept out of this bundle with TypeBox). */
const EVENTS: { type: WebhookEventType; label: string }[] = [
  { type: 'session.requested', label: 'A visitor asked for help' },
  { type: 'session.started', label: 'A session started' },
  { type: 'agent.joined', label: 'An agent joined' },
  { type: 'agent.left', label: 'An agent left' },
  { type: 'mode.changed', label: 'The mode changed' },
  { type: 'session.ended', label: 'A session ended' },
];

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '');

function Deliveries({ webhook }: { webhook: Webhook }) {
  const [list, setList] = useState<WebhookDelivery[] | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api.deliveries(webhook.id).then(
      (r) => setList(r.deliveries),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
    // Deliveries go out in the background: the list follows them while it is open.
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [webhook.id]);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!list) return null;
  if (list.length === 0) return <p class="muted">No delivery yet.</p>;
  return (
    <table class="deliveries" aria-label={`Last deliveries to ${webhook.url}`}>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last answer</th>
          <th scope="col">When</th>
        </tr>
      </thead>
      <tbody>
        {list.map((d) => (
          <tr key={d.id} data-delivery={d.type} data-status={d.status}>
            <td>{d.type}</td>
            <td>
              <span class={`pill ${d.status === 'delivered' ? 'live' : d.status === 'failed' ? 'ended' : ''}`}>{d.status}</span>
            </td>
            <td>{d.attempts}</td>
            <td>{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')}</td>
            <td>{when(d.deliveredAt ?? d.lastAttemptAt ?? d.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Webhooks() {
  const [site, setSite] = useState('');
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(EVENTS.map((e) => e.type));
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [formError, setFormError] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const sites = useSites(setError);

  useEffect(() => setSite((s) => s || (sites?.[0]?.key ?? '')), [sites]);
  const load = () =>
    api.webhooks(site).then(
      (r) => setHooks(r.webhooks),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    if (site) void load();
  }, [site]);

  async function act(what: () => Promise<unknown>, done: string) {
    setError('');
    setStatus('');
    try {
      await what();
      setStatus(done);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function create(e: Event) {
    e.preventDefault();
    setFormError('');
    setCreated(null);
    if (events.length === 0) {
      setFormError('Choose at least one event.');
      return;
    }
    try {
      const hook = await api.createWebhook(site, { url: url.trim(), events });
      setCreated(hook);
      setUrl('');
      await load();
    } catch (err) {
      setFormError((err as Error).message);
    }
  }

  return (
    <>
      <section class="card wide webhooks" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhooks</h2>
        {sites && sites.length > 1 && (
          <>
            <label for="webhooks-site">Site</label>
            <select id="webhooks-site" value={site} onChange={(e) => setSite(e.currentTarget.value)}>
              <SiteOptions sites={sites} />
            </select>
          </>
        )}
        {hooks && hooks.length === 0 && <p class="muted">No endpoint yet: the site’s session events go nowhere.</p>}
        <ul class="hooks">
          {(hooks ?? []).map((h) => (
            <li key={h.id} data-webhook={h.url}>
              <div class="hook-head">
                <strong class="hook-url">{h.url}</strong>
                <span class={`pill ${h.enabled ? 'live' : 'ended'}`}>{h.enabled ? 'Enabled' : 'Disabled'}</span>
              </div>
              <div class="muted">{h.events.join(', ')}</div>
              <div class="hook-actions">
                <button
                  type="button"
                  data-test-hook
                  onClick={() => void act(() => api.testWebhook(h.id).then(() => setOpen(h.id)), 'A test delivery is on its way.')}
                >
                  Send test
                </button>
                <button type="button" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
                  {open === h.id ? 'Hide deliveries' : 'Show deliveries'}
                </button>
                <button
                  type="button"
                  onClick={() => void act(() => api.changeWebhook(h.id, { enabled: !h.enabled }), h.enabled ? 'Disabled.' : 'Enabled.')}
                >
                  {h.enabled ? 'Disable' : 'Enable'}
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() => {
                    if (confirm(`Delete the endpoint ${h.url} and its deliveries?`)) void act(() => api.deleteWebhook(h.id), 'Deleted.');
                  }}
                >
                  Delete
                </button>
              </div>
              {open === h.id && <Deliveries webhook={h} />}
            </li>
          ))}
        </ul>
        <Feedback saved={status} error={error} />
      </section>
      <form class="card new-hook" onSubmit={(e) => void create(e)} aria-labelledby="new-hook-title">
        <h2 id="new-hook-title">Add an endpoint</h2>
        <label for="hook-url">Address (https)</label>
        <input
          id="hook-url"
          type="url"
          required
          value={url}
          placeholder="https://example.com/tandem"
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <fieldset class="events">
          <legend>Events</legend>
          {EVENTS.map((ev) => (
            <label class="checkbox" key={ev.type}>
              <input
                type="checkbox"
                checked={events.includes(ev.type)}
                onChange={(e) => setEvents(e.currentTarget.checked ? [...events, ev.type] : events.filter((x) => x !== ev.type))}
              />
              {ev.label} <code>{ev.type}</code>
            </label>
          ))}
        </fieldset>
        <button class="primary" type="submit">
          Add endpoint
        </button>
        {formError && (
          <p class="error" role="alert">
            {formError}
          </p>
        )}
        {created && (
          <div class="secret" role="status" data-secret>
            <p>The signing secret, shown this once: keep it where the receiver checks signatures.</p>
            <code>{created.secret}</code>
          </div>
        )}
      </form>
    </>
  );
}
