/**
 * A session's audit trail under its row in the sessions list: what its agents
 * did, as metadata (never what was typed or shown), and whether the hash chain
 * holds. Every value is the server's, shown as text.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type AuditTrail } from './api.js';

const KIND: Record<string, string> = {
  requested: 'Visitor asked for help',
  started: 'Session started',
  agentJoined: 'Agent joined',
  agentLeft: 'Agent left',
  modeRequested: 'Mode asked for',
  controlHandedOver: 'Controls handed over',
  modeChanged: 'Mode changed',
  action: 'Agent action',
  actionResult: 'Action result',
  navigated: 'Page changed',
  ended: 'Session ended',
};

/** The detail's plain values, "key: value"; the agent by name. */
function summary(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(detail)) {
    if (key === 'agent' && value && typeof value === 'object' && 'name' in value) parts.push(`agent: ${String(value.name)}`);
    else if (['string', 'number', 'boolean'].includes(typeof value)) parts.push(`${key}: ${String(value)}`);
  }
  return parts.join(' · ');
}

export function Audit({ sessionId }: { sessionId: string }) {
  const [trail, setTrail] = useState<AuditTrail | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api.audit(sessionId).then(setTrail, (e: Error) => setError(e.message));
  }, [sessionId]);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!trail) return <p class="muted">Loading the audit trail…</p>;
  return (
    <div class="audit" data-audit-trail={sessionId}>
      <p class={trail.verified ? 'saved' : 'error'}>
        {trail.verified
          ? 'Chain verified: no entry was changed or removed.'
          : `Chain broken at entry ${trail.problem?.position}: ${trail.problem?.message}`}
      </p>
      <ol>
        {trail.entries.map((e) => (
          <li key={e.id} data-kind={e.kind}>
            <time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time> <strong>{KIND[e.kind] ?? e.kind}</strong>{' '}
            <span class="muted">{summary(e.detail)}</span>
          </li>
        ))}
      </ol>
      {trail.next !== null && <p class="muted">Only the first {trail.entries.length} entries are shown.</p>}
    </div>
  );
}
