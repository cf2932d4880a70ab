/**
 * Two agents in one session, in a real Chromium against one real server: the
 * admin and a colleague join the demo visitor from two browser contexts. Each
 * sees the other's pointer labelled in the other's colour, its own in its own;
 * the visitor sees both, and both names in the panel; the console lists the
 * agents with their colours. The colleague leaves: the session goes on for the
 * admin and the visitor. Screenshots go to /tmp/shots-agents/.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AGENT_COLORS } from '@tandem/protocol';
import { createAgent } from '@tandem/server';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN } from '../helpers/server.js';
import { deployments, type Deployment } from '../helpers/deployment.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';

const SHOTS = '/tmp/shots-agents';
const LEE = { email: 'lee@example.test', password: 'lee password 123', name: 'Lee Chen' };

let server: Deployment;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(() => browser?.close());

async function context(width: number, height: number): Promise<BrowserContext> {
  const c = await browser.newContext({ viewport: { width, height } });
  contexts.push(c);
  return c;
}

/** Lee signs in to the console in their own browser and joins with the code. */
async function joinAsLee(ctx: BrowserContext, code: string): Promise<Page> {
  const page = await ctx.newPage();
  // On a cluster: Lee on the visitor's node, the admin on the other.
  await page.goto(`${server.visitorUrl}/console/`);
  await page.fill('#email', LEE.email);
  await page.fill('#password', LEE.password);
  await page.click('button[type=submit]');
  await page.fill('#code', code);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-session-state=live]', { timeout: 30_000 });
  return page;
}

type Row = { id: string; text: string; swatch: string };

/** The roster in the console: names with the colour of each swatch. */
function roster(page: Page): Promise<Row[]> {
  return page.$$eval('.roster li', (items) =>
    items.map((li) => ({
      id: (li as HTMLElement).dataset.agentId!,
      // The name and "(you)": not the controls' badge nor its buttons.
      text: (() => {
        const copy = li.cloneNode(true) as Element;
        copy.querySelectorAll('.holder-badge, button').forEach((x) => x.remove());
        return copy.textContent.trim();
      })(),
      swatch: getComputedStyle(li.querySelector('.swatch')!).backgroundColor,
    })),
  );
}

/** Moves the mouse over the middle of the mirrored page, in steps, as a person would. */
async function pointAtMirror(page: Page, fx: number, fy: number): Promise<void> {
  const box = (await (await page.$('.tandem-overlay'))!.boundingBox())!;
  await page.mouse.move(box.x + 5, box.y + 5);
  await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 8 });
}

/** The other agent's cursor in this viewer: its label and the colour of its arrow and label. */
async function peerCursor(page: Page, agentId: string) {
  const el = await page.waitForSelector(`[data-cursor=peer][data-agent-id="${agentId}"]`, { state: 'visible', timeout: 10_000 });
  return el.evaluate((c) => ({
    label: c.querySelector('span')!.textContent,
    labelColor: getComputedStyle(c.querySelector('span')!).backgroundColor,
    arrow: c.querySelector('path')!.getAttribute('fill'),
  }));
}

/** An agent's cursor on the visitor's page (in the panel's shadow root). */
async function visitorCursor(page: Page, agentId: string) {
  const el = await page.waitForSelector(`tandem-ui .cursor[data-agent="${agentId}"]`, { state: 'visible', timeout: 10_000 });
  return el.evaluate((c) => ({
    label: c.querySelector('.label')!.textContent,
    labelColor: getComputedStyle(c.querySelector('.label')!).backgroundColor,
    arrow: getComputedStyle(c.querySelector('path')!).fill,
  }));
}

const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

for (const { label, start } of await deployments()) {
  describe(`two agents in one session, ${label}`, () => {
    beforeAll(async () => {
      server = await start();
      // A colleague who is not an admin: joins with the visitor's code, as the admin does.
      await createAgent(server.store, { ...LEE, role: 'agent' });
    });
    afterAll(async () => {
      for (const c of contexts.splice(0)) await c.close();
      await server?.stop();
    });

    it('each sees the other’s labelled pointer in its colour, the visitor sees both, one leaves and the other stays', async () => {
      const visitorCtx = await context(1100, 760);
      const { page: visitor, code } = await shareDemo(visitorCtx, server.visitorUrl);
      const admin = await joinInConsole(await context(1280, 820), server.agentUrl, code);
      const lee = await joinAsLee(await context(1280, 820), code);

      // The roster, the same in both consoles: join order, a swatch in each agent's colour, "(you)" for oneself.
      await expect.poll(() => roster(admin).then((r) => r.length)).toBe(2);
      await expect.poll(() => roster(lee).then((r) => r.length)).toBe(2);
      const [adminRow, leeRow] = (await roster(admin)) as [Row, Row];
      expect(adminRow).toMatchObject({ text: `${ADMIN.name} (you)`, swatch: rgb(AGENT_COLORS[0]) });
      expect(leeRow).toMatchObject({ text: LEE.name, swatch: rgb(AGENT_COLORS[1]) });
      expect(await roster(lee)).toEqual([
        { ...adminRow, text: ADMIN.name },
        { ...leeRow, text: `${LEE.name} (you)` },
      ]);
      // Leaving and ending are two buttons, and the one that ends says so.
      expect(await admin.textContent('[data-action=end]')).toBe('End for everyone');
      expect(await admin.textContent('[data-action=leave]')).toBe('Leave');

      // The admin points: Lee sees it, labelled, in the admin's colour; the admin's own arrow is its colour too.
      await pointAtMirror(admin, 0.3, 0.3);
      expect(await peerCursor(lee, adminRow.id)).toEqual({ label: ADMIN.name, labelColor: rgb(AGENT_COLORS[0]), arrow: AGENT_COLORS[0] });
      expect(await admin.getAttribute('[data-cursor=agent]', 'data-color')).toBe(AGENT_COLORS[0]);
      // Lee points: the admin sees Lee's, in Lee's colour; Lee's own cursor is Lee's colour.
      await pointAtMirror(lee, 0.6, 0.5);
      expect(await peerCursor(admin, leeRow.id)).toEqual({ label: LEE.name, labelColor: rgb(AGENT_COLORS[1]), arrow: AGENT_COLORS[1] });
      expect(await lee.getAttribute('[data-cursor=agent]', 'data-color')).toBe(AGENT_COLORS[1]);
      // Nobody sees their own pointer twice.
      expect(await admin.$(`[data-cursor=peer][data-agent-id="${adminRow.id}"]`)).toBeNull();
      expect(await lee.$(`[data-cursor=peer][data-agent-id="${leeRow.id}"]`)).toBeNull();

      // The visitor sees both pointers, each labelled in its agent's colour, and both names in the panel.
      expect(await visitorCursor(visitor, adminRow.id)).toEqual({
        label: ADMIN.name,
        labelColor: rgb(AGENT_COLORS[0]),
        arrow: rgb(AGENT_COLORS[0]),
      });
      expect(await visitorCursor(visitor, leeRow.id)).toEqual({
        label: LEE.name,
        labelColor: rgb(AGENT_COLORS[1]),
        arrow: rgb(AGENT_COLORS[1]),
      });
      await expect.poll(() => visitor.$$eval('tandem-ui .agents li', (li) => li.map((x) => x.textContent))).toEqual([ADMIN.name, LEE.name]);

      await admin.screenshot({ path: `${SHOTS}/admin-sees-lee.png` });
      await lee.screenshot({ path: `${SHOTS}/lee-sees-admin.png` });
      await visitor.screenshot({ path: `${SHOTS}/visitor-sees-both.png` });

      // Lee leaves: back to the code box; the session goes on for the admin and the visitor.
      await lee.click('[data-action=leave]');
      await lee.waitForSelector('#code');
      await expect.poll(() => roster(admin).then((r) => r.map((x) => x.text))).toEqual([`${ADMIN.name} (you)`]);
      await admin.waitForSelector(`[data-cursor=peer][data-agent-id="${leeRow.id}"]`, { state: 'detached' });
      await expect.poll(() => visitor.$$eval('tandem-ui .agents li', (li) => li.map((x) => x.textContent))).toEqual([ADMIN.name]);
      await visitor.waitForSelector(`tandem-ui .cursor[data-agent="${leeRow.id}"]`, { state: 'detached' });
      expect(await admin.getAttribute('[data-session-state]', 'data-session-state')).toBe('live');
      expect(await visitor.$('tandem-ui [data-action=stop]')).not.toBeNull();
      // Still live: the admin's pointer still reaches the visitor.
      await pointAtMirror(admin, 0.5, 0.6);
      await visitor.waitForSelector(`tandem-ui .cursor[data-agent="${adminRow.id}"]`, { state: 'visible' });

      await admin.screenshot({ path: `${SHOTS}/admin-after-lee-left.png` });
      await visitor.screenshot({ path: `${SHOTS}/visitor-after-lee-left.png` });
      await lee.screenshot({ path: `${SHOTS}/lee-after-leaving.png` });
      // The bar and the roster in a side panel of an agent desktop (the bar's layout there is another change's).
      await admin.setViewportSize({ width: 820, height: 700 });
      await admin.screenshot({ path: `${SHOTS}/admin-820.png` });
    });

    it('brings a colleague in with the link, hands the controls over on request, and leaves ending to the holder', async () => {
      const { page: visitor, code } = await shareDemo(await context(1000, 700), server.visitorUrl);
      const admin = await joinInConsole(await context(1280, 820), server.agentUrl, code);
      // The admin shows the code and the link that brings a colleague in.
      await admin.click('[data-invite-colleague]');
      expect(await admin.getAttribute('[data-colleague-code]', 'data-colleague-code')).toBe(code);
      const link = await admin.inputValue('#colleague-link');
      expect(link).toBe(`${server.agentUrl}/console/#/join/${code}`);
      await admin.screenshot({ path: `${SHOTS}/invite-colleague.png` });
      await admin.keyboard.press('Escape');
      expect(await admin.isVisible('#colleague-panel')).toBe(false);

      // Lee opens the link and signs in: the code is filled in, and Lee joins with a click (a link never joins unasked).
      const lee = await (await context(1280, 820)).newPage();
      await lee.goto(link);
      await lee.fill('#email', LEE.email);
      await lee.fill('#password', LEE.password);
      await lee.click('button[type=submit]');
      await lee.waitForSelector('#code');
      expect(await lee.inputValue('#code')).toBe(code);
      expect(await lee.evaluate(() => location.hash)).toBe('#/sessions');
      expect(await lee.$('[data-session-state]')).toBeNull();
      await lee.click('[data-join]');
      await lee.waitForSelector('[data-session-state=live]', { timeout: 30_000 });
      await expect.poll(() => roster(admin).then((r) => r.length)).toBe(2);
      const [adminRow, leeRow] = (await roster(lee)) as [Row, Row];

      // The admin joined first: it has the controls. Lee may not end the session for everyone.
      expect(await lee.getAttribute(`.roster li[data-agent-id="${adminRow.id}"]`, 'data-holder')).toBe('true');
      expect(await lee.isDisabled('[data-action=end]')).toBe(true);
      expect(await lee.getAttribute('[data-action=end]', 'title')).toMatch(/controls/);
      expect(await admin.isDisabled('[data-action=end]')).toBe(false);

      // Lee asks for the controls; the admin hands them over from the notice.
      await lee.click('[data-ask-control]');
      await admin.waitForSelector(`[data-grant-control="${leeRow.id}"]`, { timeout: 5000 });
      expect(await admin.textContent('[data-notice=controlAsked]')).toContain(`${LEE.name} asks for the controls.`);
      await admin.screenshot({ path: `${SHOTS}/control-asked.png` });
      await admin.click(`[data-grant-control="${leeRow.id}"]`);
      await lee.waitForSelector(`.roster li[data-agent-id="${leeRow.id}"][data-holder]`, { timeout: 5000 });
      await admin.waitForSelector(`.roster li[data-agent-id="${leeRow.id}"][data-holder]`, { timeout: 5000 });
      expect(await lee.textContent('[data-notice=control]')).toBe('You have the controls now.');
      expect(await lee.isDisabled('[data-action=end]')).toBe(false);
      // The admin may still end it (an admin), and may ask for them back, or take them.
      expect(await admin.isDisabled('[data-action=end]')).toBe(false);
      expect(await admin.isVisible('[data-ask-control]')).toBe(true);
      expect(await admin.isVisible('[data-take-control]')).toBe(true);
      expect(await lee.$('[data-take-control]')).toBeNull();
      await lee.screenshot({ path: `${SHOTS}/lee-has-the-controls.png` });

      // Lee hands them back from the roster.
      await lee.click(`[data-hand-over="${adminRow.id}"]`);
      await admin.waitForSelector(`.roster li[data-agent-id="${adminRow.id}"][data-holder]`, { timeout: 5000 });
      await lee.waitForSelector('[data-action=end]:disabled');
      expect(await visitor.$('tandem-ui [data-action=stop]')).not.toBeNull();
    });
  });
}
