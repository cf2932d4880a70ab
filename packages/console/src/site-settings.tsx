/**
 * Site settings, for admins: the default mode, presence, masking and blocking
 * selectors, and the agent desktops that may frame the agent page. Saved as
 * one PATCH; the server's problem details are shown next to the field at fault.
 * New masking rules reach the site's live sessions at once (the server pushes them).
 */
import type { ComponentChild } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { MODES, type Mode } from '@tandem/protocol';
import { api, type ApiError, type Site, type SiteSettings } from './api.js';
import { CountNote, useSelectorCounts } from './selector-counts.js';
import { Feedback } from './feedback.js';
import { SiteOptions } from './site-options.js';

const MODE_LABEL: Record<Mode, string> = {
  view: 'View: agents point and highlight',
  navigate: 'Navigate: also scroll and follow links',
  control: 'Control: also click and type',
};

/** Field errors by JSON pointer without the /body prefix: "masking/selectors/0", "agentDesktopOrigins". */
type FieldErrors = Record<string, string>;

type ListKey = 'masking/selectors' | 'masking/blockSelectors' | 'agentDesktopOrigins';

/** The schema's sentence for a pattern is a regular expression: an admin reads what an origin is instead. */
function problemText(field: string, problem: string): string {
  return field.startsWith('agentDesktopOrigins/') && problem.startsWith('must match pattern')
    ? 'is not an origin: a scheme, a host and maybe a port, like https://desk.example.com'
    : problem;
}

/** A selector the browser cannot parse would never match on the visitor's page: said before saving. */
function selectorProblem(selector: string): string | null {
  try {
    document.createDocumentFragment().querySelector(selector);
    return null;
  } catch {
    return 'is not a CSS selector';
  }
}

function ListEditor(props: {
  id: string;
  legend: string;
  hint: string;
  placeholder: string;
  items: string[];
  errors: FieldErrors;
  path: ListKey;
  onChange: (items: string[]) => void;
  /** Shown after an entry (how many elements a saved selector matches on a live page). */
  note?: (item: string) => ComponentChild;
}) {
  const { id, legend, hint, placeholder, items, errors, path, onChange, note } = props;
  const [adding, setAdding] = useState('');
  const add = () => {
    const value = adding.trim();
    if (!value) return;
    onChange([...items, value]);
    setAdding('');
  };
  const listError = errors[path];
  return (
    <fieldset class="list-editor" data-list={id}>
      <legend>{legend}</legend>
      <p class="muted" id={`${id}-hint`}>
        {hint}
      </p>
      {items.length === 0 && <p class="muted">None.</p>}
      <ul>
        {items.map((item, i) => {
          const problem = errors[`${path}/${i}`];
          return (
            <li key={i}>
              <input
                type="text"
                value={item}
                aria-label={`${legend}, entry ${i + 1}`}
                aria-invalid={problem ? 'true' : undefined}
                aria-describedby={[problem && `${id}-${i}-error`, note && `${id}-${i}-note`].filter(Boolean).join(' ') || undefined}
                onInput={(e) => onChange(items.map((x, j) => (j === i ? e.currentTarget.value : x)))}
              />
              <button
                type="button"
                aria-label={`Remove ${item || `entry ${i + 1}`} from ${legend}`}
                onClick={() => onChange(items.filter((_, j) => j !== i))}
              >
                Remove
              </button>
              {note && <span id={`${id}-${i}-note`}>{note(item)}</span>}
              {problem && (
                <p class="field-error" id={`${id}-${i}-error`} data-field-error={`${path}/${i}`}>
                  {item}: {problem}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <div class="add-row">
        <input
          id={`${id}-new`}
          type="text"
          placeholder={placeholder}
          value={adding}
          aria-label={`Add to ${legend}`}
          aria-describedby={`${id}-hint`}
          onInput={(e) => setAdding(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter adds the entry here rather than saving the whole form.
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" data-add={id} onClick={add}>
          Add
        </button>
      </div>
      {listError && (
        <p class="field-error" data-field-error={path}>
          {listError}
        </p>
      )}
    </fieldset>
  );
}

export function SiteSettingsScreen() {
  const [sites, setSites] = useState<Site[]>([]);
  const [site, setSite] = useState('');
  const [draft, setDraft] = useState<SiteSettings | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<{ kind: 'error' | 'saved'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  /** The settings as the server has them: counts are shown for saved selectors only. */
  const [saved, setSaved] = useState<SiteSettings | null>(null);
  const counts = useSelectorCounts(site);
  const countNote = (kind: 'selectors' | 'blockSelectors') => (item: string) =>
    saved?.masking[kind].includes(item) ? <CountNote pages={counts} kind={kind} selector={item} /> : null;

  useEffect(() => {
    api.sites().then(
      (r) => {
        setSites(r.sites);
        setSite((s) => s || (r.sites[0]?.key ?? ''));
      },
      (e: Error) => setMessage({ kind: 'error', text: e.message }),
    );
  }, []);

  useEffect(() => {
    if (!site) return;
    setDraft(null);
    setErrors({});
    setMessage(null);
    setSaved(null);
    api.settings(site).then(
      (settings) => {
        setDraft(settings);
        setSaved(settings);
      },
      (e: Error) => setMessage({ kind: 'error', text: e.message }),
    );
  }, [site]);

  const update = (change: Partial<SiteSettings>) => {
    setDraft((d) => (d ? { ...d, ...change } : d));
    setMessage(null);
  };
  const setList = (path: ListKey, items: string[]) => {
    if (!draft) return;
    if (path === 'agentDesktopOrigins') update({ agentDesktopOrigins: items });
    else if (path === 'masking/selectors') update({ masking: { ...draft.masking, selectors: items } });
    else update({ masking: { ...draft.masking, blockSelectors: items } });
  };

  async function save(e: Event) {
    e.preventDefault();
    if (!draft) return;
    const clean = (list: string[]) => list.map((s) => s.trim()).filter(Boolean);
    const next: SiteSettings = {
      ...draft,
      agentDesktopOrigins: clean(draft.agentDesktopOrigins),
      masking: { selectors: clean(draft.masking.selectors), blockSelectors: clean(draft.masking.blockSelectors) },
    };
    setDraft(next);
    const local: FieldErrors = {};
    (['selectors', 'blockSelectors'] as const).forEach((key) =>
      next.masking[key].forEach((sel, i) => {
        const problem = selectorProblem(sel);
        if (problem) local[`masking/${key}/${i}`] = problem;
      }),
    );
    setErrors(local);
    if (Object.keys(local).length > 0) {
      setMessage({ kind: 'error', text: 'Some selectors are not CSS selectors: nothing was saved.' });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const stored = await api.saveSettings(site, next);
      setDraft(stored);
      setSaved(stored);
      setMessage({ kind: 'saved', text: 'Saved. Live sessions on this site use these rules now.' });
    } catch (err) {
      const { errors: fields, detail, message: text } = err as ApiError;
      const byField: FieldErrors = {};
      for (const f of fields ?? []) {
        const field = f.field.replace(/^\/body\//, '');
        byField[field] = problemText(field, f.problem);
      }
      setErrors(byField);
      const marked = Object.keys(byField).length;
      setMessage({
        kind: 'error',
        text:
          marked > 0
            ? `Nothing was saved: ${marked === 1 ? 'one entry is' : `${marked} entries are`} refused (marked above).`
            : (detail ?? text),
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card wide settings" aria-labelledby="settings-title">
      <h2 id="settings-title">Site settings</h2>
      {sites.length > 1 && (
        <>
          <label for="settings-site">Site</label>
          <select id="settings-site" value={site} onChange={(e) => setSite(e.currentTarget.value)}>
            <SiteOptions sites={sites} />
          </select>
        </>
      )}
      {draft && (
        <form onSubmit={(e) => void save(e)} aria-label={`Settings of ${site}`} noValidate>
          <label for="settings-mode">Default mode</label>
          <select
            id="settings-mode"
            value={draft.defaultMode}
            aria-describedby="settings-mode-hint"
            onChange={(e) => update({ defaultMode: e.currentTarget.value as Mode })}
          >
            {MODES.map((m) => (
              <option key={m} value={m}>
                {MODE_LABEL[m]}
              </option>
            ))}
          </select>
          <p class="muted" id="settings-mode-hint">
            What agents may do when a session starts; the visitor can allow more when asked.
          </p>
          {errors.defaultMode && <p class="field-error">{errors.defaultMode}</p>}
          <label class="checkbox">
            <input
              type="checkbox"
              id="settings-presence"
              checked={draft.presence}
              onChange={(e) => update({ presence: e.currentTarget.checked })}
            />
            Presence: list the visitors on the site to agents (they can then be invited to share)
          </label>
          <ListEditor
            id="mask"
            legend="Masking selectors"
            hint="Elements whose text and values never leave the visitor’s page (shown as ***)."
            placeholder=".card-number, #ssn"
            items={draft.masking.selectors}
            errors={errors}
            path="masking/selectors"
            onChange={(items) => setList('masking/selectors', items)}
            note={countNote('selectors')}
          />
          <ListEditor
            id="block"
            legend="Blocking selectors"
            hint="Elements agents see only as an empty box of the same size."
            placeholder=".chat-widget"
            items={draft.masking.blockSelectors}
            errors={errors}
            path="masking/blockSelectors"
            onChange={(items) => setList('masking/blockSelectors', items)}
            note={countNote('blockSelectors')}
          />
          <ListEditor
            id="desktops"
            legend="Agent-desktop origins"
            hint="Origins (scheme, host, port) of agent desktops allowed to embed the agent page."
            placeholder="https://desk.example.com"
            items={draft.agentDesktopOrigins}
            errors={errors}
            path="agentDesktopOrigins"
            onChange={(items) => setList('agentDesktopOrigins', items)}
          />
          <button class="primary" type="submit" disabled={busy}>
            Save
          </button>
          {/* Always in the page, so a screen reader hears "Saved" when it appears. */}
          <Feedback saved={message?.kind === 'saved' && message.text} error={message?.kind === 'error' && message.text} />
        </form>
      )}
    </section>
  );
}
