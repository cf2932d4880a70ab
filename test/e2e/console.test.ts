/**
 * The console's screens in a real Chromium against a real server: navigation
 * by keyboard, the sessions list (a reloaded console rejoins its live session),
 * site settings (a masking selector saved there masks the element in the live
 * session within 2 s; the server's problem details shown by the field), API keys
 * (shown once, working, revoked), the agent filter, and axe-core on every screen. Screenshots go to TANDEM_SCREENSHOTS (or /tmp/shots-console).
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';
import { joinAsAgent, signIn, startVisitorSession } from '../helpers/clients.js';

const SHOTS = process.env.TANDEM_SCREENSHOTS ?? '/tmp/shots-console';
const AXE = resolve('node_modules/axe-core/axe.min.js');
const HEADING = 'Complete your booking';

let server: TestServer;
let browser: Browser;
let visitorCtx: BrowserContext;
let agentCtx: BrowserContext;
let adminCtx: BrowserContext;
let visitor: Page;
let agent: Page;
let sessionId: string;
/** A webhook receiver on this machine: what it was sent. */
let receiver: Server;
const received: { type: string; signed: boolean }[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({
        type: (JSON.parse(body) as { type: string }).type,
        signed: Object.keys(req.headers).some((h) => h.includes('signature')),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  // The receiver is local and plain http: allowed here only, as in the webhooks' own tests.
  server = await startTestServer({ TANDEM_WEBHOOK_ALLOW_PRIVATE: '1', TANDEM_WEBHOOK_HTTP_HOSTS: '127.0.0.1' });
  browser = await launchBrowser();
  visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  // The console's CSP refuses inline scripts, axe-core's tag included: the test's own script is let through.
  agentCtx = await browser.newContext({ viewport: { width: 1300, height: 900 }, bypassCSP: true });
  adminCtx = await browser.newContext({ viewport: { width: 1300, height: 1000 }, bypassCSP: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

/** Screenshot of what the person sees, then axe-core: no serious or critical violation. */
async function check(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document);
    // An axe that checked nothing would pass anything.
    if (result.passes.length === 0) throw new Error('axe-core ran no rule');
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[]).map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${name}: ${JSON.stringify(bad)}`).toEqual([]);
}

/** Opens the console, signing in unless the context already is. */
async function signInConsole(page: Page): Promise<void> {
  await page.goto(`${server.url}/console/`);
  await page.waitForSelector('#email, #code');
  if (await page.locator('#code').count()) return;
  await page.fill('#email', ADMIN.email);
  await page.fill('#password', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#code');
}

/** The text of `selector` in the rebuilt page inside the agent's viewer, or null while it is not there. */
function mirrorText(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((sel) => {
    const doc = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument;
    return doc?.querySelector(sel)?.textContent ?? null;
  }, selector);
}

describe('the console’s screens', () => {
  it('sign-in, sessions, visitors and site settings: reached by keyboard, labelled, no serious axe violation', async () => {
    const page = await adminCtx.newPage();
    await page.goto(`${server.url}/console/`);
    await page.waitForSelector('#email');
    await check(page, '01-sign-in');
    await page.fill('#email', ADMIN.email);
    await page.fill('#password', ADMIN.password);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#code');
    await page.waitForSelector('.sessions');
    expect(await page.getAttribute('a[data-screen=sessions]', 'aria-current')).toBe('page');
    await check(page, '02-sessions-and-code');

    // Tab from the brand to the nav, and Enter follows the link.
    await page.focus('a[data-screen=sessions]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-screen'))).toBe('visitors');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.visitors input[aria-label="Search visitors"]');
    expect(await page.getAttribute('a[data-screen=visitors]', 'aria-current')).toBe('page');
    await check(page, '03-visitors');

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-screen'))).toBe('settings');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#settings-mode');
    await check(page, '04-site-settings');

    // The screen is in the address: a reload stays on it.
    await page.reload();
    await page.waitForSelector('#settings-mode');
    await page.close();
  });

  it('an agent who reloads the console is back in its live session from the sessions list', async () => {
    const shared = await shareDemo(visitorCtx, server.url);
    visitor = shared.page;
    agent = await joinInConsole(agentCtx, server.url, shared.code);
    sessionId = (await agent.getAttribute('[data-session-id]', 'data-session-id'))!;
    expect(sessionId).toBeTruthy();
    await expect.poll(() => mirrorText(agent, 'h1')).toContain(HEADING);
    await check(agent, '05-session-live');

    await agent.reload();
    const row = agent.locator(`tr[data-session="${sessionId}"][data-live=true]`);
    await row.waitFor({ timeout: 10_000 });
    await check(agent, '06-sessions-after-reload');
    // Filters: live shows it, ended does not, another site does not.
    await agent.selectOption('#sessions-state', 'ended');
    await agent.locator(`tr[data-session="${sessionId}"]`).waitFor({ state: 'detached' });
    await agent.selectOption('#sessions-state', 'live');
    await row.waitFor();
    await agent.fill('#sessions-from', '2999-01-01');
    await agent.locator(`tr[data-session="${sessionId}"]`).waitFor({ state: 'detached' });
    await agent.fill('#sessions-from', '');
    await row.waitFor();

    await agent.click(`[data-rejoin="${sessionId}"]`);
    await agent.waitForSelector(`[data-session-id="${sessionId}"] [data-session-state=live]`, { timeout: 15_000 });
    await expect.poll(() => mirrorText(agent, 'h1')).toContain(HEADING);
    // Typing on the visitor's page travels to the rejoined viewer.
    await visitor.fill('#name', 'Back Again');
    await expect
      .poll(() =>
        agent.evaluate(
          () =>
            document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.querySelector<HTMLInputElement>('#name')
              ?.value,
        ),
      )
      .toBe('Back Again');
  });

  it('an admin adds a masking selector in site settings and the live session masks that element within 2 s', async () => {
    const admin = await adminCtx.newPage();
    await signInConsole(admin);
    await admin.click('a[data-screen=settings]');
    await admin.waitForSelector('#mask-new');
    await admin.fill('#mask-new', 'h1');
    await admin.keyboard.press('Enter');
    await admin.waitForSelector('[data-list=mask] li input');
    expect(await admin.inputValue('[data-list=mask] li input')).toBe('h1');
    expect(await mirrorText(agent, 'h1')).toContain(HEADING);

    await admin.click('.settings button[type=submit]');
    const saved = Date.now();
    await agent.waitForFunction(
      (heading) => {
        const text = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.querySelector('h1')?.textContent;
        // Masked text keeps its shape, each character a star: "******** **** *******".
        return typeof text === 'string' && text.trim().length > 0 && !text.includes(heading) && /^[*\s]+$/.test(text);
      },
      HEADING,
      { timeout: 2000, polling: 20 },
    );
    const elapsed = Date.now() - saved;
    expect(elapsed).toBeLessThan(2000);
    await admin.waitForSelector('[role=status] .saved');
    await check(admin, '07-site-settings-saved');
    await agent.screenshot({ path: join(SHOTS, '08-session-masked.png') });
    // Only the agent's copy is masked: the visitor still reads the heading.
    expect(await visitor.textContent('h1')).toContain(HEADING);
    // What the server keeps is what the screen shows after a reload.
    await admin.reload();
    await admin.waitForSelector('[data-list=mask] li input');
    expect(await admin.inputValue('[data-list=mask] li input')).toBe('h1');

    // Removing it unmasks the element again.
    await admin.click('[data-list=mask] li button');
    await admin.click('.settings button[type=submit]');
    await expect.poll(() => mirrorText(agent, 'h1'), { timeout: 5000 }).toContain(HEADING);
    await admin.close();
  });

  it('a bad entry is refused and the reason is shown next to the field', async () => {
    const admin = await adminCtx.newPage();
    await signInConsole(admin);
    await admin.click('a[data-screen=settings]');
    // A selector the browser cannot parse is caught before saving.
    await admin.fill('#block-new', 'div[');
    await admin.click('[data-add=block]');
    await admin.click('.settings button[type=submit]');
    await admin.waitForSelector('[data-field-error="masking/blockSelectors/0"]:has-text("is not a CSS selector")');
    expect(await admin.getAttribute('[data-list=block] li input', 'aria-invalid')).toBe('true');
    await admin.click('[data-list=block] li button');

    // The server refuses an origin that is not one: its problem details land by the field.
    await admin.fill('#desktops-new', 'ftp://desk.example');
    await admin.click('[data-add=desktops]');
    await admin.click('.settings button[type=submit]');
    const fieldError = admin.locator('[data-field-error="agentDesktopOrigins/0"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('ftp://desk.example: is not an origin');
    await admin.waitForSelector('.settings .error[role=alert]');
    await check(admin, '09-site-settings-error');
    const settings = await (await fetch(`${server.url}/api/v1/sites/demo/settings`, { headers: { cookie: await signIn(server.url) } })).json();
    expect(settings.agentDesktopOrigins).toEqual([]);
    await admin.close();
  });

  it('an admin adds an agent, who can sign in; disabling them refuses their sign-in; a duplicate email is refused in words', async () => {
    const admin = await adminCtx.newPage();
    await signInConsole(admin);
    await admin.click('a[data-screen=agents]');
    await admin.waitForSelector('tr[data-agent="agent@example.test"]');
    await admin.fill('#agent-name', 'Casey Support');
    await admin.fill('#agent-email', 'casey@example.test');
    await admin.fill('#agent-password', 'casey-first-pw');
    await admin.selectOption('#agent-role', 'agent');
    await admin.click('.new-agent button[type=submit]');
    await admin.waitForSelector('tr[data-agent="casey@example.test"]:has-text("Active")');
    await admin.waitForSelector('[role=status] .saved:has-text("Casey Support can sign in now.")');
    await check(admin, '10-agents');
    const login = () =>
      fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'casey@example.test', password: 'casey-first-pw' }),
      }).then((r) => r.status);
    expect(await login()).toBe(200);

    await admin.click('[data-toggle="casey@example.test"]');
    await admin.waitForSelector('tr[data-agent="casey@example.test"]:has-text("Disabled")');
    expect(await login()).not.toBe(200);
    await admin.click('[data-toggle="casey@example.test"]');
    await admin.waitForSelector('tr[data-agent="casey@example.test"]:has-text("Active")');
    expect(await login()).toBe(200);

    await admin.fill('#agent-email', 'casey@example.test');
    await admin.fill('#agent-password', 'another-pw-123');
    await admin.click('.new-agent button[type=submit]');
    await admin.waitForSelector('.new-agent .error[role=alert]:has-text("An agent with this email exists.")');
    await check(admin, '11-agents-error');
    await admin.close();
  });

  it('the sessions list opens a session’s audit trail: who joined, what they did, the chain verified', async () => {
    const admin = await adminCtx.newPage();
    await signInConsole(admin);
    await admin.click(`[data-audit="${sessionId}"]`);
    const trail = admin.locator(`[data-audit-trail="${sessionId}"]`);
    await trail.waitFor();
    await trail.locator('li[data-kind=agentJoined]').first().waitFor();
    expect(await trail.textContent()).toContain('Chain verified');
    expect(await trail.textContent()).toContain(`agent: ${ADMIN.name}`);
    expect(await admin.getAttribute(`[data-audit="${sessionId}"]`, 'aria-expanded')).toBe('true');
    await check(admin, '14-sessions-audit');
    await admin.close();
  });

  it('an admin adds a webhook endpoint, sees its secret once, sends a test and reads the delivery', async () => {
    const admin = await adminCtx.newPage();
    await signInConsole(admin);
    await admin.click('a[data-screen=webhooks]');
    await admin.waitForSelector('#hook-url');
    // Refused by the server (not https, not an allowed host): its sentence is shown.
    await admin.fill('#hook-url', 'http://example.com/hook');
    await admin.click('.new-hook button[type=submit]');
    await admin.waitForSelector('.new-hook .error[role=alert]:has-text("https")');

    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tandem`;
    await admin.fill('#hook-url', url);
    await admin.uncheck('.events label:has-text("agent.left") input');
    await admin.click('.new-hook button[type=submit]');
    const secret = await admin.locator('[data-secret] code').textContent();
    expect(secret).toMatch(/^whsec_/);
    const row = admin.locator(`li[data-webhook="${url}"]`);
    await row.waitFor();
    expect(await row.textContent()).not.toContain('agent.left');

    await row.locator('[data-test-hook]').click();
    await row.locator('tr[data-delivery="webhook.test"][data-status=delivered]').waitFor({ timeout: 15_000 });
    expect(received).toContainEqual({ type: 'webhook.test', signed: true });
    await check(admin, '13-webhooks');
    // The secret is in the answer that created the endpoint only: a reload does not show it.
    await admin.reload();
    await admin.locator(`li[data-webhook="${url}"]`).waitFor();
    expect(await admin.locator('[data-secret]').count()).toBe(0);
    expect(await admin.content()).not.toContain(secret!);
    await admin.close();
  });

  it('an admin makes an API key in the console: shown once, it works; gone from the page once dismissed; revoked, it answers 401', async () => {
    const admin = await adminCtx.newPage();
    await adminCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await signInConsole(admin);
    await admin.click('a[data-screen=keys]');
    // The screen changes on the hash change, a task after the click: on a loaded machine it had not come yet.
    await admin.waitForSelector('a[data-screen=keys][aria-current=page]');
    await admin.waitForSelector('#key-name');
    await admin.waitForSelector('#key-site option[value=demo]', { state: 'attached' });

    // The server's refusal lands by the field it names.
    await admin.fill('#key-name', 'x'.repeat(101));
    await admin.press('#key-name', 'Enter');
    const nameError = admin.locator('[data-field-error=name]');
    await nameError.waitFor();
    expect(await nameError.textContent()).toContain('100 characters');
    expect(await admin.getAttribute('#key-name', 'aria-invalid')).toBe('true');
    await check(admin, '15-keys-name-error');

    await admin.fill('#key-name', 'CRM integration');
    await admin.selectOption('#key-site', 'demo');
    await admin.press('#key-name', 'Enter');
    const shown = admin.locator('#new-key-value');
    await shown.waitFor();
    const secret = await shown.inputValue();
    expect(secret).toMatch(/^tdm_/);
    // Focus moves to the key, selected (once the panel is drawn), and the note says it will not come back.
    await expect.poll(() => admin.evaluate(() => document.activeElement?.id)).toBe('new-key-value');
    expect(await admin.textContent('[data-new-key]')).toContain('You will not see this key again.');
    const row = admin.locator('tr[data-key-name="CRM integration"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('Active');
    await admin.click('[data-copy-key]');
    await admin.waitForSelector('[data-new-key] .saved:has-text("Copied")');
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await check(admin, '16-keys-secret-shown');

    const withKey = (key: string) => fetch(`${server.url}/api/v1/sessions?limit=5`, { headers: { authorization: `Bearer ${key}` } });
    expect((await withKey(secret)).status).toBe(200);

    // Dismissed, the key is nowhere in the page: no text, no attribute, no field's value.
    const inPage = (text: string) =>
      admin.evaluate(
        (t) => document.documentElement.outerHTML.includes(t) || [...document.querySelectorAll('input')].some((i) => i.value.includes(t)),
        text,
      );
    expect(await inPage(secret)).toBe(true);
    await admin.focus('[data-dismiss-key]');
    await admin.keyboard.press('Enter');
    await shown.waitFor({ state: 'detached' });
    expect(await inPage(secret)).toBe(false);
    await expect.poll(() => admin.evaluate(() => document.activeElement?.id)).toBe('key-name');
    await check(admin, '17-keys-list');

    // Leaving the screen with a key on show drops it too.
    await admin.fill('#key-name', 'Left behind');
    await admin.press('#key-name', 'Enter');
    const second = await (await admin.waitForSelector('#new-key-value')).inputValue();
    await admin.click('a[data-screen=sessions]');
    await admin.waitForSelector('.sessions');
    await admin.click('a[data-screen=keys]');
    await admin.waitForSelector('tr[data-key-name="Left behind"]');
    expect(await admin.locator('#new-key-value').count()).toBe(0);
    expect(await inPage(second)).toBe(false);

    // Revoke: Escape keeps the key; confirmed, the list marks it and the API refuses it.
    const id = (await row.getAttribute('data-key-id'))!;
    await admin.focus(`[data-revoke="${id}"]`);
    await admin.keyboard.press('Enter');
    const dialog = admin.locator('dialog.confirm[open]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Revoke the key “CRM integration”?');
    await expect.poll(() => admin.evaluate(() => document.activeElement?.getAttribute('data-cancel'))).toBe('revoke-key');
    await check(admin, '18-keys-revoke-confirm');
    await admin.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await withKey(secret)).status).toBe(200);

    await admin.focus(`[data-revoke="${id}"]`);
    await admin.keyboard.press('Enter');
    await dialog.waitFor();
    await admin.keyboard.press('Tab');
    expect(await admin.evaluate(() => document.activeElement?.getAttribute('data-confirm'))).toBe('revoke-key');
    await admin.keyboard.press('Enter');
    await admin.waitForSelector(`tr[data-key-id="${id}"][data-revoked=true]`);
    await admin.waitForSelector('.keys [role=status] .saved:has-text("is revoked")');
    expect(await admin.locator(`[data-revoke="${id}"]`).count()).toBe(0);
    expect((await withKey(secret)).status).toBe(401);
    // The other key still opens the API.
    expect((await withKey(second)).status).toBe(200);
    await check(admin, '19-keys-revoked');
    await admin.close();
  });

  it('the sessions list filters by agent: the agents who joined, or sessions no agent joined', async () => {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'casey@example.test', password: 'casey-first-pw' }),
    });
    expect(login.status).toBe(200);
    const casey = (await login.json()) as { id: string };
    const caseyCookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const helped = await startVisitorSession(server.url, 'Helped By Casey');
    const caseyAgent = await joinAsAgent(server.url, caseyCookie, helped.code);
    const waiting = await startVisitorSession(server.url, 'Nobody Yet');

    const admin = await adminCtx.newPage();
    await signInConsole(admin);
    const caseyRow = admin.locator(`tr[data-session="${helped.sessionId}"]`);
    const adminRow = admin.locator(`tr[data-session="${sessionId}"]`);
    const waitingRow = admin.locator(`tr[data-session="${waiting.sessionId}"]`);
    // The join is written as the session's metadata in the background: the list shows it at a refresh.
    await admin.waitForSelector(`#sessions-agent option[value="${casey.id}"]`, { state: 'attached', timeout: 15_000 });
    expect(await caseyRow.locator('[data-agents]').textContent()).toBe('Casey Support');
    await waitingRow.waitFor();

    await admin.selectOption('#sessions-agent', casey.id);
    await adminRow.waitFor({ state: 'detached' });
    await caseyRow.waitFor();
    expect(await waitingRow.count()).toBe(0);
    expect(await admin.locator('tr[data-session]').count()).toBe(1);
    await check(admin, '20-sessions-by-agent');

    await admin.selectOption('#sessions-agent', { label: ADMIN.name });
    await adminRow.waitFor();
    expect(await caseyRow.count()).toBe(0);
    expect(await waitingRow.count()).toBe(0);

    await admin.selectOption('#sessions-agent', { label: 'No agent joined' });
    await waitingRow.waitFor();
    expect(await caseyRow.count()).toBe(0);
    expect(await adminRow.count()).toBe(0);

    await admin.selectOption('#sessions-agent', '');
    await adminRow.waitFor();
    await caseyRow.waitFor();
    caseyAgent.ws.close();
    helped.visitor.ws.close();
    waiting.visitor.ws.close();
    await admin.close();
  });

  it('at 360 and 820 px wide every console screen fits: nothing scrolls sideways, no control is cut off', async () => {
    for (const width of [360, 820]) {
      const ctx = await browser.newContext({ viewport: { width, height: 800 }, storageState: await adminCtx.storageState() });
      const page = await ctx.newPage();
      for (const screen of ['sessions', 'visitors', 'settings', 'agents', 'webhooks', 'keys']) {
        await page.goto(`${server.url}/console/#/${screen}`);
        await page.waitForSelector(`a[data-screen=${screen}][aria-current=page]`);
        await page.waitForSelector(
          {
            sessions: '.sessions tr, .sessions .muted',
            visitors: '.visitors',
            settings: '#settings-mode',
            agents: '.agents tr',
            webhooks: '.hooks li',
            keys: '.keys tr',
          }[screen]!,
        );
        await page.screenshot({ path: join(SHOTS, `12-${screen}-${width}.png`), fullPage: true });
        const overflow = await page.evaluate(() => {
          const cut = [...document.querySelectorAll<HTMLElement>('a, button, input, select')]
            .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden'))
            .filter((el) => {
              const r = el.getBoundingClientRect();
              return r.left < 0 || r.right > innerWidth + 0.5;
            })
            .map((el) => el.outerHTML.slice(0, 80));
          return { scroll: document.documentElement.scrollWidth - innerWidth, cut };
        });
        expect(overflow, `${screen} at ${width} px`).toEqual({ scroll: 0, cut: [] });
      }
      await ctx.close();
    }
  });

  it('an agent who is not an admin has no site settings in the nav, and cannot open them by address', async () => {
    const cookie = await signIn(server.url);
    const created = await fetch(`${server.url}/api/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ email: 'plain@example.test', password: 'plain-agent-pw', name: 'Plain Agent', role: 'agent' }),
    });
    expect(created.status).toBe(201);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/console/#/settings`);
    await page.fill('#email', 'plain@example.test');
    await page.fill('#password', 'plain-agent-pw');
    await page.click('button[type=submit]');
    await page.waitForSelector('.sessions');
    expect(await page.locator('a[data-screen=settings]').count()).toBe(0);
    expect(await page.locator('a[data-screen=agents]').count()).toBe(0);
    expect(await page.locator('a[data-screen=keys]').count()).toBe(0);
    expect(await page.locator('#settings-mode').count()).toBe(0);
    // The admin's live session is listed, but this agent never joined it: no rejoin.
    await page.locator(`tr[data-session="${sessionId}"]`).waitFor();
    expect(await page.locator(`[data-rejoin="${sessionId}"]`).count()).toBe(0);
    await page.close();
  });
});
