/**
 * `/api/docs`: the OpenAPI document as a page a person reads — every route with who
 * may call it, its parameters, body and answers, and every error code (a problem's
 * `type` points at its entry here). Rendered on the server from the same document as
 * /api/v1/openapi.json, with no script at all: the page shares its origin with the
 * console and the agent's cookie, so it runs nothing, and its policy allows nothing
 * but its own style. A viewer with "try it out" can be pointed at /api/v1/openapi.json.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, errors, problem, PROBLEM_MEDIA_TYPE } from '@tandem/protocol';

/** The parts of an OpenAPI 3.0 schema this page shows. */
interface Schema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
  nullable?: boolean;
  [keyword: string]: unknown;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}
interface Document {
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, Schema> };
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fff}
header,main,nav{max-width:980px;margin:0 auto;padding:0 20px}
header{padding-top:24px}h1{margin:0 0 4px}h2{border-bottom:1px solid #d7dbe3;padding-bottom:4px;margin-top:40px}
code{font:13px ui-monospace,monospace;background:#f2f4f8;padding:1px 4px;border-radius:3px}
pre{background:#f2f4f8;padding:8px 12px;overflow-x:auto}pre code{padding:0}
table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border:1px solid #e1e4ea;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f7f8fa;font-weight:600}.op{border:1px solid #d7dbe3;border-radius:6px;padding:4px 16px 12px;margin:18px 0}
.method{display:inline-block;min-width:56px;text-align:center;color:#fff;border-radius:4px;padding:0 6px;font-size:13px;margin-right:6px}
.get{background:#2f6fce}.post{background:#2b8a3e}.patch{background:#b7791f}.put{background:#b7791f}.delete{background:#c92a2a}
.muted{color:#5c6370}.req{color:#c92a2a}nav ul{columns:2}dl dt{font-weight:600;margin-top:8px}dd{margin-left:16px}
`;
const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export async function apiDocsRoutes(app: FastifyInstance): Promise<void> {
  let page: string | null = null;
  app.get('/api/docs', { schema: { hide: true } }, async (_req, reply) => {
    // The document is fixed once the server is ready: rendered once.
    page ??= renderDocs(app.swagger() as unknown as Document);
    return reply.type('text/html; charset=utf-8').header('Content-Security-Policy', CSP).header('Referrer-Policy', 'no-referrer').send(page);
  });
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const anchor = (method: string, path: string) => `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);

const SCHEME_TEXT: Record<string, string> = {
  apiKey:
    'API key: <code>Authorization: Bearer tdm_…</code>, from <code>npx tandem key create --site KEY</code> (one site) or <code>--admin</code> (every site)',
  agentCookie: 'agent cookie: <code>tandem_agent</code>, set by <code>POST /api/v1/auth/login</code> (the console’s sign-in)',
};

export function renderDocs(doc: Document): string {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op, tag: op.tags?.[0] ?? 'other' })),
  );
  const tags = [...new Set(ops.map((o) => o.tag))];
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`);
  out.push(`<title>${esc(doc.info.title)}</title><style>${STYLE}</style></head><body>`);
  out.push(`<header><h1>${esc(doc.info.title)}</h1><p class="muted">Version ${esc(doc.info.version)}. Machine-readable: `);
  out.push(
    `<a href="/api/v1/openapi.json">OpenAPI document</a>, and the WebSocket channels' <a href="/api/v1/asyncapi.json">AsyncAPI document</a>.</p></header>`,
  );
  out.push('<nav><h2>Contents</h2><ul><li><a href="#authentication">Authentication</a></li><li><a href="#errors">Errors</a></li>');
  for (const o of ops) out.push(`<li><a href="#${anchor(o.method, o.path)}">${esc(o.method.toUpperCase())} ${esc(o.path)}</a></li>`);
  out.push('</ul></nav><main>');
  out.push(authSection(doc));
  out.push(errorSection());
  for (const tag of tags) {
    out.push(`<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>`);
    for (const o of ops.filter((x) => x.tag === tag)) out.push(operationHtml(o.method, o.path, o.op));
  }
  out.push('<h2 id="schemas">Shared schemas</h2>');
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
    out.push(`<h3 id="schema-${esc(name)}">${esc(name)}</h3>${schemaHtml(schema)}`);
  out.push('</main></body></html>');
  return out.join('\n');
}

function authSection(doc: Document): string {
  const schemes = Object.keys(doc.components?.securitySchemes ?? {});
  return `<h2 id="authentication">Authentication</h2>
<p>Each route says which credentials it accepts; where it lists several, any one will do. A site’s API key reaches only that site:
another site’s sessions, invites and settings answer 404, as if they did not exist.</p>
<ul>${schemes.map((s) => `<li><strong>${esc(s)}</strong> — ${SCHEME_TEXT[s] ?? esc(doc.components!.securitySchemes![s]!.description ?? '')}</li>`).join('')}</ul>
<p>Example: <code>curl -H 'Authorization: Bearer tdm_…' https://tandem.example/api/v1/sessions?limit=10</code></p>`;
}

/** What a join with too long a code answers (made by the function that makes every problem). */
const EXAMPLE = problem('TDM_BAD_MESSAGE', '/body/code must NOT have more than 20 characters.', {
  instance: '/api/v1/sessions/join',
  errors: [{ field: '/body/code', problem: 'must NOT have more than 20 characters' }],
});

function errorSection(): string {
  const rows = ERROR_CODES.map(
    (code) => `<tr id="${code}"><td><code>${code}</code></td><td>${errors[code].status}</td><td>${esc(errors[code].message)}</td></tr>`,
  );
  return `<h2 id="errors">Errors</h2>
<p>Every error is <code>${PROBLEM_MEDIA_TYPE}</code> (RFC 9457): <code>type</code> (this page’s entry for the code, as
<code>/api/docs#CODE</code>), <code>title</code>, <code>status</code>, <code>detail</code>, <code>instance</code> (the path asked
for), and the stable <code>code</code> to branch on with <code>message</code>, its sentence. A request that does not fit the
schema answers 400 with <code>errors</code>: each field at fault as a JSON pointer into the request and what is wrong with it.</p>
<pre><code>${esc(JSON.stringify(EXAMPLE, null, 1))}</code></pre>
<table><tr><th>code</th><th>status</th><th>meaning</th></tr>${rows.join('')}</table>`;
}

function operationHtml(method: string, path: string, op: Operation): string {
  const out = [`<article class="op" id="${anchor(method, path)}">`];
  out.push(`<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span><code>${esc(path)}</code></h3>`);
  if (op.summary) out.push(`<p>${esc(op.summary)}</p>`);
  if (op.description) out.push(`<p>${esc(op.description)}</p>`);
  out.push(`<p><strong>Authentication:</strong> ${securityText(op.security)}</p>`);
  if (op.parameters?.length) {
    out.push('<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>value</th></tr>');
    for (const p of op.parameters)
      out.push(
        `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${esc(p.in)}</td><td>${p.schema ? schemaHtml(p.schema) : ''}${p.description ? ` ${esc(p.description)}` : ''}</td></tr>`,
      );
    out.push('</table>');
  }
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
    out.push(`<h4>Request body <span class="muted">${esc(type)}</span></h4>${media.schema ? schemaHtml(media.schema) : ''}`);
  out.push('<h4>Responses</h4><dl>');
  for (const [status, res] of Object.entries(op.responses ?? {})) {
    const content = Object.entries(res.content ?? {});
    // A problem's schema narrows the Problem to the codes of that status (routes/openapi.ts).
    const problemCodes = content.flatMap(([, m]) => (m.schema?.allOf?.[1]?.properties?.code?.enum ?? []).map(String));
    if (problemCodes.length) {
      out.push(
        `<dt>${esc(status)} <span class="muted">${esc(PROBLEM_MEDIA_TYPE)}</span></dt><dd><a href="#schema-Problem">Problem</a> with code `,
      );
      out.push(problemCodes.map((c) => `<a href="#${esc(c)}"><code>${esc(c)}</code></a>`).join(', ') + '</dd>');
      continue;
    }
    const types = content.map(([t]) => t).join(', ');
    out.push(`<dt>${esc(status)} <span class="muted">${esc(types || 'no body')}</span></dt><dd>`);
    if (res.description && res.description !== 'Default Response') out.push(`<p>${esc(res.description)}</p>`);
    for (const [, media] of content) if (media.schema) out.push(schemaHtml(media.schema));
    out.push('</dd>');
  }
  out.push('</dl></article>');
  return out.join('');
}

function securityText(security: Operation['security']): string {
  if (!security || security.length === 0) return 'none';
  return security
    .map((alt) =>
      Object.keys(alt).length === 0
        ? 'no credential'
        : Object.keys(alt)
            .map((k) => `<a href="#authentication">${esc(k)}</a>`)
            .join(' and '),
    )
    .join(' or ');
}

/** A schema as a person reads it: the type in a line, an object's fields in a table. */
function schemaHtml(schema: Schema): string {
  if (schema.type === 'object' || schema.properties) {
    const required = new Set<string>(schema.required ?? []);
    const rows = Object.entries(schema.properties ?? {}).map(
      ([name, prop]) =>
        `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td>${schemaHtml(prop)}</td></tr>`,
    );
    const extra = schema.additionalProperties === false ? '<span class="muted">No other field is accepted.</span>' : '';
    return `${schema.description ? `<p class="muted">${esc(schema.description)}</p>` : ''}<table>${rows.join('')}</table>${extra}`;
  }
  return `${typeLine(schema)}${schema.description ? ` <span class="muted">— ${esc(schema.description)}</span>` : ''}`;
}

function typeLine(schema: Schema): string {
  if (schema.$ref) return `<a href="#schema-${esc(refName(schema.$ref))}">${esc(refName(schema.$ref))}</a>`;
  if (schema.allOf) return schema.allOf.map(schemaHtml).join(' and ');
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return `one of: ${alternatives.map(schemaHtml).join(' | ')}`;
  const facts: string[] = [];
  if (schema.enum) facts.push(`one of ${schema.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(', ')}`);
  else if (schema.type === 'array') facts.push(`array of ${schema.items ? schemaHtml(schema.items) : 'anything'}`);
  else facts.push(`<code>${esc(([] as string[]).concat(schema.type ?? 'any').join(' | '))}</code>`);
  const limits: [string, string][] = [
    ['minLength', 'at least % characters'],
    ['maxLength', 'at most % characters'],
    ['minimum', 'at least %'],
    ['maximum', 'at most %'],
    ['minItems', 'at least % items'],
    ['maxItems', 'at most % items'],
    ['pattern', 'matching <code>%</code>'],
    ['format', 'format %'],
    ['default', 'default <code>%</code>'],
  ];
  for (const [key, text] of limits) {
    const value = schema[key];
    if (value === undefined) continue;
    facts.push(
      key === 'minLength' && value === 1 ? 'not empty' : text.replace('%', () => esc(key === 'default' ? JSON.stringify(value) : value)),
    );
  }
  if (schema.nullable) facts.push('or null');
  return facts.join(', ');
}
