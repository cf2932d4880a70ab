/**
 * The audit trail of a control-mode session, end to end: a visitor on the demo
 * in real Chromium, an agent in the real console. The agent asks for control,
 * the visitor allows it; the agent clicks the name field, types into it,
 * presses Enter (the form goes to a page whose address carries the name),
 * tries the masked card field, and sends the visitor to another page with a
 * query. The audit lists each of these, with the element's path, and holds
 * neither the typed text nor any query, in its answer or anywhere in the
 * database's files. Then rows are changed and deleted in the database itself,
 * and `tandem audit verify`, run as an operator would, names each.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { refusals } from '@tandem/protocol';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN, childEnv, startTestServer, type TestServer } from '../helpers/server.js';
import { closeAll, joinInConsole, shareDemo } from '../helpers/site.js';
import { agentCookie, api } from '../helpers/http.js';

const TYPED = 'secret-typed-text';
const QUERY = 'agent-query-value';
const BIN = 'packages/cli/bin/tandem.js';
const run = promisify(execFile);

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
});

afterAll(() => closeAll(browser, server));

function inView(agent: Page, selector: string) {
  return agent.waitForFunction(
    (sel) => !!document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.querySelector(sel),
    selector,
    { timeout: 10_000, polling: 20 },
  );
}

/** The agent clicks the centre of `selector` in the mirror, as a person would with the mouse. */
async function agentClick(agent: Page, selector: string): Promise<void> {
  await inView(agent, selector);
  const { x, y } = await agent.evaluate((sel) => {
    const frame = document.querySelector('iframe[data-tandem-view]') as HTMLIFrameElement;
    const el = frame.contentDocument!.querySelector(sel)!;
    el.scrollIntoView({ block: 'nearest' });
    const r = el.getBoundingClientRect();
    const stage = frame.parentElement!.getBoundingClientRect();
    const scale = stage.width / frame.offsetWidth;
    return { x: stage.left + (r.left + r.width / 2) * scale, y: stage.top + (r.top + r.height / 2) * scale };
  }, selector);
  await agent.mouse.click(x, y);
}

/** `tandem audit verify` against the server's data directory, as an operator runs it. */
async function verify(...args: string[]): Promise<{ code: number; out: string }> {
  const env = childEnv({ TANDEM_DATA_DIR: server.dataDir, TANDEM_LOG_LEVEL: 'warn' });
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'audit', 'verify', ...args], { env });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const withDb = <T>(fn: (db: Database.Database) => T): T => {
  const db = new Database(join(server.dataDir, 'tandem.sqlite'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
};

describe('the audit of a control-mode session', () => {
  let sessionId: string;
  let entries: any[];

  it('lists what the agent did and where, never the typed text or a query, in the answer or the database', async () => {
    const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const agentCtx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    try {
      const { page: visitor, code } = await shareDemo(visitorCtx, server.url);
      const agent = await joinInConsole(agentCtx, server.url, code);
      await inView(agent, '#booking-form');

      await agent.click('[data-ask=control]');
      await visitor.click('tandem-ui [data-action=allow-mode]');
      await agent.waitForSelector('.session-bar .mode[data-mode=control]');

      await agentClick(agent, '#name');
      await agent.keyboard.type(TYPED);
      await expect.poll(() => visitor.inputValue('#name')).toBe(TYPED);
      await agentClick(agent, '#card');
      await agent.waitForSelector(`[data-notice=refused]:has-text(${JSON.stringify(refusals.masked)})`);
      // Enter in the name field submits the form: the next page's address carries the name in its query.
      await agentClick(agent, '#name');
      await agent.keyboard.press('Enter');
      await visitor.waitForURL(/confirmation\.html\?name=secret-typed-text/);
      await agent.waitForFunction(() => document.querySelector('.session-bar .url')!.textContent.includes('confirmation.html'));
      await agent.fill('.session-bar .go input', `/demo/results.html?q=${QUERY}#${QUERY}`);
      await agent.press('.session-bar .go input', 'Enter');
      await visitor.waitForURL(/results\.html/);
      await agent.waitForFunction(() => document.querySelector('.session-bar .url')!.textContent.includes('results.html'));

      // The agent ends the session: `ended` is the last entry, written once everything before it was.
      await agent.click('.session-bar .danger');
      await agent.click('[data-confirm=end]');
      await visitor.waitForSelector('tandem-ui .panel:has-text("Sharing ended.")');
    } finally {
      await agentCtx.close();
      await visitorCtx.close();
    }
    const admin = await agentCookie(server.url, ADMIN.email, ADMIN.password);
    const sessions = (await api(server.url, '/api/v1/sessions', { auth: admin })).body.sessions;
    expect(sessions).toHaveLength(1);
    sessionId = sessions[0].id;
    await expect
      .poll(async () => (await api(server.url, `/api/v1/sessions/${sessionId}/audit?limit=500`, { auth: admin })).body.entries.at(-1)?.kind, {
        timeout: 10_000,
      })
      .toBe('ended');
    const res = await api(server.url, `/api/v1/sessions/${sessionId}/audit?limit=500`, { auth: admin });
    expect(res.status).toBe(200);
    expect(res.body.verified).toBe(true);
    entries = res.body.entries;
    const kinds = entries.map((e) => e.kind);
    const agentId = entries.find((e) => e.kind === 'agentJoined')!.actor;
    expect(entries.find((e) => e.kind === 'agentJoined')!.detail).toEqual({ agent: { id: agentId, name: ADMIN.name } });
    expect(entries.find((e) => e.kind === 'modeRequested')).toMatchObject({ actor: agentId, detail: { mode: 'control' } });
    expect(entries.find((e) => e.kind === 'modeChanged')).toMatchObject({ actor: 'visitor', detail: { mode: 'control' } });
    expect(kinds.indexOf('agentJoined')).toBeLessThan(kinds.indexOf('modeRequested'));
    expect(kinds.indexOf('modeRequested')).toBeLessThan(kinds.indexOf('modeChanged'));

    /** Each action with the result linked to it by the agent's action id. */
    const actions = entries
      .filter((e) => e.kind === 'action')
      .map((e) => ({ ...e.detail, result: entries.find((r) => r.kind === 'actionResult' && r.detail.id === e.detail.id)?.detail }));
    const clicks = actions.filter((a) => a.action === 'click');
    expect(clicks.map((a) => [a.result.ok, a.result.path])).toEqual([
      [true, 'input#name'],
      // The masked card field: refused, and its path says where without its id.
      [false, 'form#booking-form > fieldset:nth-of-type(2) > div.form-grid > div.field.full > input'],
      [true, 'input#name'],
    ]);
    expect(clicks[1].result.reason).toBe('masked');
    const typed = actions.filter((a) => a.action === 'type');
    expect(typed.length).toBeGreaterThan(0);
    for (const t of typed) {
      expect(Object.keys(t).sort()).toEqual(['action', 'agent', 'id', 'node', 'result']);
      expect(t.result).toMatchObject({ ok: true, path: 'input#name' });
    }
    const keys = actions.filter((a) => a.action === 'key');
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]).sort()).toEqual(['action', 'agent', 'id', 'node', 'result']);
    expect(keys[0].result).toMatchObject({ ok: true, path: 'input#name' });
    const navigate = actions.find((a) => a.action === 'navigate');
    expect(navigate).toMatchObject({ url: `${server.url}/demo/results.html`, result: { ok: true } });
    expect(entries.filter((e) => e.kind === 'navigated').map((e) => e.detail.url)).toEqual(
      expect.arrayContaining([`${server.url}/demo/confirmation.html`, `${server.url}/demo/results.html`]),
    );

    const answer = JSON.stringify(res.body);
    for (const secret of [TYPED, QUERY, 'name=', '?']) expect(answer).not.toContain(secret);
    // Nowhere at rest either: the database, its write-ahead log and its shared memory, byte for byte. Read by
    // another process: closing a file this process opened would drop the server's SQLite locks on it (POSIX).
    const found = await run(process.execPath, [
      '-e',
      `const fs = require('node:fs'), path = require('node:path'); const dir = process.argv[1];
       const files = fs.readdirSync(dir).filter((f) => f.startsWith('tandem.sqlite'));
       console.log(JSON.stringify(files.map((f) => [f, process.argv.slice(2).filter((s) => fs.readFileSync(path.join(dir, f)).includes(s))])));`,
      server.dataDir,
      TYPED,
      QUERY,
      ADMIN.email,
    ]);
    const scanned = JSON.parse(found.stdout) as [string, string[]][];
    expect(scanned.map(([f]) => f)).toContain('tandem.sqlite');
    // The scan does find what the database holds (the admin's email), and none of the rest.
    expect(scanned.flatMap(([, hits]) => hits)).toContain(ADMIN.email);
    expect(scanned.flatMap(([f, hits]) => hits.filter((h) => h !== ADMIN.email).map((h) => `${h} in ${f}`))).toEqual([]);
  }, 120_000);

  it('tandem audit verify passes, then fails naming the session and the entry changed, and the entry deleted', async () => {
    expect(sessionId).toBeTruthy();
    const good = await verify();
    expect(good.out).toMatch(/Verified \d+ audit chain\(s\)/);
    expect(good.code).toBe(0);

    // An entry's detail changed in place: the result of the first click now claims another element.
    const target = entries.find((e) => e.kind === 'actionResult' && e.detail.path === 'input#name')!;
    const before = withDb((db) => db.prepare('select detail from audit_entries where id = ?').get(target.id) as { detail: string });
    withDb((db) =>
      db.prepare('update audit_entries set detail = ? where id = ?').run(before.detail.replace('input#name', 'input#email'), target.id),
    );
    const changed = await verify('--session', sessionId);
    expect(changed.code).not.toBe(0);
    expect(changed.out).toContain(`session ${sessionId}`);
    expect(changed.out).toContain(`entry ${target.position} (seq ${target.seq}, actionResult, id ${target.id}) was changed`);
    // The whole database too, without --session.
    expect((await verify()).code).not.toBe(0);

    // Put back, it verifies again; then an entry deleted is named as missing.
    withDb((db) => db.prepare('update audit_entries set detail = ? where id = ?').run(before.detail, target.id));
    expect((await verify('--session', sessionId)).code).toBe(0);
    const gone = entries.find((e) => e.kind === 'modeChanged')!;
    withDb((db) => db.prepare('delete from audit_entries where id = ?').run(gone.id));
    const deleted = await verify();
    expect(deleted.code).not.toBe(0);
    expect(deleted.out).toContain(`session ${sessionId}`);
    expect(deleted.out).toContain(`entry ${gone.position} is missing (deleted)`);
  }, 120_000);
});
