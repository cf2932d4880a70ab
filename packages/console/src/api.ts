/** The console's calls to the REST API; errors carry the server's sentence. Shapes come from the protocol. */
import type {
  AgentTicket,
  ErrorBody,
  InviteState,
  Me,
  PresentVisitor,
  SelectorCountsList,
  SelectorCountsPage,
  Session,
  Site,
  SiteSettings,
  SiteSettingsPatch,
} from '@tandem/protocol';
import type { ApiKeyInfo, CreateApiKeyBody, CreatedApiKey } from '@tandem/protocol';
import type { AuditTrail, CreateWebhookBody, Webhook, WebhookCreated, WebhookDelivery, WebhookEventType, WebhookPatch } from '@tandem/protocol';

export type { ApiKeyInfo, CreatedApiKey };
export type { AuditTrail, Webhook, WebhookCreated, WebhookDelivery, WebhookEventType };
export type { Me, PresentVisitor, InviteState, SelectorCountsPage, Session, Site, SiteSettings, SiteSettingsPatch };
export type Joined = AgentTicket;
/** An agent as GET /api/v1/agents lists them (declared in the server's agents route). */
export interface Agent {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  disabled: boolean;
  createdAt: string;
}
export type NewAgent = { email: string; password: string; name?: string; role?: Agent['role'] };
export type AgentChange = Partial<Pick<Agent, 'name' | 'role' | 'disabled'>>;

/** What a failed call throws: the server's sentence, and (when the request did not fit) the field at fault. */
export interface ApiError extends Error {
  status: number;
  /** The server's code (TDM_…), for a refusal a screen words or places itself. */
  code?: string;
  endReason?: string;
  detail?: string;
  errors?: { field: string; problem: string }[];
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const data = (await res.json()) as T & Partial<ErrorBody>;
  // The status marks the server's own answer (the viewer retries network failures, not these).
  if (!res.ok)
    throw Object.assign(new Error(data.message ?? `The server answered ${res.status}.`), {
      status: res.status,
      code: data.code,
      endReason: data.endReason,
      detail: data.detail,
      errors: Array.isArray(data.errors) ? data.errors : undefined,
    }) as ApiError;
  return data;
}

/**
 * A refusal's problems by field, the JSON pointer without its /body/ prefix ("name", "masking/selectors/0");
 * one the server did not pin on a field is under `form`, in the server's words.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  const { errors, detail, message } = err as ApiError;
  const byField: Record<string, string> = {};
  for (const f of errors ?? []) byField[f.field.replace(/^\/body\//, '')] = f.problem;
  if (Object.keys(byField).length === 0) byField.form = detail ?? message;
  return byField;
}

const enc = encodeURIComponent;

export const api = {
  me: () => call<Me>('GET', '/api/v1/auth/me'),
  login: (email: string, password: string) => call<Me>('POST', '/api/v1/auth/login', { email, password }),
  logout: () => call<void>('POST', '/api/v1/auth/logout'),
  join: (code: string) => call<Joined>('POST', '/api/v1/sessions/join', { code }),
  sites: () => call<{ sites: Site[] }>('GET', '/api/v1/sites'),
  visitors: (site: string, q: string) => call<{ visitors: PresentVisitor[] }>('GET', `/api/v1/sites/${enc(site)}/visitors?q=${enc(q)}`),
  invite: (site: string, shortId: string) => call<InviteState>('POST', `/api/v1/sites/${enc(site)}/invites`, { shortId }),
  inviteState: (id: string) => call<InviteState>('GET', `/api/v1/invites/${enc(id)}`),
  ticket: (sessionId: string) => call<Joined>('POST', `/api/v1/sessions/${enc(sessionId)}/ticket`),
  sessions: (active?: boolean) =>
    call<{ sessions: Session[] }>('GET', `/api/v1/sessions?limit=200${active === undefined ? '' : `&active=${active}`}`),
  agents: () => call<{ agents: Agent[] }>('GET', '/api/v1/agents'),
  createAgent: (agent: NewAgent) => call<Agent>('POST', '/api/v1/agents', agent),
  changeAgent: (id: string, change: AgentChange) => call<Agent>('PATCH', `/api/v1/agents/${enc(id)}`, change),
  webhooks: (site: string) => call<{ webhooks: Webhook[] }>('GET', `/api/v1/sites/${enc(site)}/webhooks`),
  createWebhook: (site: string, body: CreateWebhookBody) => call<WebhookCreated>('POST', `/api/v1/sites/${enc(site)}/webhooks`, body),
  changeWebhook: (id: string, patch: WebhookPatch) => call<Webhook>('PATCH', `/api/v1/webhooks/${enc(id)}`, patch),
  deleteWebhook: (id: string) => call<void>('DELETE', `/api/v1/webhooks/${enc(id)}`),
  testWebhook: (id: string) => call<{ delivery: WebhookDelivery }>('POST', `/api/v1/webhooks/${enc(id)}/test`),
  deliveries: (id: string) => call<{ deliveries: WebhookDelivery[] }>('GET', `/api/v1/webhooks/${enc(id)}/deliveries?limit=10`),
  keys: () => call<{ keys: ApiKeyInfo[] }>('GET', '/api/v1/keys'),
  createKey: (body: CreateApiKeyBody) => call<CreatedApiKey>('POST', '/api/v1/keys', body),
  revokeKey: (id: string) => call<void>('DELETE', `/api/v1/keys/${enc(id)}`),
  audit: (sessionId: string) => call<AuditTrail>('GET', `/api/v1/sessions/${enc(sessionId)}/audit?limit=200`),
  settings: (site: string) => call<SiteSettings>('GET', `/api/v1/sites/${enc(site)}/settings`),
  saveSettings: (site: string, patch: SiteSettingsPatch) => call<SiteSettings>('PATCH', `/api/v1/sites/${enc(site)}/settings`, patch),
  selectorCounts: (site: string) => call<SelectorCountsList>('GET', `/api/v1/sites/${enc(site)}/selector-counts`),
};
