/**
 * Ink over the visitor's page, in a real Chromium against one real server: the
 * admin and a colleague (Lee) join the demo visitor from their own browsers. The
 * admin's highlight, freehand stroke and laser appear on the visitor's page where
 * they were drawn, in the admin's colour, are seen by Lee (and by the admin
 * itself), and fade by themselves. Text selections travel both ways as positions
 * only: the visitor's shows in both viewers, Lee's on the visitor's page and in
 * the admin's viewer. Clear removes everyone's ink on every side.
 * Screenshots go to /tmp/shots-ink/.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Frame, Page } from 'playwright-core';
import { AGENT_COLORS } from '@tandem/protocol';
import { createAgent } from '@tandem/server';
import { launchBrowser } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { joinInConsole, shareDemo } from '../helpers/site.js';
import { joinAsAgent, signIn } from '../helpers/clients.js';

const SHOTS = '/tmp/shots-ink';
const LEE = { email: 'lee@example.test', password: 'lee password 123', name: 'Lee Chen' };
const ADMIN_COLOR = AGENT_COLORS[0];
const LEE_COLOR = AGENT_COLORS[1];

let server: TestServer;
let browser: Browser;
let visitor: Page;
let admin: Page;
let lee: Page;
let code: string;
/** What the visitor's page sent on its socket (JSON messages only). */
const sentByVisitor: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startTestServer();
  await createAgent(server.context.store, { ...LEE, role: 'agent' });
  browser = await launchBrowser();
  const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  visitorCtx.on('page', (p) =>
    p.on('websocket', (ws) => ws.on('framesent', (f) => typeof f.payload === 'string' && sentByVisitor.push(f.payload))),
  );
  const shared = await shareDemo(visitorCtx, server.url);
  visitor = shared.page;
  code = shared.code;
  admin = await joinInConsole(await browser.newContext({ viewport: { width: 1300, height: 860 } }), server.url, shared.code);
  lee = await (await browser.newContext({ viewport: { width: 1300, height: 860 } })).newPage();
  await lee.goto(`${server.url}/console/`);
  await lee.fill('#email', LEE.email);
  await lee.fill('#password', LEE.password);
  await lee.click('button[type=submit]');
  await lee.fill('#code', shared.code);
  await lee.click('button[type=submit]');
  await lee.waitForSelector('[data-session-state=live]', { timeout: 30_000 });
  await admin.waitForFunction(() => document.querySelectorAll('.roster li').length === 2);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The mirror's frame in a console. */
async function mirror(page: Page): Promise<Frame> {
  return (await (await page.$('[data-tandem-view]'))!.contentFrame())!;
}

/** From CSS px of the visitor's viewport to the agent's screen (the viewer scales the page). */
async function toScreen(page: Page, x: number, y: number): Promise<[number, number]> {
  const box = (await (await page.$('.tandem-overlay'))!.boundingBox())!;
  const scale = box.width / 1000;
  return [box.x + x * scale, box.y + y * scale];
}

/** An element's box on the visitor's page, in CSS px of its viewport. */
function boxOn(frame: Page | Frame, selector: string) {
  return frame.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
}

async function chooseTool(page: Page, tool: string): Promise<void> {
  await page.click(`.ink-tools [data-tool=${tool}]`);
  expect(await page.getAttribute(`.ink-tools [data-tool=${tool}]`, 'aria-pressed')).toBe('true');
}

/** Ink of one owner on the visitor's page (in the panel's shadow root) or in a viewer. */
const inkSelector = (kind: string, owner: string) => `[data-tandem-ink] [data-ink=${kind}][data-owner="${owner}"]`;

async function agentId(page: Page): Promise<string> {
  return page.$eval('.roster li:has(small)', (li) => (li as HTMLElement).dataset.agentId!);
}

describe('ink', () => {
  it('a highlight, a stroke and the laser appear on the visitor’s page where they were made, in the agent’s colour, and fade', async () => {
    const adminId = await agentId(admin);
    const heading = await boxOn(visitor, 'h1');

    // Highlight: a click on the heading in the mirror outlines it on the visitor's page, for Lee, and for the admin.
    await chooseTool(admin, 'highlight');
    await admin.mouse.click(...(await toScreen(admin, heading.x + 20, heading.y + heading.height / 2)));
    for (const page of [visitor, lee, admin]) await page.waitForSelector(inkSelector('highlight', adminId), { timeout: 5000 });
    const outline = await visitor.$eval(`tandem-ui ${inkSelector('highlight', adminId)} rect`, (r) => ({
      x: Number(r.getAttribute('x')),
      y: Number(r.getAttribute('y')),
      width: Number(r.getAttribute('width')),
      stroke: r.getAttribute('stroke'),
    }));
    expect(outline.stroke).toBe(ADMIN_COLOR);
    expect(Math.abs(outline.x - (heading.x - 4))).toBeLessThan(2);
    expect(Math.abs(outline.y - (heading.y - 4))).toBeLessThan(2);
    expect(Math.abs(outline.width - (heading.width + 8))).toBeLessThan(2);

    // A stroke drawn across the heading: on the visitor's page point by point where it was drawn.
    await chooseTool(admin, 'draw');
    const from: [number, number] = [heading.x + 10, heading.y + heading.height + 30];
    const to: [number, number] = [heading.x + 300, heading.y + heading.height + 60];
    await admin.mouse.move(...(await toScreen(admin, ...from)));
    await admin.mouse.down();
    await admin.mouse.move(...(await toScreen(admin, ...to)), { steps: 20 });
    await admin.mouse.up();
    const stroke = await visitor.waitForSelector(`tandem-ui ${inkSelector('stroke', adminId)}`, { timeout: 5000 });
    await expect.poll(() => stroke.evaluate((p) => (p.getAttribute('d')!.match(/[ML]/g) ?? []).length), { timeout: 5000 }).toBeGreaterThan(10);
    const endsOf = () =>
      stroke.evaluate((p) => {
        const path = p as SVGPathElement;
        const start = path.getPointAtLength(0);
        const end = path.getPointAtLength(path.getTotalLength());
        return { start: [start.x, start.y] as [number, number], end: [end.x, end.y] as [number, number], color: path.getAttribute('stroke') };
      });
    // The stroke's points come a few times a second as it is drawn: its end is where the pen lifted once the last came.
    await expect.poll(async () => Math.abs((await endsOf()).end[0] - to[0]), { timeout: 5000 }).toBeLessThan(3);
    const ends = await endsOf();
    expect(ends.color).toBe(ADMIN_COLOR);
    // Mapped through the viewer's scale: within a couple of page pixels of where the admin drew.
    for (const [got, want] of [
      [ends.start, from],
      [ends.end, to],
    ] as const) {
      expect(Math.abs(got[0] - want[0])).toBeLessThan(3);
      expect(Math.abs(got[1] - want[1])).toBeLessThan(3);
    }
    await lee.waitForSelector(inkSelector('stroke', adminId), { timeout: 5000 });

    // The laser: a dot where the pointer is, with a trail, in the admin's colour.
    await chooseTool(admin, 'laser');
    const spot: [number, number] = [600, 400];
    await admin.mouse.move(...(await toScreen(admin, 550, 380)));
    await admin.mouse.move(...(await toScreen(admin, ...spot)), { steps: 10 });
    const dot = await visitor.waitForSelector(`tandem-ui ${inkSelector('laser', adminId)}`, { timeout: 5000 });
    await expect
      .poll(() => dot.evaluate((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]), { timeout: 5000 })
      .toEqual([expect.closeTo(spot[0], -0.5), expect.closeTo(spot[1], -0.5)]);
    expect(await dot.evaluate((c) => c.getAttribute('fill'))).toBe(ADMIN_COLOR);
    await visitor.screenshot({ path: `${SHOTS}/visitor-ink.png` });
    await lee.screenshot({ path: `${SHOTS}/colleague-sees-ink.png` });
    await admin.screenshot({ path: `${SHOTS}/admin-draws.png` });

    // All three fade by themselves: nothing of them is left on the visitor's page a few seconds later.
    await admin.mouse.move(...(await toScreen(admin, 610, 405)));
    for (const kind of ['highlight', 'stroke', 'laser']) {
      await visitor.waitForSelector(`tandem-ui ${inkSelector(kind, adminId)}`, { state: 'detached', timeout: 8000 });
      await lee.waitForSelector(inkSelector(kind, adminId), { state: 'detached', timeout: 8000 });
    }
    await chooseTool(admin, 'point');
  });

  it('a text selection on either side is shown on the other, as positions only; clear removes the agents’ ink everywhere', async () => {
    const leeId = await agentId(lee);
    // The visitor selects the heading's text: both viewers show a selection over the heading in the mirror.
    const heading = await boxOn(visitor, 'h1');
    await visitor.mouse.move(heading.x + 1, heading.y + heading.height / 2);
    await visitor.mouse.down();
    await visitor.mouse.move(heading.x + heading.width - 1, heading.y + heading.height / 2, { steps: 10 });
    await visitor.mouse.up();
    const selected = await visitor.evaluate(() => document.getSelection()!.toString());
    expect(selected.length).toBeGreaterThan(10);
    for (const page of [admin, lee]) {
      const mark = await page.waitForSelector(`${inkSelector('selection', 'visitor')} rect`, { timeout: 5000 });
      const inMirror = await boxOn(await mirror(page), 'h1');
      const rect = await mark.evaluate((r) => ({
        x: Number(r.getAttribute('x')),
        y: Number(r.getAttribute('y')),
        fill: r.getAttribute('fill'),
      }));
      expect(rect.fill).toBe('#2563eb');
      expect(rect.y).toBeGreaterThanOrEqual(inMirror.y - 2);
      expect(rect.y).toBeLessThan(inMirror.y + inMirror.height);
    }
    // Positions only: the selected words never left the visitor's page.
    // (Playwright reports a socket's frames a moment after they went.)
    const selections = () => sentByVisitor.filter((m) => m.includes('"selection"'));
    await expect.poll(() => selections().length, { timeout: 5000 }).toBeGreaterThan(0);
    for (const m of selections()) expect(m).not.toContain(selected.slice(0, 8));
    await admin.screenshot({ path: `${SHOTS}/agent-sees-visitor-selection.png` });

    // Lee selects the intro paragraph in the mirror with the text tool: the visitor sees it in Lee's colour.
    await chooseTool(lee, 'text');
    const intro = await boxOn(await mirror(lee), 'main p');
    await lee.mouse.move(...(await toScreen(lee, intro.x + 1, intro.y + 8)));
    await lee.mouse.down();
    await lee.mouse.move(...(await toScreen(lee, intro.x + 200, intro.y + 8)), { steps: 10 });
    await lee.mouse.up();
    // The selection travels as it grows (a few times a second), then once more when the mouse is up: the
    // visitor's page shows the last one.
    const pageIntro = await boxOn(visitor, 'main p');
    const lastRect = () =>
      visitor.$$eval(
        `tandem-ui ${inkSelector('selection', leeId)} rect`,
        (rects) =>
          rects.map((r) => ({
            x: Number(r.getAttribute('x')),
            y: Number(r.getAttribute('y')),
            width: Number(r.getAttribute('width')),
            fill: r.getAttribute('fill'),
          }))[0],
      );
    await expect.poll(async () => (await lastRect())?.width ?? 0, { timeout: 5000 }).toBeGreaterThan(150);
    const rect = (await lastRect())!;
    expect(rect.fill).toBe(LEE_COLOR);
    expect(Math.abs(rect.x - pageIntro.x)).toBeLessThan(4);
    expect(rect.y).toBeGreaterThanOrEqual(pageIntro.y - 2);
    await admin.waitForSelector(inkSelector('selection', leeId), { timeout: 5000 });
    // The visitor's real selection is theirs: Lee's is drawn over the page, it does not replace it.
    expect(await visitor.evaluate(() => document.getSelection()!.toString())).toBe(selected);
    await visitor.screenshot({ path: `${SHOTS}/visitor-sees-agent-selection.png` });
    await lee.screenshot({ path: `${SHOTS}/agent-selects-text.png` });

    // Clear: every agent's ink goes on every side; the visitor's own selection stays shown to the agents.
    await lee.click('[data-tool-action=clear]');
    await visitor.waitForSelector(`tandem-ui ${inkSelector('selection', leeId)}`, { state: 'detached', timeout: 5000 });
    await admin.waitForSelector(inkSelector('selection', leeId), { state: 'detached', timeout: 5000 });
    expect(await lee.$(inkSelector('selection', leeId))).toBeNull();
    expect(await admin.$(inkSelector('selection', 'visitor'))).not.toBeNull();

    // The visitor clicks elsewhere: their selection goes from the viewers too.
    await visitor.mouse.click(5, 650);
    await admin.waitForSelector(inkSelector('selection', 'visitor'), { state: 'detached', timeout: 5000 });
    await chooseTool(lee, 'point');
  });

  it('a flood of ink from one agent stays bounded on the visitor’s page and leaves room for the others', async () => {
    const adminId = await agentId(admin);
    // Another socket of the admin's, outside any viewer: 150 strokes, and one stroke of 5,000 points.
    const flood = await joinAsAgent(server.url, await signIn(server.url), code);
    const pause = () => new Promise((r) => setTimeout(r, 15));
    for (let id = 1000; id < 1150; id++) {
      flood.sendJson({
        t: 'ink',
        a: {
          k: 'stroke',
          id,
          pts: [
            [10 + (id % 50), 300],
            [40, 320],
          ],
        },
      });
      await pause();
    }
    for (let i = 0; i < 80; i++) {
      flood.sendJson({ t: 'ink', a: { k: 'stroke', id: 5000, pts: Array.from({ length: 64 }, (_, j) => [j, i]) } });
      await pause();
    }
    // Lee draws once: still shown.
    const leeId = await agentId(lee);
    await chooseTool(lee, 'draw');
    await lee.mouse.move(...(await toScreen(lee, 100, 500)));
    await lee.mouse.down();
    await lee.mouse.move(...(await toScreen(lee, 300, 520)), { steps: 8 });
    await lee.mouse.up();
    await visitor.waitForSelector(`tandem-ui ${inkSelector('stroke', leeId)}`, { timeout: 5000 });
    await expect
      .poll(() => visitor.$$eval(`tandem-ui ${inkSelector('stroke', adminId)}`, (s) => s.length), { timeout: 5000 })
      .toBeGreaterThan(0);
    const shown = await visitor.$$eval(`tandem-ui ${inkSelector('stroke', adminId)}`, (paths) =>
      paths.map((p) => (p.getAttribute('d')!.match(/[ML]/g) ?? []).length),
    );
    // At most 30 strokes of one agent at once, at most 4,000 points in any of them.
    expect(shown.length).toBeLessThanOrEqual(30);
    expect(Math.max(...shown)).toBeLessThanOrEqual(4000);
    expect(flood.json.filter((m) => m.t === 'error')).toEqual([]);
    flood.ws.close();
    await chooseTool(lee, 'point');
  });
});
