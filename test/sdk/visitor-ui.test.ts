/**
 * The visitor's UI in a real browser, on a site of another origin: the site's
 * own strings replace the defaults; the site's CSS at its worst cannot hide,
 * shrink or block the panel; the site's theme colours reach it; the visitor
 * can minimize it and drag it out of the way; while the session changes (an
 * agent joins, the visitor picks a mode) the panel is updated, not rebuilt.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import type { StaticServer } from '../helpers/static-server.js';
import type { TestServer } from '../helpers/server.js';
import { closeAll, startSiteAndServer } from '../helpers/site.js';
import { joinAsAgent, signIn } from '../helpers/clients.js';

let server: TestServer;
let site: StaticServer;
let browser: Browser;

beforeAll(async () => {
  ({ site, server } = await startSiteAndServer('test/corpus/loader'));
  browser = await launchBrowser();
});

afterAll(() => closeAll(browser, server, site));

async function open(path: string, query: Record<string, string> = {}): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  const params = new URLSearchParams({ server: server.url, ...query });
  await page.goto(`${site.url}/${path}?${params}`);
  await page.waitForFunction(() => (window as any).Tandem?.loaded);
  return page;
}

async function startSession(page: Page): Promise<void> {
  await page.evaluate(() => (window as any).Tandem('startSession'));
  await page.waitForSelector('tandem-ui [data-action=accept]');
}

/** Text of an element in the panel (Playwright's CSS pierces the open shadow root). */
const textOf = (page: Page, selector: string) => page.locator(`tandem-ui ${selector}`).first().textContent();

/** The element at the centre of `selector`'s box, as the browser hit-tests it through the shadow root. */
function hitsItself(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const root = document.querySelector('tandem-ui')!.shadowRoot!;
    const target = root.querySelector(sel)!;
    const r = target.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    return document.elementFromPoint(x, y) === root.host && root.elementFromPoint(x, y) === target;
  }, selector);
}

const panelBox = async (page: Page) => (await page.locator('tandem-ui .panel').boundingBox())!;

describe('strings', () => {
  it('the site’s strings replace the defaults in the consent prompt and the sharing panel; other keys keep theirs', async () => {
    const strings = {
      consentTitle: 'Montrer cet onglet au support ?',
      consentAccept: 'Partager',
      codeLabel: 'Votre code',
      stop: 'Arrêter',
      modeLabel: 'Le conseiller peut',
    };
    const page = await open('ui.html', { strings: JSON.stringify(strings) });
    await startSession(page);
    expect(await textOf(page, '.title')).toBe(strings.consentTitle);
    expect(await textOf(page, '[data-action=accept]')).toBe(strings.consentAccept);
    expect(await textOf(page, '[data-action=decline]')).toBe('Not now');
    expect(await textOf(page, '.body')).toMatch(/^A support agent will see this tab/);

    await page.click('tandem-ui [data-action=accept]');
    await page.waitForSelector('tandem-ui [data-code]');
    expect(await textOf(page, '.title')).toBe(strings.codeLabel);
    expect(await textOf(page, '[data-action=stop]')).toBe(strings.stop);
    expect(await textOf(page, '.mode span')).toBe(strings.modeLabel);
    expect(await textOf(page, '.body')).toBe('Read this code to the support agent. Waiting for them to join…');
    expect(await page.locator('tandem-ui select[data-action=mode] option').allTextContents()).toEqual([
      'see and point',
      'see, point and browse',
      'see, point, browse and fill in',
    ]);
    expect(await page.locator('tandem-ui [data-action=minimize]').getAttribute('title')).toBe('Minimize');
    await page.context().close();
  });
});

describe('hostile site CSS', () => {
  it('all: unset, hidden divs and buttons, 2px transparent text: the panel stays visible, sized and clickable', async () => {
    const page = await open('hostile-css.html');
    // The site's CSS does bite on its own page.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('body > div')!).display)).toBe('none');
    await startSession(page);

    for (const action of ['accept', 'decline']) {
      const button = page.locator(`tandem-ui [data-action=${action}]`);
      expect(await button.isVisible()).toBe(true);
      const box = (await button.boundingBox())!;
      expect(box.width).toBeGreaterThanOrEqual(50);
      expect(box.height).toBeGreaterThanOrEqual(28);
      expect(box.height).toBeLessThan(80);
      expect(await hitsItself(page, `[data-action=${action}]`)).toBe(true);
      const style = await button.evaluate((b) => {
        const s = getComputedStyle(b);
        return { fontSize: s.fontSize, color: s.color, visibility: s.visibility };
      });
      expect(style.fontSize).toBe('14px');
      expect(style.visibility).toBe('visible');
      expect(style.color).not.toBe('rgba(0, 0, 0, 0)');
    }
    const panel = await panelBox(page);
    expect(panel.width).toBeGreaterThan(300);
    expect(await page.locator('tandem-ui .title').evaluate((t) => getComputedStyle(t).color)).not.toBe('rgba(0, 0, 0, 0)');

    mkdirSync('test-results', { recursive: true });
    const shot = resolve('test-results/visitor-ui-hostile-css.png');
    await page.screenshot({ path: shot });
    console.log(`hostile CSS screenshot: ${shot}`);

    await page.click('tandem-ui [data-action=accept]');
    const code = page.locator('tandem-ui [data-code]');
    await code.waitFor();
    expect(await code.isVisible()).toBe(true);
    expect((await code.boundingBox())!.height).toBeGreaterThan(25);
    expect(await hitsItself(page, '[data-action=stop]')).toBe(true);
    await page.screenshot({ path: resolve('test-results/visitor-ui-hostile-css-sharing.png') });
    await page.click('tandem-ui [data-action=stop]');
    await page.waitForSelector('tandem-ui', { state: 'detached' });
    await page.context().close();
  });
});

describe('theming', () => {
  it('--tandem-accent on :root colours the panel’s border', async () => {
    const page = await open('ui.html');
    await startSession(page);
    const border = () => page.locator('tandem-ui .panel').evaluate((p) => getComputedStyle(p).borderTopColor);
    expect(await border()).toBe('rgb(37, 99, 235)');
    await page.addStyleTag({ content: ':root { --tandem-accent: rgb(0, 128, 64); }' });
    expect(await border()).toBe('rgb(0, 128, 64)');
    expect(await page.locator('tandem-ui [data-action=accept]').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(0, 128, 64)');
    await page.context().close();
  });
});

describe('ui options from init', () => {
  it('the panel starts where the site puts it, and the frame can be left off', async () => {
    const page = await open('ui.html', { ui: JSON.stringify({ position: 'top-left', frame: false }) });
    await startSession(page);
    await page.click('tandem-ui [data-action=accept]');
    await page.waitForSelector('tandem-ui [data-code]');
    const box = (await page.locator('tandem-ui .panel').boundingBox())!;
    expect(box.x).toBeLessThan(40);
    expect(box.y).toBeLessThan(40);
    expect(await page.$('tandem-ui .frame')).toBeNull();
    await page.context().close();
  });
});

describe('minimize and drag', () => {
  it('dragging the head moves the panel; minimized, it keeps its place and Stop still works', async () => {
    const page = await open('ui.html');
    await startSession(page);
    await page.click('tandem-ui [data-action=accept]');
    await page.waitForSelector('tandem-ui [data-code]');

    const before = await panelBox(page);
    const title = (await page.locator('tandem-ui .title').boundingBox())!;
    const from = { x: title.x + 20, y: title.y + title.height / 2 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x - 150, from.y - 200, { steps: 8 });
    await page.mouse.move(from.x - 400, from.y - 300, { steps: 8 });
    await page.mouse.up();
    const moved = await panelBox(page);
    expect(moved.x).toBeCloseTo(before.x - 400, 0);
    expect(moved.y).toBeCloseTo(before.y - 300, 0);

    await page.click('tandem-ui [data-action=minimize]');
    await page.waitForSelector('tandem-ui .panel.min');
    const small = await panelBox(page);
    expect(small.width).toBeLessThan(before.width);
    expect(small.height).toBeLessThan(before.height);
    expect({ x: Math.round(small.x), y: Math.round(small.y) }).toEqual({ x: Math.round(moved.x), y: Math.round(moved.y) });
    expect(await page.locator('tandem-ui [data-code]').count()).toBe(0);
    expect(await textOf(page, '.title')).toBe('Sharing your screen');
    expect(await page.locator('tandem-ui [data-action=stop]').isVisible()).toBe(true);
    expect(await hitsItself(page, '[data-action=stop]')).toBe(true);

    // Expanded again, the code is back; minimized again, Stop ends the session.
    await page.click('tandem-ui [data-action=minimize]');
    await page.waitForSelector('tandem-ui [data-code]');
    await page.click('tandem-ui [data-action=minimize]');
    await page.waitForSelector('tandem-ui .panel.min');
    await page.click('tandem-ui [data-action=stop]');
    await page.waitForSelector('tandem-ui', { state: 'detached' });
    expect(await page.evaluate(() => new Promise((r) => (window as any).Tandem('getSessionCode', r)))).toBeNull();
    await page.context().close();
  });
});

describe('updates in place', () => {
  it('an agent joining and the visitor picking a mode change the panel, not its controls: the select keeps its focus', async () => {
    const page = await open('ui.html');
    await startSession(page);
    await page.click('tandem-ui [data-action=accept]');
    const code = (await (await page.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code'))!;
    // Marks on the controls as they are now: a rebuilt panel has new elements without them.
    const controls = () =>
      page.evaluate(() => {
        const root = document.querySelector('tandem-ui')!.shadowRoot!;
        const select = root.querySelector('select') as HTMLSelectElement & { mark?: string };
        const stop = root.querySelector('[data-action=stop]') as HTMLElement & { mark?: string };
        const panel = root.querySelector('.panel') as HTMLElement;
        return { select: select.mark, stop: stop.mark, focused: root.activeElement === select, value: select.value, mode: panel.dataset.mode };
      });
    const modeShown = (mode: string) =>
      page.waitForFunction(
        (m) => document.querySelector('tandem-ui')!.shadowRoot!.querySelector<HTMLElement>('.panel')!.dataset.mode === m,
        mode,
      );
    await page.evaluate(() => {
      const root = document.querySelector('tandem-ui')!.shadowRoot!;
      (root.querySelector('select') as unknown as { mark: string }).mark = 'select';
      (root.querySelector('[data-action=stop]') as unknown as { mark: string }).mark = 'stop';
    });

    // The visitor picks the next mode with the keyboard: it is the session's mode at once, and the select keeps the focus.
    await page.focus('tandem-ui select[data-action=mode]');
    await page.keyboard.press('ArrowDown');
    await modeShown('navigate');
    expect(await controls()).toEqual({ select: 'select', stop: 'stop', focused: true, value: 'navigate', mode: 'navigate' });
    await page.keyboard.press('ArrowUp');
    await modeShown('view');

    // An agent joins: the code gives way to who is watching, and the controls are still the same elements.
    const agent = await joinAsAgent(server.url, await signIn(server.url), code);
    await page.waitForSelector('tandem-ui .agents li');
    expect(await textOf(page, '.title')).toMatch(/^Sharing this tab with /);
    expect(await page.locator('tandem-ui [data-code]').count()).toBe(0);
    expect(await controls()).toEqual({ select: 'select', stop: 'stop', focused: true, value: 'view', mode: 'view' });

    // Stop, never rebuilt, still ends the session.
    await page.click('tandem-ui [data-action=stop]');
    await page.waitForSelector('tandem-ui', { state: 'detached' });
    agent.ws.close();
    await page.context().close();
  });
});
