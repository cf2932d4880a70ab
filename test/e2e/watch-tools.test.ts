/**
 * The watch page's row of tools, as the console has it: a signed-in agent
 * draws and the visitor sees the stroke; the roster shows who holds the
 * controls; a guest of an integrator's (a watch URL, no account) joins the
 * same session without "Invite a colleague", asks for the controls and is
 * handed them from the notice. The bar and the row fit at 360 and 820 px, and
 * axe-core finds nothing serious. Screenshots go to TANDEM_SCREENSHOTS (or /tmp/shots-watchtools).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApiKey } from '@tandem/server';
import { launchBrowser } from '../helpers/browser.js';
import { axeProblems, layoutProblems } from '../helpers/layout.js';
import { ADMIN, type TestServer } from '../helpers/server.js';
import type { StaticServer } from '../helpers/static-server.js';
import { closeAll, consentAndCode, startSiteAndServer } from '../helpers/site.js';

const SHOTS = process.env.TANDEM_SCREENSHOTS ?? '/tmp/shots-watchtools';
const PAGE = `<!doctype html><title>Orders</title><script src="tandem-init.js"></script>
<h1>Orders</h1><p>Order 1234: two items</p><div style="height:900px"></div>`;

let server: TestServer;
let site: StaticServer;
let browser: Browser;
let apiKey: string;
let visitor: Page;
let agent: Page;
let code: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ site, server } = await startSiteAndServer('test/corpus/sites', { '/orders.html': { type: 'text/html', body: PAGE } }));
  browser = await launchBrowser();
  apiKey = await createApiKey(server.context.store, 'helpdesk', { siteKey: 'demo' });
  visitor = await (await browser.newContext({ viewport: { width: 1000, height: 650 } })).newPage();
  await visitor.goto(`${site.url}/orders.html?server=${encodeURIComponent(server.url)}`);
  await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
  code = await consentAndCode(visitor);
});

afterAll(() => closeAll(browser, server, site));

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/${name}.png` });

const mirrorShows = (p: Page, text: string) =>
  p.waitForFunction(
    (t) => !!document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.body?.textContent?.includes(t),
    text,
  );

/** A watch page in its own browser context; bypassCSP only so that the test may inject axe-core. */
async function watchPage(url: string, width = 1100): Promise<Page> {
  const p = await (await browser.newContext({ viewport: { width, height: 720 }, bypassCSP: true })).newPage();
  await p.goto(url);
  return p;
}

/** The bar's and the row's controls, and the two rows themselves: clipped, cut, wrapped or overlapping ones. */
const barProblems = (p: Page) =>
  layoutProblems(p, '#bar, #tools, #bar :is(button, #zoom-level), #tools :is(button, li, .ink-tools)', { min: 12, bottom: true });

const rosterText = (p: Page) => p.$$eval('#tools .roster li', (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));

describe('the watch page’s tools row', () => {
  it('a signed-in agent draws and the visitor sees the stroke; the roster says who has the controls; it fits at 360 and 820 px', async () => {
    agent = await watchPage(`${server.url}/watch#code=${code}`);
    await agent.waitForSelector('#screen[data-screen=sign-in]');
    await agent.fill('input[type=email]', ADMIN.email);
    await agent.fill('input[type=password]', ADMIN.password);
    await agent.click('#screen button[type=submit]');
    await mirrorShows(agent, 'Order 1234: two items');

    // The tools: icons with names, one pressed.
    const tools = await agent.$$eval('#tools [role=toolbar] button', (bs) =>
      bs.map((b) => [b.getAttribute('aria-label'), b.getAttribute('aria-pressed')]),
    );
    expect(tools).toEqual([
      ['Point', 'true'],
      ['Highlight', 'false'],
      ['Draw', 'false'],
      ['Laser', 'false'],
      ['Select text', 'false'],
      ['Clear drawings', null],
    ]);
    // The roster: this agent, its colour, the controls.
    await expect.poll(() => rosterText(agent)).toEqual([`${ADMIN.name} (you)has the controls`]);
    expect(await agent.getAttribute('#tools .roster li', 'data-color')).toMatch(/^#[0-9a-f]{6}$/i);
    // A signed-in agent may bring a colleague: the code and the console's join link.
    await agent.click('[data-invite-colleague]');
    expect(await agent.getAttribute('[data-colleague-code]', 'data-colleague-code')).toBe(code);
    expect(await agent.inputValue('#colleague-link')).toBe(`${server.url}/console/#/join/${code}`);
    await shot(agent, 'watch-invite');
    expect(await axeProblems(agent, ['#tools', '#bar'])).toEqual([]);
    await agent.keyboard.press('Escape');
    expect(await agent.isVisible('.colleague-panel')).toBe(false);

    // By keyboard: Tab reaches the toolbar, the arrows move in it, Enter chooses Draw.
    await agent.focus('#tools [data-tool=point]');
    await agent.keyboard.press('ArrowRight');
    await agent.keyboard.press('ArrowRight');
    expect(await agent.evaluate(() => (document.activeElement as HTMLElement).dataset.tool)).toBe('draw');
    await agent.keyboard.press('Enter');
    expect(await agent.getAttribute('#tools [data-tool=draw]', 'aria-pressed')).toBe('true');
    expect(await agent.getAttribute('#tools [data-tool=point]', 'aria-pressed')).toBe('false');

    // A stroke over the page: the visitor sees it, in the agent's colour.
    const box = (await agent.locator('#view').boundingBox())!;
    const [x, y] = [box.x + box.width / 3, box.y + box.height / 3];
    await agent.mouse.move(x, y);
    await agent.mouse.down();
    for (let i = 1; i <= 10; i++) await agent.mouse.move(x + i * 20, y + (i % 2) * 15, { steps: 2 });
    await shot(agent, 'watch-drawing');
    await agent.mouse.up();
    await visitor.waitForSelector('tandem-ui [data-tandem-ink] [data-ink=stroke]', { timeout: 3000 });
    await shot(visitor, 'watch-visitor-sees-stroke');

    for (const width of [820, 360]) {
      await agent.setViewportSize({ width, height: 720 });
      await agent.waitForTimeout(200);
      expect(await barProblems(agent), `at ${width} px`).toEqual([]);
      // Below 760 px the tools are icons only, still named.
      expect(await agent.isVisible('#tools [data-tool=draw] .tool-label'), `labels at ${width} px`).toBe(width > 760);
      await shot(agent, `watch-tools-${width}`);
      expect(await axeProblems(agent, ['#tools', '#bar']), `axe at ${width} px`).toEqual([]);
    }
    await agent.setViewportSize({ width: 1100, height: 720 });
  });

  it('a guest by a watch URL has no "Invite a colleague", asks for the controls, and the holder hands them over from the notice', async () => {
    const [live] = await server.context.registry.listSessions();
    const res = await fetch(`${server.url}/api/v1/sessions/${live!.id}/watch_url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: { id: 'hd-7', name: 'Sam from Helpdesk' } }),
    });
    expect(res.status).toBe(200);
    const guest = await watchPage(((await res.json()) as { watch_url: string }).watch_url, 820);
    await mirrorShows(guest, 'Order 1234: two items');
    await expect.poll(() => rosterText(guest)).toEqual([`${ADMIN.name}has the controlsAsk for the controls`, 'Sam from Helpdesk (you)']);
    expect(await guest.$('[data-invite-colleague]')).toBeNull();
    // The holder may hand over from the roster too.
    await expect.poll(() => agent.isVisible('[data-hand-over]')).toBe(true);

    await guest.click('[data-ask-control]');
    const ask = await agent.waitForSelector('[data-notice=controlAsked]');
    expect(await ask.textContent()).toContain('Sam from Helpdesk asks for the controls');
    await shot(agent, 'watch-control-asked');
    expect(await axeProblems(agent, ['#notices'])).toEqual([]);
    await agent.click('[data-grant-control]');

    await expect.poll(() => rosterText(guest)).toEqual([`${ADMIN.name}Hand over`, 'Sam from Helpdesk (you)has the controls']);
    await guest.waitForSelector('[data-notice=control]:has-text("You have the controls now")');
    await expect.poll(() => rosterText(agent)).toEqual([`${ADMIN.name} (you)`, 'Sam from Helpdeskhas the controlsAsk for the controls']);
    await shot(guest, 'watch-guest-has-controls');
    await guest.setViewportSize({ width: 360, height: 720 });
    await guest.waitForTimeout(200);
    expect(await barProblems(guest), 'guest at 360 px').toEqual([]);
    await shot(guest, 'watch-guest-360');
    await guest.context().close();
    await agent.context().close();
  });
});
