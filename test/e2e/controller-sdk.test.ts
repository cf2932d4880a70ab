/**
 * The visitor's side of the controller channel, in real Chromium: the page
 * gives its start message (`Tandem('getStartMessage')`), a controller joins
 * with the code it carries, lowers the mode (the visitor's panel follows at
 * once, and the next page keeps it) and asks for a higher one (the visitor
 * answers in the panel, named as the controller asked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { parseStartMessage } from '@tandem/protocol';
import { createApiKey } from '@tandem/server';
import { launchBrowser } from '../helpers/browser.js';
import type { StaticServer } from '../helpers/static-server.js';
import type { TestServer } from '../helpers/server.js';
import { closeAll, consentAndCode, startSiteAndServer, vendorRoutes } from '../helpers/site.js';
import { connectController } from '../helpers/controller.js';

let server: TestServer;
let site: StaticServer;
let browser: Browser;
let key: string;

beforeAll(async () => {
  ({ site, server } = await startSiteAndServer('test/corpus/sites', vendorRoutes()));
  browser = await launchBrowser();
  key = await createApiKey(server.context.store, 'desk', { siteKey: 'demo' });
});

afterAll(() => closeAll(browser, server, site));

const startMessage = (page: Page) =>
  page.evaluate(() => new Promise<string | null>((resolve) => (window as any).Tandem('getStartMessage', resolve)));
const panelMode = (page: Page) => page.locator('tandem-ui .panel').getAttribute('data-mode');

describe('the visitor’s page and a controller', () => {
  it('gives the start message; follows a lowered mode at once; asks the visitor for a higher one', async () => {
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${site.url}/react.html?server=${encodeURIComponent(server.url)}&mode=control`);
    await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
    await visitor.evaluate(() => {
      (window as any).modes = [];
      (window as any).Tandem('on', 'modeChanged', (e: { mode: string }) => (window as any).modes.push(e.mode));
    });
    // No session yet: no start message.
    expect(await startMessage(visitor)).toBeNull();

    const code = await consentAndCode(visitor);
    const message = await startMessage(visitor);
    expect(message).toBe(`{start:${code}}`);

    // The agent's desktop reads the chat line and joins with the code in it.
    const c = await connectController(server.url, key);
    const joined = await c.join(parseStartMessage(message!)!);
    expect(joined).toMatchObject({ t: 'joined', state: { visitorConnected: true, mode: 'control' } });
    expect(await panelMode(visitor)).toBe('control');

    c.setMode('view');
    expect(await c.next()).toEqual({ t: 'result', command: 'setMode', outcome: 'done' });
    expect(await c.next()).toMatchObject({ t: 'modeChanged', mode: 'view', previous: 'control' });
    await visitor.waitForSelector('tandem-ui .panel[data-mode=view]');
    expect(await visitor.locator('tandem-ui select[data-action=mode]').inputValue()).toBe('view');
    expect(await visitor.evaluate(() => (window as any).modes)).toEqual(['view']);

    // The next page of the tab keeps the lowered mode.
    await visitor.reload();
    await visitor.waitForSelector('tandem-ui .panel[data-mode]');
    expect(await panelMode(visitor)).toBe('view');
    expect(await c.next()).toMatchObject({ t: 'deactivated' });
    expect(await c.next()).toMatchObject({ t: 'activated' });

    // Higher: a request in the visitor's panel, in the name the controller gave.
    c.setMode('navigate', 'Sam at Support');
    expect(await c.next()).toEqual({ t: 'result', command: 'setMode', outcome: 'asked' });
    const request = visitor.locator('tandem-ui [data-request=navigate]');
    await request.waitFor();
    expect(await request.textContent()).toContain('Sam at Support');
    expect(await panelMode(visitor)).toBe('view');
    await visitor.click('tandem-ui [data-action=allow-mode]');
    expect(await c.next()).toMatchObject({ t: 'modeChanged', mode: 'navigate', previous: 'view' });
    await visitor.waitForSelector('tandem-ui .panel[data-mode=navigate]');

    c.end();
    expect(await c.next()).toMatchObject({ t: 'result', command: 'end' });
    expect(await c.next()).toMatchObject({ t: 'ended', reason: 'api' });
    await visitor.waitForSelector('tandem-ui .panel[data-mode]', { state: 'detached' });
    expect(await startMessage(visitor)).toBeNull();
    await visitor.context().close();
  });
});
