/** Small REST helpers for the server tests: real fetch, JSON in and out. */
export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export interface Call {
  method?: string;
  body?: unknown;
  /** The agent cookie, or `Bearer <api key>`. */
  auth?: string;
  headers?: Record<string, string>;
}

export async function api(base: string, path: string, call: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.auth?.startsWith('Bearer ')) headers.authorization = call.auth;
  else if (call.auth) headers.cookie = [call.auth, headers.cookie].filter(Boolean).join('; ');
  const res = await fetch(`${base}${path}`, {
    method: call.method ?? (call.body === undefined ? 'GET' : 'POST'),
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Signs in; returns the answer and the cookies it set, by name (`name=value`). */
export async function login(base: string, email: string, password: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password }),
  });
  const cookies: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(';')[0]!;
    cookies[pair.slice(0, pair.indexOf('='))] = pair;
  }
  return { status: res.status, body: await res.json(), headers: res.headers, cookies };
}

/** The agent cookie of a successful sign-in (throws otherwise). */
export async function agentCookie(base: string, email: string, password: string): Promise<string> {
  const res = await login(base, email, password);
  if (res.status !== 200 || !res.cookies.tandem_agent) throw new Error(`login answered ${res.status}`);
  return res.cookies.tandem_agent;
}
