/**
 * The whole path of a session, end to end: a real server, a real Chromium with
 * a visitor tab on the demo and an agent tab in the console. The tests run in
 * order and share one session, as a visitor and an agent would.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN } from '../helpers/server.js';
import { deployments, type Deployment } from '../helpers/deployment.js';
import { frameReader } from '../helpers/frames.js';

const TYPED_NAME = 'Zanzibar Quokka';
const PASSWORD = 'hunter2-Secr3t-pw';
const CARD = '4111 1111 1111 1111';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

// The same session on one node, and on two nodes of a cluster with the visitor on one and the agent on the other.
for (const { label, start } of await deployments()) {
  describe(`a session, ${label}`, () => {
    let server: Deployment;
    let visitorCtx: BrowserContext;
    let agentCtx: BrowserContext;
    let visitor: Page;
    let agent: Page;
    let code: string;
    /** Every WebSocket frame either page sent or received, decoded. */
    const frames: string[] = [];

    function record(page: Page): void {
      page.on('websocket', (ws) => {
        const [out, into] = [frameReader(), frameReader()];
        ws.on('framesent', (f) => frames.push(out(f.payload)));
        ws.on('framereceived', (f) => frames.push(into(f.payload)));
      });
    }

    type Check = { selector: string; value?: string; valueLength?: number; text?: string } | { scrollY: number };

    /**
     * Waits until `check` holds in the rebuilt page inside the agent's viewer. It
     * reads through the iframe's contentDocument from the console page, as the
     * viewer itself does, so a snapshot that replaces the document cannot strand it.
     */
    function inView(check: Check, timeout = 10_000) {
      return agent.waitForFunction(
        (c) => {
          const frame = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]');
          const doc = frame?.contentDocument;
          if (!doc) return false;
          if ('scrollY' in c) return Math.abs(frame.contentWindow!.scrollY - c.scrollY) < 2;
          const el = doc.querySelector<HTMLInputElement>(c.selector);
          if (!el) return false;
          if (c.value !== undefined && el.value !== c.value) return false;
          if (c.valueLength !== undefined && el.value.length !== c.valueLength) return false;
          return c.text === undefined || el.textContent.includes(c.text);
        },
        check,
        { timeout, polling: 20 },
      );
    }

    beforeAll(async () => {
      server = await start();
      frames.length = 0;
      visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
      agentCtx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
      visitor = await visitorCtx.newPage();
      agent = await agentCtx.newPage();
      record(visitor);
      record(agent);
    });

    afterAll(async () => {
      await visitorCtx?.close();
      await agentCtx?.close();
      await server?.stop();
    });

    describe('a co-browsing session on the demo', () => {
      it('visitor asks for help, consents and gets a code; the agent joins with it and sees the page', async () => {
        await visitor.goto(`${server.visitorUrl}/demo/booking.html`);
        await visitor.click('#get-help');
        // Nothing is sent before consent: the consent prompt is up and no socket is open yet.
        await visitor.waitForSelector('tandem-ui [data-action=accept]');
        if (process.env.TANDEM_SCREENSHOTS) await visitor.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'visitor-consent.png') });
        expect(frames).toHaveLength(0);
        await visitor.click('tandem-ui [data-action=accept]');
        const codeEl = await visitor.waitForSelector('tandem-ui [data-code]');
        code = (await codeEl.getAttribute('data-code'))!;
        expect(code).toMatch(/^\d{6}$/);
        expect(await codeEl.textContent()).toContain(code.slice(0, 3));

        await agent.goto(`${server.agentUrl}/console/`);
        await agent.fill('#email', ADMIN.email);
        await agent.fill('#password', ADMIN.password);
        await agent.click('button[type=submit]');
        await agent.fill('#code', code);
        await agent.click('button[type=submit]');
        await inView({ selector: '#booking-form' });
        await inView({ selector: 'header', text: 'Tandem Travel' });
        // The visitor's bar now names the agent.
        await visitor.waitForSelector(`tandem-ui .panel:has-text("Sharing this tab with ${ADMIN.name}")`);
        // The site's stylesheet reached the rebuilt page: the header is laid out as on the visitor's screen.
        await inView({ selector: 'header', text: 'Tandem Travel' });
        await agent.waitForFunction(() => {
          const doc = (document.querySelector('iframe[data-tandem-view]') as HTMLIFrameElement).contentDocument!;
          // Same-origin stylesheets arrive as the CSSOM holds them, inlined.
          return Array.from(doc.styleSheets).some((sheet) => sheet.cssRules.length > 10 && sheet.cssRules[0]!.cssText.length > 0);
        });
        if (process.env.TANDEM_SCREENSHOTS) {
          await agent.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'agent-view.png') });
          await visitor.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'visitor.png') });
        }
      });

      it('what the visitor types reaches the agent', async () => {
        // How fast is measured by the benchmarks (bench/), not asserted here: a loaded machine would make it flaky.
        await visitor.click('#name');
        await visitor.keyboard.type(TYPED_NAME);
        await inView({ selector: '#name', value: TYPED_NAME }, 15_000);
        // The field the visitor is in shows focused on the agent's view, as the page's :focus rules draw it.
        await inView({ selector: '#name[data-tandem-focus][data-tandem-focus-visible]' });
      });

      it('rich text in the demo’s editor reaches the agent with its formatting', async () => {
        await visitor.click('#notes');
        await visitor.keyboard.type('Aisle seat, ');
        await visitor.click('.rte-toolbar [data-cmd=bold]');
        await visitor.keyboard.type('vegetarian meal');
        await inView({ selector: '#notes b', text: 'vegetarian meal' });
        await inView({ selector: '#notes', text: 'Aisle seat, ' });
      });

      it('a password (or card number) typed by the visitor never appears in any WebSocket frame', async () => {
        await visitor.click('#card');
        await visitor.keyboard.type(CARD);
        await visitor.click('#password');
        await visitor.keyboard.type(PASSWORD);
        // The masked value does arrive: the agent sees that something was typed.
        await inView({ selector: '#password', valueLength: PASSWORD.length });
        expect(frames.length).toBeGreaterThan(3);
        expect(frames.some((f) => f.includes(TYPED_NAME))).toBe(true);
        await inView({ selector: '#card', value: CARD.replace(/\S/g, '*') });
        for (const f of frames) {
          expect(f).not.toContain(PASSWORD);
          expect(f).not.toContain('4111');
        }
      });

      it('when the visitor scrolls, the agent view scrolls', async () => {
        await visitor.mouse.move(500, 400);
        await visitor.mouse.wheel(0, 500);
        await visitor.waitForFunction(() => window.scrollY > 300);
        const visitorY = await visitor.evaluate(() => window.scrollY);
        await inView({ scrollY: visitorY });
      });

      it("the agent's pointer is shown to the visitor with the agent's name, and the visitor's to the agent", async () => {
        const stage = await agent.waitForSelector('.tandem-overlay');
        const box = (await stage.boundingBox())!;
        await agent.mouse.move(box.x + 200, box.y + 150);
        await agent.mouse.move(box.x + 240, box.y + 180, { steps: 4 });
        const cursor = await visitor.waitForSelector('tandem-ui .cursor');
        expect(await cursor.textContent()).toBe(ADMIN.name);
        const t = await cursor.evaluate((el) => (el as HTMLElement).style.transform);
        expect(t).toMatch(/translate\(\d+px, \d+px\)/);

        await visitor.mouse.move(300, 250);
        await visitor.mouse.move(320, 260, { steps: 3 });
        const visitorCursor = await agent.waitForSelector('[data-cursor=visitor]', { state: 'visible' });
        expect(await visitorCursor.textContent()).toBe('Alex Traveler');
        const ownCursor = await agent.waitForSelector('[data-cursor=agent]', { state: 'visible' });
        expect(await ownCursor.textContent()).toBe('You');
        // What the visitor's pointer is over is hovered on the agent's view too, down to the same element.
        const hovered = await visitor.evaluate(() => {
          const el = Array.from(document.querySelectorAll(':hover'))
            .filter((e) => e.localName !== 'tandem-ui')
            .at(-1);
          return el && `${el.localName}:${el.textContent.trim().slice(0, 40)}`;
        });
        expect(hovered).toBeTruthy();
        await agent.waitForFunction(
          (want) => {
            const doc = (document.querySelector('iframe[data-tandem-view]') as HTMLIFrameElement).contentDocument!;
            const el = Array.from(doc.querySelectorAll('[data-tandem-hover]')).at(-1);
            return !!el && `${el.localName}:${el.textContent.trim().slice(0, 40)}` === want;
          },
          hovered,
          { timeout: 10_000, polling: 50 },
        );
      });

      it('the visitor goes to another page: the agent sees it, with the same code', async () => {
        await visitor.evaluate(() => window.scrollTo(0, 0));
        await visitor.click('header a[href="results.html"]');
        await visitor.waitForURL(/results\.html/);
        await inView({ selector: '#results-title' });
        const sameCode = await visitor.evaluate(
          () => new Promise<string | null>((resolve) => (window as any).Tandem('getSessionCode', resolve)),
        );
        expect(sameCode).toBe(code);
        await visitor.waitForSelector(`tandem-ui .panel:has-text("Sharing this tab with ${ADMIN.name}")`);
      });

      it('the standalone /watch page (for agent desktops) shows the same session under a strict CSP', async () => {
        const [live] = await server.registry.listSessions();
        const watch = await agentCtx.newPage();
        const response = await watch.goto(`${server.agentUrl}/watch#session=${live!.id}`);
        expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
        // The fragment is read, then taken off the address.
        await watch.waitForFunction(() => location.hash === '');
        await watch.waitForFunction(() => {
          const frame = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]');
          return !!frame?.contentDocument?.querySelector('#results-title');
        });
        await watch.waitForSelector('#status:has-text("Watching Alex Traveler")');
        await watch.close();
      });

      it('the visitor clicks Stop: the agent sees the session ended; the server keeps who, when and how, and no page content', async () => {
        await visitor.click('tandem-ui [data-action=stop]');
        await agent.waitForSelector('[data-ended]:has-text("The visitor stopped sharing.")');
        if (process.env.TANDEM_SCREENSHOTS) await agent.screenshot({ path: join(process.env.TANDEM_SCREENSHOTS, 'agent-ended.png') });
        expect(await visitor.locator('tandem-ui').count()).toBe(0);

        const sessions = await server.store.listSessions({ limit: 10 });
        expect(sessions).toHaveLength(1);
        // The agent can hear of the end before its record is written (two nodes: the other one writes it).
        await expect.poll(async () => (await server.store.getSession(sessions[0]!.id))?.endReason, { timeout: 5000 }).toBe('visitor');
        const stored = (await server.store.getSession(sessions[0]!.id))!;
        expect(stored.code).toBe(code);
        expect(stored.visitorName).toBe('Alex Traveler');
        expect(stored.endReason).toBe('visitor');
        expect(Date.parse(stored.endedAt!)).toBeGreaterThan(Date.parse(stored.createdAt));
        // One agent, though they watched from the console and the watch page at once.
        expect(stored.agents.map((a) => a.agentName)).toEqual([ADMIN.name]);

        // Nothing of the page is at rest: every file of the data directories, every value in Redis.
        const atRest = await server.atRest();
        expect(atRest.length).toBeGreaterThan(1000);
        expect(atRest).not.toContain(TYPED_NAME);
        expect(atRest).not.toContain('Flights from');
      });
    });
  });
}
