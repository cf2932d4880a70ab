/**
 * Agents, for admins: who may sign in to the console, with which role; create
 * one, change a role, disable or enable (disabling signs them out at once, on
 * the server). The server decides: its refusals are shown as it words them.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, fieldErrors, type Agent, type Me } from './api.js';
import { Columns, Feedback } from './feedback.js';

const ROLE_LABEL: Record<Agent['role'], string> = { agent: 'Agent', admin: 'Admin' };

export function Agents({ me }: { me: Me }) {
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [error, setError] = useState('');
  const [form, setForm] = useState({ name: '', email: '', password: '', role: 'agent' as Agent['role'] });
  const [formErrors, setFormErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState('');

  const load = () =>
    api.agents().then(
      (r) => setAgents(r.agents),
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(), []);

  async function change(agent: Agent, patch: Parameters<typeof api.changeAgent>[1]) {
    setError('');
    try {
      const next = await api.changeAgent(agent.id, patch);
      setAgents((list) => list?.map((a) => (a.id === next.id ? next : a)) ?? null);
    } catch (err) {
      setError((err as Error).message);
      void load();
    }
  }

  async function create(e: Event) {
    e.preventDefault();
    setFormErrors({});
    setCreated('');
    try {
      const agent = await api.createAgent({ ...form, name: form.name.trim() || undefined });
      setAgents((list) => [...(list ?? []), agent]);
      setForm({ name: '', email: '', password: '', role: 'agent' });
      setCreated(`${agent.name || agent.email} can sign in now.`);
    } catch (err) {
      setFormErrors(fieldErrors(err));
    }
  }

  const field = (key: 'name' | 'email' | 'password', label: string, type: string, autoComplete: string) => (
    <div>
      <label for={`agent-${key}`}>{label}</label>
      <input
        id={`agent-${key}`}
        type={type}
        autoComplete={autoComplete}
        required={key !== 'name'}
        minLength={key === 'password' ? 8 : undefined}
        value={form[key]}
        aria-invalid={formErrors[key] ? 'true' : undefined}
        aria-describedby={formErrors[key] ? `agent-${key}-error` : undefined}
        onInput={(e) => setForm({ ...form, [key]: e.currentTarget.value })}
      />
      {formErrors[key] && (
        <p class="field-error" id={`agent-${key}-error`} data-field-error={key}>
          {formErrors[key]}
        </p>
      )}
    </div>
  );

  return (
    <>
      <section class="card wide agents" aria-labelledby="agents-title">
        <h2 id="agents-title">Agents</h2>
        {agents && (
          <table>
            <Columns names={['Name', 'Email', 'Role', 'Status']} />
            <tbody>
              {agents.map((a) => (
                <tr key={a.id} data-agent={a.email}>
                  <td>
                    <strong>{a.name || '—'}</strong>
                    {a.id === me.id && <span class="muted"> (you)</span>}
                  </td>
                  <td>{a.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${a.name || a.email}`}
                      value={a.role}
                      disabled={a.id === me.id}
                      onChange={(e) => void change(a, { role: e.currentTarget.value as Agent['role'] })}
                    >
                      {(['agent', 'admin'] as const).map((r) => (
                        <option key={r} value={r}>
                          {ROLE_LABEL[r]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{a.disabled ? <span class="pill ended">Disabled</span> : <span class="pill live">Active</span>}</td>
                  <td>
                    {/* An admin cannot lock themselves out from here. */}
                    {a.id !== me.id && (
                      <button type="button" data-toggle={a.email} onClick={() => void change(a, { disabled: !a.disabled })}>
                        {a.disabled ? 'Enable' : 'Disable'}
                        <span class="visually-hidden"> {a.name || a.email}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
      <form class="card new-agent" onSubmit={(e) => void create(e)} aria-labelledby="new-agent-title">
        <h2 id="new-agent-title">Add an agent</h2>
        {field('name', 'Name', 'text', 'off')}
        {field('email', 'Email', 'email', 'off')}
        {field('password', 'First password (8 characters or more)', 'password', 'new-password')}
        <label for="agent-role">Role</label>
        <select id="agent-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Agent['role'] })}>
          <option value="agent">Agent: joins sessions</option>
          <option value="admin">Admin: also manages agents and sites</option>
        </select>
        <button class="primary" type="submit">
          Add agent
        </button>
        <Feedback saved={created} error={formErrors.form} />
      </form>
    </>
  );
}
