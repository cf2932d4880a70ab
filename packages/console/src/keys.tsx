/**
 * API keys, for admins: the keys there are (label, site, when made, revoked or
 * not; never the keys themselves, which the server keeps only as hashes), a new
 * one for a site or for every site, and revoking one after a confirmation.
 *
 * A new key is shown once, right after it is made. It lives in this screen's
 * state only: dismissing it, or leaving the screen (which unmounts it), takes it
 * out of the DOM, and nothing can bring it back.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, fieldErrors, type ApiKeyInfo, type ApiError, type CreatedApiKey } from './api.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { useSites } from './use-sites.js';
import { Columns, Feedback } from './feedback.js';
import { SiteOptions } from './site-options.js';

/** The site picker's value for a key to every site (no site key is "*"). */
const EVERY_SITE = '*';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The key just made, shown this once: copy it, then dismiss it. */
function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState('');
  useEffect(() => {
    // Focus lands on the key, selected: read out first, and copied with the keyboard alone if need be.
    field.current?.focus();
    field.current?.select();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard here (a page served over plain http, a refused permission): the key is selected instead.
      field.current?.focus();
      field.current?.select();
      setCopied('The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  }

  return (
    <div class="secret new-key" data-new-key>
      <h3 id="new-key-title">Copy the key now</h3>
      <p id="new-key-note">
        <strong>You will not see this key again.</strong> Tandem keeps only a hash of it: if it is lost, revoke it and make another.
      </p>
      <label for="new-key-value">API key “{created.name}”</label>
      <input
        id="new-key-value"
        ref={field}
        class="key-value"
        readOnly
        value={created.key}
        autoComplete="off"
        spellcheck={false}
        aria-describedby="new-key-note"
      />
      <div class="key-actions">
        <button type="button" class="primary" data-copy-key onClick={() => void copy()}>
          Copy key
        </button>
        <button type="button" data-dismiss-key onClick={onDone}>
          I have saved it
        </button>
      </div>
      <div role="status" aria-live="polite">
        {copied && <p class="saved">{copied}</p>}
      </div>
    </div>
  );
}

export function Keys() {
  const [error, setError] = useState('');
  const sites = useSites(setError);
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [status, setStatus] = useState('');
  const [form, setForm] = useState({ name: '', site: '' });
  const [formErrors, setFormErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const nameField = useRef<HTMLInputElement>(null);
  const siteField = useRef<HTMLSelectElement>(null);

  const load = () =>
    api.keys().then(
      (r) => setKeys(r.keys),
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(), []);
  // The first site is picked once the sites are known; never every site unless the admin chose it.
  const site = form.site || sites?.[0]?.key || '';

  const siteName = (key: string | null) => (key === null ? 'Every site (admin key)' : sites?.find((s) => s.key === key)?.name || key);

  async function create(e: Event) {
    e.preventDefault();
    setFormErrors({});
    setStatus('');
    if (!site) {
      setFormErrors({ site: 'Choose a site, or every site.' });
      setTimeout(() => siteField.current?.focus());
      return;
    }
    try {
      const name = form.name.trim();
      const key = await api.createKey(site === EVERY_SITE ? { name, admin: true } : { name, site });
      setCreated(key);
      setForm({ name: '', site: form.site });
      await load();
    } catch (err) {
      // An unknown site (removed since the list was read) is the site picker's fault.
      const { code, detail, message } = err as ApiError;
      const found = code === 'TDM_UNKNOWN_SITE' ? { site: detail ?? message } : fieldErrors(err);
      setFormErrors(found);
      // Focus goes to the field at fault once it is marked, its problem read with it (aria-describedby).
      setTimeout(() => (found.name ? nameField : found.site ? siteField : null)?.current?.focus());
    }
  }

  function dismiss() {
    setCreated(null);
    // The panel that held focus is gone: back to the form, for another key.
    setTimeout(() => nameField.current?.focus());
  }

  async function revoke(key: ApiKeyInfo) {
    setRevoking(null);
    setError('');
    setStatus('');
    try {
      await api.revokeKey(key.id);
      setStatus(`The key “${key.name}” is revoked: it opens nothing from now on.`);
    } catch (err) {
      setError((err as Error).message);
    }
    await load();
    // Its Revoke button is gone with the dialog: focus goes to the list's title, before the message.
    title.current?.focus();
  }

  const problem = (key: string) =>
    formErrors[key] && (
      <p class="field-error" id={`key-${key}-error`} data-field-error={key}>
        {formErrors[key]}
      </p>
    );

  return (
    <>
      <section class="card wide keys" aria-labelledby="keys-title">
        <h2 id="keys-title" ref={title} tabIndex={-1}>
          API keys
        </h2>
        <p class="muted">Integrations call the REST API and the controller socket with these. A site’s key reaches that site only.</p>
        {keys && keys.length === 0 && <p class="muted">No key yet.</p>}
        {keys && keys.length > 0 && (
          <table>
            <Columns names={['Label', 'Site', 'Created', 'Status']} />
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-key-id={k.id} data-key-name={k.name} data-revoked={k.revokedAt ? 'true' : 'false'}>
                  <td>
                    <strong>{k.name}</strong>
                  </td>
                  <td>{siteName(k.site)}</td>
                  <td>{when(k.createdAt)}</td>
                  <td>{k.revokedAt ? <span class="pill ended">Revoked {when(k.revokedAt)}</span> : <span class="pill live">Active</span>}</td>
                  <td>
                    {!k.revokedAt && (
                      <button type="button" class="danger" data-revoke={k.id} onClick={() => setRevoking(k)}>
                        Revoke<span class="visually-hidden"> the key “{k.name}”</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Feedback saved={status} error={error} />
      </section>
      <section class="card new-key-card" aria-labelledby="new-key-card-title">
        <h2 id="new-key-card-title">Make a key</h2>
        {created ? (
          <NewKey created={created} onDone={dismiss} />
        ) : (
          <form class="new-key-form" onSubmit={(e) => void create(e)}>
            <label for="key-name">Label (who uses it, up to 100 characters)</label>
            <input
              id="key-name"
              ref={nameField}
              type="text"
              required
              autoComplete="off"
              placeholder="e.g. CRM integration"
              value={form.name}
              aria-invalid={formErrors.name ? 'true' : undefined}
              aria-describedby={formErrors.name ? 'key-name-error' : undefined}
              onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
            />
            {problem('name')}
            <label for="key-site">Site</label>
            <select
              id="key-site"
              ref={siteField}
              value={site}
              aria-invalid={formErrors.site ? 'true' : undefined}
              aria-describedby={formErrors.site ? 'key-site-error' : undefined}
              onChange={(e) => setForm({ ...form, site: e.currentTarget.value })}
            >
              {!site && (
                <option value="" disabled>
                  Choose a site
                </option>
              )}
              <SiteOptions sites={sites ?? []} />
              <option value={EVERY_SITE}>Every site (admin key: also manages keys)</option>
            </select>
            {problem('site')}
            <button class="primary" type="submit">
              Make key
            </button>
            {formErrors.form && (
              <p class="error" role="alert">
                {formErrors.form}
              </p>
            )}
          </form>
        )}
      </section>
      <ConfirmDialog
        open={revoking !== null}
        id="revoke-key"
        title={`Revoke the key “${revoking?.name ?? ''}”?`}
        action="Revoke key"
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && void revoke(revoking)}
      >
        Integrations that use it are refused (401) from now on, and the watch links it made stop working. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}
