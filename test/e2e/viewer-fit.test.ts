/**
 * The viewer's room, end to end in the real console: auto-fit both ways, zoom
 * with the stage scrolled (and the agent's click still landing where aimed),
 * full screen, a session bar that fits from 360 px up, and a confirmation
 * before ending a session for everyone. Screenshots go to /tmp/shots-viewer/.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { axeProblems, layoutProblems } from '../helpers/layout.js';
import type { StaticServer } from '../helpers/static-server.js';
import { ADMIN, type TestServer } from '../helpers/server.js';
import { closeAll, consentAndCode, joinInConsole, shareDemo, startSiteAndServer, vendorRoutes } from '../helpers/site.js';

const SHOTS = '/tmp/shots-viewer';
let server: TestServer;
let site: StaticServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ site, server } = await startSiteAndServer('test/corpus/sites', vendorRoutes()));
  browser = await launchBrowser();
});

afterAll(() => closeAll(browser, server, site));

interface Shared {
  visitor: Page;
  agent: Page;
}

async function shareDemoAt(visitorSize: { width: number; height: number }, agentSize: { width: number; height: number }): Promise<Shared> {
  const { page: visitor, code } = await shareDemo(await browser.newContext({ viewport: visitorSize }), server.url);
  const agent = await joinInConsole(await browser.newContext({ viewport: agentSize }), server.url, code);
  await viewportIs(agent, visitorSize.width, visitorSize.height);
  return { visitor, agent };
}

/** A test page of the corpus in `mode`, the agent in the console. */
async function shareSite(page: string, mode: string, agentSize = { width: 1280, height: 720 }): Promise<Shared> {
  const visitor = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  await visitor.goto(`${site.url}/${page}?server=${encodeURIComponent(server.url)}&mode=${mode}`);
  await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
  // bypassCSP: the console's CSP would refuse the test's axe-core script, not anything of the console's own.
  const agent = await joinInConsole(
    await browser.newContext({ viewport: agentSize, bypassCSP: true }),
    server.url,
    await consentAndCode(visitor),
  );
  await agent.waitForSelector(`.session-bar .mode[data-mode=${mode}]`, { state: 'attached' });
  await viewportIs(agent, 1000, 700);
  return { visitor, agent };
}

async function done({ visitor, agent }: Shared): Promise<void> {
  await agent.context().close();
  await visitor.context().close();
}

/** The mirror has taken the visitor's viewport size. */
function viewportIs(agent: Page, width: number, height: number) {
  return agent.waitForFunction(
    ([w, h]) => {
      const f = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]');
      return f?.style.width === `${w}px` && f.style.height === `${h}px`;
    },
    [width, height] as const,
    { timeout: 10_000 },
  );
}

/** The stage's box, the viewer's container's, and the scale the viewer reports. */
function geometry(agent: Page) {
  return agent.evaluate(() => {
    const rect = (el: Element) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
    };
    const root = document.querySelector<HTMLElement>('.tandem-viewer')!;
    return {
      stage: rect(document.querySelector('.tandem-stage')!),
      container: rect(document.querySelector('.view')!),
      zoom: Number(root.dataset.zoom),
      outlined: root.dataset.outlined === 'true',
      label: document.querySelector('.zoom-level')?.textContent,
    };
  });
}

describe('auto-fit', () => {
  it('a 1920×1080 visitor in a 1280×720 agent window shows the whole viewport', async () => {
    const s = await shareDemoAt({ width: 1920, height: 1080 }, { width: 1280, height: 720 });
    try {
      const g = await geometry(s.agent);
      expect(g.zoom).toBeLessThan(100);
      expect(g.stage.left).toBeGreaterThanOrEqual(g.container.left - 0.5);
      expect(g.stage.top).toBeGreaterThanOrEqual(g.container.top - 0.5);
      expect(g.stage.right).toBeLessThanOrEqual(g.container.right + 0.5);
      expect(g.stage.bottom).toBeLessThanOrEqual(g.container.bottom + 0.5);
      // The whole page, not a corner of it: one side fills the room.
      expect(Math.max(g.stage.width / g.container.width, g.stage.height / g.container.height)).toBeGreaterThan(0.97);
      expect(g.stage.width / g.stage.height).toBeCloseTo(1920 / 1080, 2);
      expect(g.label).toBe(`${g.zoom}%`);
      await s.agent.screenshot({ path: `${SHOTS}/fit-1920-in-1280.png` });
    } finally {
      await done(s);
    }
  });

  it('a small visitor in a large agent window is scaled up, and its viewport outlined', async () => {
    const s = await shareDemoAt({ width: 800, height: 600 }, { width: 1920, height: 1080 });
    try {
      const g = await geometry(s.agent);
      expect(g.zoom).toBeGreaterThan(100);
      expect(g.zoom).toBeLessThanOrEqual(200);
      expect(g.stage.width).toBeGreaterThan(800 * 1.2);
      expect(g.stage.right).toBeLessThanOrEqual(g.container.right + 0.5);
      expect(g.stage.bottom).toBeLessThanOrEqual(g.container.bottom + 0.5);
      expect(g.outlined).toBe(true);
      expect(await s.agent.isVisible('[data-viewport-outline]')).toBe(true);
      await s.agent.screenshot({ path: `${SHOTS}/fit-800-in-1920.png` });

      // Zoom out from the fit, then back to fit.
      await s.agent.click('[data-zoom=out]');
      await expect.poll(async () => (await geometry(s.agent)).zoom).toBeLessThan(g.zoom);
      expect(await s.agent.getAttribute('[data-zoom=fit]', 'aria-pressed')).toBe('false');
      await s.agent.click('[data-zoom=fit]');
      await expect.poll(async () => (await geometry(s.agent)).zoom).toBe(g.zoom);
      expect(await s.agent.getAttribute('[data-zoom=fit]', 'aria-pressed')).toBe('true');
    } finally {
      await done(s);
    }
  });
});

describe('zoom', () => {
  it('at 200% the agent’s click lands on the element aimed at, through the scale and the stage’s scroll', async () => {
    const s = await shareSite('react.html', 'control');
    try {
      const fitted = (await geometry(s.agent)).zoom;
      // Up by steps until 200%.
      for (let i = 0; i < 10 && (await geometry(s.agent)).zoom < 200; i++) await s.agent.click('[data-zoom=in]');
      const g = await geometry(s.agent);
      expect(g.zoom).toBe(200);
      expect(g.zoom).toBeGreaterThan(fitted);
      // The stage is bigger than the room: the viewer scrolls. Bring the button into view, as the scrollbars would.
      const target = await s.agent.evaluate(() => {
        const root = document.querySelector<HTMLElement>('.tandem-viewer')!;
        const frame = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')!;
        const el = frame.contentDocument!.querySelector('#add')!.getBoundingClientRect();
        const stage = document.querySelector<HTMLElement>('.tandem-stage')!;
        root.scrollTop = stage.offsetTop + (el.top + el.height / 2) * 2 - root.clientHeight / 2;
        root.scrollLeft = stage.offsetLeft + (el.left + el.width / 2) * 2 - root.clientWidth / 2;
        return { scrollTop: root.scrollTop, overflow: root.scrollHeight - root.clientHeight };
      });
      expect(target.overflow).toBeGreaterThan(0);
      expect(target.scrollTop).toBeGreaterThan(0);
      // Where the button is now on the agent's screen, measured from the mirror's element.
      const at = await s.agent.evaluate(() => {
        const frame = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')!;
        const el = frame.contentDocument!.querySelector('#add')!.getBoundingClientRect();
        const stage = document.querySelector('.tandem-stage')!.getBoundingClientRect();
        const view = document.querySelector('.view')!.getBoundingClientRect();
        const x = stage.left + (el.left + el.width / 2) * 2;
        const y = stage.top + (el.top + el.height / 2) * 2;
        return { x, y, inView: x > view.left && x < view.right && y > view.top && y < view.bottom };
      });
      expect(at.inView).toBe(true);
      await s.agent.screenshot({ path: `${SHOTS}/zoom-200-scrolled.png` });
      await s.agent.mouse.click(at.x, at.y);
      const clicks = () => s.visitor.evaluate(() => JSON.parse(document.getElementById('state')!.textContent).clicks as number);
      await expect.poll(clicks, { timeout: 5000 }).toBe(1);
      // Nothing was refused (a click off target would land on the card field or "Delete account").
      expect(await s.agent.$('[data-notice=refused]')).toBeNull();
    } finally {
      await done(s);
    }
  });
});

describe('the wheel in view mode', () => {
  it('pans the agent’s zoomed view, and says why it cannot scroll the visitor’s page when the view fits', async () => {
    const s = await shareSite('react.html', 'view');
    try {
      const root = '.tandem-viewer';
      const overlay = (await (await s.agent.$('.tandem-overlay'))!.boundingBox())!;
      await s.agent.mouse.move(overlay.x + overlay.width / 2, overlay.y + overlay.height / 2);
      // Fitted: nothing to pan, and the visitor has not allowed scrolling: the agent is told.
      await s.agent.mouse.wheel(0, 300);
      await s.agent.waitForSelector('[data-notice=refused]', { timeout: 5000 });
      for (let i = 0; i < 10 && (await geometry(s.agent)).zoom < 200; i++) await s.agent.click('[data-zoom=in]');
      const before = await s.agent.$eval(root, (r) => r.scrollTop);
      const box = (await (await s.agent.$(root))!.boundingBox())!;
      await s.agent.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await s.agent.mouse.wheel(0, 400);
      // Zoomed past the room: the wheel pans the agent's own view; the visitor's page does not move.
      await expect.poll(() => s.agent.$eval(root, (r) => r.scrollTop), { timeout: 5000 }).toBeGreaterThan(before);
      expect(await s.visitor.evaluate(() => scrollY)).toBe(0);
    } finally {
      await done(s);
    }
  });
});

describe('full screen', () => {
  it('the button shows the viewer’s container full screen, and again leaves it', async () => {
    const s = await shareDemoAt({ width: 1200, height: 800 }, { width: 1280, height: 720 });
    try {
      await s.agent.click('[data-fullscreen]');
      await s.agent.waitForFunction(() => document.fullscreenElement === document.querySelector('.view'));
      await expect.poll(async () => (await s.agent.getAttribute('[data-fullscreen]', 'aria-pressed')) ?? '').toBe('true');
      // The page fits the whole screen now.
      const g = await geometry(s.agent);
      expect(g.stage.right).toBeLessThanOrEqual(g.container.right + 0.5);
      await s.agent.screenshot({ path: `${SHOTS}/fullscreen.png` });
      await s.agent.evaluate(() => document.exitFullscreen());
      await s.agent.waitForFunction(() => document.fullscreenElement === null);
      await expect.poll(async () => s.agent.getAttribute('[data-fullscreen]', 'aria-label')).toBe('Full screen');
    } finally {
      await done(s);
    }
  });
});

const BAR = '.session-bar :is(button, input, .pill, .who, .mode, .zoom-level, .url)';
/** The bar and the row under it (the pointer tools, the roster). */
const BARS = `${BAR}, .tool-row :is(button, li)`;

/** Every visible control of the session bar (and of its open menu): inside the window, none over another, none wrapped. */
const barProblems = (agent: Page, selector = BARS) => layoutProblems(agent, selector, { min: 5 });

describe('the session bar', () => {
  for (const [page, mode] of [
    ['react.html', 'view'],
    ['react.html', 'navigate'],
  ] as const)
    it(`fits at 360, 820 and 1440 px wide in ${mode} mode, its secondary controls folded into a menu when narrow`, async () => {
      const s = await shareSite(page, mode);
      try {
        for (const width of [360, 820, 1440]) {
          await s.agent.setViewportSize({ width, height: 720 });
          await s.agent.waitForTimeout(100);
          expect(await barProblems(s.agent), `at ${width} px`).toEqual([]);
          await s.agent.screenshot({ path: `${SHOTS}/bar-${mode}-${width}.png` });
          const folded = await s.agent.isVisible('.more-toggle');
          expect(folded, `menu at ${width} px`).toBe(width < 1440);
          if (folded) {
            await s.agent.click('.more-toggle');
            expect(await s.agent.getAttribute('.more-toggle', 'aria-expanded')).toBe('true');
            const ask = mode === 'view' ? 'navigate' : 'control';
            expect(await s.agent.isVisible(`[data-ask=${ask}]`)).toBe(true);
            // The open menu lies over the row below it, as a menu does: the bar's own controls are checked.
            expect(await barProblems(s.agent, BAR), `menu open at ${width} px`).toEqual([]);
            await s.agent.screenshot({ path: `${SHOTS}/bar-${mode}-${width}-menu.png` });
            if (width === 820) expect(await axeProblems(s.agent, ['.session-bar', '.tool-row'])).toEqual([]);
            await s.agent.keyboard.press('Escape');
            expect(await s.agent.getAttribute('.more-toggle', 'aria-expanded')).toBe('false');
            expect(await s.agent.isVisible(`[data-ask=${ask}]`)).toBe(false);
          }
        }
      } finally {
        await done(s);
      }
    });

  it('ending for everyone asks first; Cancel keeps the session, "End for everyone" ends it', async () => {
    const s = await shareSite('react.html', 'view', { width: 820, height: 720 });
    try {
      await s.agent.click('.session-bar .danger');
      const dialog = await s.agent.waitForSelector('dialog.confirm[open]');
      expect(await dialog.isVisible()).toBe(true);
      // Cancel has the focus: Enter by habit does not end anything.
      expect(await s.agent.evaluate(() => document.activeElement?.getAttribute('data-cancel') === 'end')).toBe(true);
      await s.agent.screenshot({ path: `${SHOTS}/confirm-end.png` });
      expect(await axeProblems(s.agent, ['dialog.confirm'])).toEqual([]);
      await s.agent.click('[data-cancel=end]');
      await s.agent.waitForSelector('dialog.confirm', { state: 'hidden' });
      await s.agent.waitForTimeout(300);
      expect(await s.agent.getAttribute('[data-session-state]', 'data-session-state')).toBe('live');
      expect(await s.visitor.isVisible('tandem-ui [data-action=stop]')).toBe(true);
      // Escape cancels too.
      await s.agent.click('.session-bar .danger');
      await s.agent.waitForSelector('dialog.confirm[open]');
      await s.agent.keyboard.press('Escape');
      await s.agent.waitForSelector('dialog.confirm', { state: 'hidden' });
      expect(await s.agent.getAttribute('[data-session-state]', 'data-session-state')).toBe('live');

      await s.agent.click('.session-bar .danger');
      await s.agent.click('[data-confirm=end]');
      await s.visitor.waitForSelector('tandem-ui .panel:has-text("Sharing ended.")', { timeout: 10_000 });
    } finally {
      await done(s);
    }
  });
});

describe('the watch page', () => {
  it('zooms, goes full screen, fits its bar from 360 px up, and asks before the agent ends the session', async () => {
    const visitor = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
    await visitor.goto(`${site.url}/react.html?server=${encodeURIComponent(server.url)}&mode=view`);
    await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
    const code = await consentAndCode(visitor);
    // The watch page's CSP would refuse the test's axe-core script, not anything of the page's own.
    const agentCtx = await browser.newContext({ viewport: { width: 820, height: 720 }, bypassCSP: true });
    const agent = await agentCtx.newPage();
    try {
      await agent.goto(`${server.url}/console/`);
      await agent.fill('#email', ADMIN.email);
      await agent.fill('#password', ADMIN.password);
      await agent.click('button[type=submit]');
      await agent.waitForSelector('#code');
      await agent.goto(`${server.url}/watch#code=${code}`);
      await agent.waitForSelector('body[data-state=live]', { timeout: 30_000 });
      await viewportIs(agent, 1000, 700);
      const controls = '#bar :is(button, #zoom-level)';

      for (const width of [360, 820, 1440]) {
        await agent.setViewportSize({ width, height: 720 });
        await agent.waitForTimeout(100);
        expect(await barProblems(agent, controls), `at ${width} px`).toEqual([]);
        await agent.screenshot({ path: `${SHOTS}/watch-${width}.png` });
        const folded = await agent.isVisible('.more-toggle');
        expect(folded, `menu at ${width} px`).toBe(width < 760);
        if (folded) {
          await agent.click('.more-toggle');
          expect(await agent.isVisible('[data-mode=control]')).toBe(true);
          expect(await barProblems(agent, controls), `menu open at ${width} px`).toEqual([]);
          await agent.screenshot({ path: `${SHOTS}/watch-${width}-menu.png` });
          expect(await axeProblems(agent, ['#bar'])).toEqual([]);
          await agent.keyboard.press('Escape');
          expect(await agent.isVisible('[data-mode=control]')).toBe(false);
        }
      }

      // Zoom in by the keyboard: the buttons take focus and Enter.
      const before = Number(await agent.getAttribute('.tandem-viewer', 'data-zoom'));
      await agent.focus('[data-zoom=in]');
      await agent.keyboard.press('Enter');
      await expect.poll(async () => Number(await agent.getAttribute('.tandem-viewer', 'data-zoom'))).toBeGreaterThan(before);
      expect(await agent.textContent('#zoom-level')).toBe(`${await agent.getAttribute('.tandem-viewer', 'data-zoom')}%`);
      await agent.click('[data-zoom=fit]');
      await expect.poll(async () => Number(await agent.getAttribute('.tandem-viewer', 'data-zoom'))).toBe(before);

      await agent.click('#fullscreen');
      await agent.waitForFunction(() => document.fullscreenElement === document.getElementById('view'));
      // The label follows the browser's fullscreenchange event, which comes after the element is set.
      await expect.poll(async () => agent.getAttribute('#fullscreen', 'aria-label')).toBe('Leave full screen');
      await agent.screenshot({ path: `${SHOTS}/watch-fullscreen.png` });
      await agent.evaluate(() => document.exitFullscreen());
      await agent.waitForFunction(() => document.fullscreenElement === null);

      await agent.click('#end');
      await agent.waitForSelector('#confirm-end[open]');
      await agent.screenshot({ path: `${SHOTS}/watch-confirm-end.png` });
      await agent.click('#confirm-end-no');
      await agent.waitForSelector('#confirm-end', { state: 'hidden' });
      await agent.waitForTimeout(300);
      expect(await agent.getAttribute('body', 'data-state')).toBe('live');
      expect(await visitor.isVisible('tandem-ui [data-action=stop]')).toBe(true);
      await agent.click('#end');
      await agent.click('#confirm-end-yes');
      await visitor.waitForSelector('tandem-ui .panel:has-text("Sharing ended.")', { timeout: 10_000 });
    } finally {
      await agentCtx.close();
      await visitor.context().close();
    }
  });
});
