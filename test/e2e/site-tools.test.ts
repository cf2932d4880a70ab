/**
 * What a live visitor's page tells the console besides its DOM, in a real
 * Chromium against a real server (one browser, one server for the file): the
 * agent's session view shows the visitor's platform ("Visitor info", by mouse
 * and keyboard, following a resize), and an admin who adds a masking selector in
 * site settings sees how many elements it matches on the live page, updated as
 * the page changes. Screenshots go to /tmp/shots-counts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { axeProblems } from '../helpers/layout.js';
import type { StaticServer } from '../helpers/static-server.js';
import type { TestServer } from '../helpers/server.js';
import { closeAll, consentAndCode, joinInConsole, startSiteAndServer, vendorRoutes } from '../helpers/site.js';

const SHOTS = process.env.TANDEM_SCREENSHOTS ?? '/tmp/shots-counts';
let server: TestServer;
let site: StaticServer;
let browser: Browser;
let visitor: Page;
let agent: Page;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ site, server } = await startSiteAndServer('test/corpus/sites', vendorRoutes()));
  browser = await launchBrowser();
  visitor = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  await visitor.goto(`${site.url}/react.html?server=${encodeURIComponent(server.url)}&mode=view`);
  await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
  // bypassCSP: the console's CSP would refuse the test's axe-core script, not anything of the console's own.
  const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  agent = await joinInConsole(agentCtx, server.url, await consentAndCode(visitor));
});

afterAll(() => closeAll(browser, server, site));

/** The platform fields the Visitor info panel shows. */
const shown = (page: Page) =>
  page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('#visitor-details [data-platform]')].map((dd) => [dd.dataset.platform, dd.textContent]),
    ),
  );

describe('the visitor’s platform in the session view', () => {
  it('opens from the session bar by mouse and keyboard, and follows the visitor’s window into another size class', async () => {
    const toggle = agent.locator('[data-visitor-info]');
    expect(await toggle.getAttribute('aria-label')).toBe('Visitor info');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    await agent.waitForSelector('#visitor-details [data-platform=browser]');
    const expected = await visitor.evaluate(() => ({
      language: navigator.language,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    }));
    expect(await shown(agent)).toEqual({
      browser: expect.stringMatching(/^Chrome \d+$/),
      os: 'Linux',
      viewport: '1000x700',
      language: expected.language,
      timeZone: expected.timeZone,
    });
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await agent.screenshot({ path: join(SHOTS, 'visitor-info.png') });
    expect(await axeProblems(agent, ['.session-bar'])).toEqual([]);

    // Escape closes it and gives the focus back; Enter opens it again.
    await agent.keyboard.press('Escape');
    expect(await agent.isVisible('#visitor-details')).toBe(false);
    expect(await agent.evaluate(() => document.activeElement?.hasAttribute('data-visitor-info'))).toBe(true);
    await agent.keyboard.press('Enter');
    expect(await agent.isVisible('#visitor-details')).toBe(true);

    // A phone-sized window is another size class: the agent sees the new size without doing anything.
    await visitor.setViewportSize({ width: 390, height: 700 });
    await expect.poll(async () => (await shown(agent)).viewport, { timeout: 5000 }).toBe('390x700');
    await agent.screenshot({ path: join(SHOTS, 'visitor-info-resized.png') });
    // A click elsewhere closes it.
    await agent.click('.session-bar .who');
    expect(await agent.isVisible('#visitor-details')).toBe(false);
    await visitor.setViewportSize({ width: 1000, height: 700 });

    // On a phone-sized console the panel stays inside the window.
    await agent.setViewportSize({ width: 360, height: 720 });
    await toggle.click();
    const box = (await agent.locator('#visitor-details').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    await expect.poll(async () => (await shown(agent)).viewport, { timeout: 5000 }).toBe('1000x700');
    await agent.screenshot({ path: join(SHOTS, 'visitor-info-360.png') });
    await toggle.click();
    await agent.setViewportSize({ width: 1280, height: 800 });
  });
});

describe('masking selectors’ counts in site settings', () => {
  it('an admin adds a selector and sees how many elements it matches on the live page, updated as the page changes', async () => {
    const admin = await agent.context().newPage();
    await admin.setViewportSize({ width: 1100, height: 1000 });
    await admin.goto(`${server.url}/console/#/settings`);
    await admin.waitForSelector('#mask-new');
    // Two labels on the React page ("Name", "I agree"); no element is a .chat-widget.
    await admin.fill('#mask-new', 'main label');
    await admin.keyboard.press('Enter');
    await admin.fill('#block-new', '.chat-widget');
    await admin.keyboard.press('Enter');
    // Not saved yet: nothing is counted for it.
    expect(await admin.locator('[data-count-for="main label"]').count()).toBe(0);
    await admin.click('.settings button[type=submit]');
    await admin.waitForSelector('[role=status] .saved');
    const note = admin.locator('[data-list=mask] [data-count-for="main label"]');
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toBe('matches 2 on /react.html');
    await expect
      .poll(() => admin.locator('[data-list=block] [data-count-for=".chat-widget"]').textContent(), { timeout: 10_000 })
      .toBe('matches 0 on /react.html');
    await admin.screenshot({ path: join(SHOTS, 'site-settings-counts.png'), fullPage: true });
    expect(await axeProblems(admin, ['.settings'])).toEqual([]);
    // A screen reader hears the count with the selector.
    const describedBy = (await admin.getAttribute('[data-list=mask] li input', 'aria-describedby'))!;
    expect(await admin.textContent(`#${describedBy}`)).toBe('matches 2 on /react.html');

    // The page grows (a list rendered late): counted again within a few seconds, without a reload.
    // Labels inside a blocked element are not counted: agents see that element as an empty box.
    await visitor.evaluate(() => {
      const main = document.querySelector('main')!;
      for (let i = 0; i < 25; i++) main.appendChild(document.createElement('label')).textContent = `Extra ${i}`;
      const blocked = main.appendChild(document.createElement('div'));
      blocked.setAttribute('data-tandem-block', '');
      for (let i = 0; i < 3; i++) blocked.appendChild(document.createElement('label')).textContent = `Hidden ${i}`;
    });
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toBe('matches 27 on /react.html');

    // A rule the visitor's browser cannot parse (saved through the API, which takes any text): counted as null, never thrown.
    const patched = await admin.evaluate(async () => {
      const res = await fetch('/api/v1/sites/demo/settings', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ masking: { selectors: ['main label', 'div[', 'input[value^="a"]', 'main :checked'] } }),
      });
      return res.status;
    });
    expect(patched).toBe(200);
    await admin.reload();
    await expect
      .poll(() => admin.locator('[data-list=mask] [data-count-for="div["]').textContent(), { timeout: 10_000 })
      .toBe('invalid selector');
    expect(await admin.locator('[data-list=mask] [data-count-for="main label"]').textContent()).toBe('matches 27 on /react.html');
    // Rules that ask about values or state would tell what masking hides (React writes what is typed into
    // `value`): not counted, whatever the page holds.
    for (const rule of ['input[value^="a"]', 'main :checked']) {
      expect(await admin.locator(`[data-list=mask] [data-count-for='${rule}']`).textContent()).toBe('not counted');
    }
    await admin.screenshot({ path: join(SHOTS, 'site-settings-invalid.png'), fullPage: true });

    // The session ends: no live page is left to count.
    await visitor.click('tandem-ui [data-action=stop]');
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toBe('no live page');
    await admin.screenshot({ path: join(SHOTS, 'site-settings-no-live-page.png'), fullPage: true });
    await admin.close();
  });
});
