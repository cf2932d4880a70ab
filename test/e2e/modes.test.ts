/**
 * Modes and agent actions, end to end: a React page and a Vue page on another
 * origin embed the real SDK; the agent works in the real console, clicking,
 * typing and scrolling over the mirror. Each mode is checked on the visitor's
 * real page: what it allows happens (the page's own handlers see it), what it
 * does not is refused with a reason the agent reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { ADMIN } from '../helpers/server.js';
import { consentAndCode, vendorRoutes } from '../helpers/site.js';
import { deployments, type Deployment } from '../helpers/deployment.js';
import { refusals } from '@tandem/protocol';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

// On one node, and on two nodes of a cluster: the visitor's page on one, the agent's console on the other.
for (const { label, start } of await deployments()) {
  describe(`modes, ${label}`, () => {
    let server: Deployment;
    let site: StaticServer;
    let agentCtx: BrowserContext;

    beforeAll(async () => {
      site = await serveStatic('test/corpus/sites', vendorRoutes());
      server = await start({ TANDEM_ALLOWED_ORIGINS: site.url });
      agentCtx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
      const page = await agentCtx.newPage();
      await page.goto(`${server.agentUrl}/console/`);
      await page.fill('#email', ADMIN.email);
      await page.fill('#password', ADMIN.password);
      await page.click('button[type=submit]');
      await page.waitForSelector('#code');
      await page.close();
    });

    afterAll(async () => {
      await agentCtx?.close();
      await server?.stop();
      await site?.close();
    });

    interface Shared {
      visitor: Page;
      agent: Page;
    }

    /** The visitor opens `page` in `mode`, consents; the agent joins in the console and sees it. */
    async function share(page: string, mode: string, ready = '#state'): Promise<Shared> {
      const visitor = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
      await visitor.goto(`${site.url}/${page}?server=${encodeURIComponent(server.visitorUrl)}&mode=${mode}`);
      await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
      await visitor.waitForSelector(ready);
      const agent = await joinInConsole(await consentAndCode(visitor), ready);
      await agent.waitForSelector(`.session-bar .mode[data-mode=${mode}]`);
      return { visitor, agent };
    }

    /** The signed-in agent enters the code in the console and waits until `ready` shows in the mirror. */
    async function joinInConsole(code: string, ready: string): Promise<Page> {
      const agent = await agentCtx.newPage();
      await agent.goto(`${server.agentUrl}/console/`);
      await agent.fill('#code', code);
      await agent.click('button[type=submit]');
      await inView(agent, ready);
      return agent;
    }

    async function done({ visitor, agent }: Shared): Promise<void> {
      await agent.close();
      await visitor.context().close();
    }

    function inView(agent: Page, selector: string) {
      return agent.waitForFunction(
        (sel) => !!document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument?.querySelector(sel),
        selector,
        { timeout: 10_000, polling: 20 },
      );
    }

    /** Where `selector` of the mirror is on the agent's screen (its centre, or an offset into it). */
    async function onScreen(agent: Page, selector: string, dx?: number): Promise<{ x: number; y: number }> {
      await inView(agent, selector);
      return agent.evaluate(
        ([sel, dx]) => {
          const frame = document.querySelector('iframe[data-tandem-view]') as HTMLIFrameElement;
          const el = frame.contentDocument!.querySelector(sel)!;
          el.scrollIntoView({ block: 'nearest' });
          const r = el.getBoundingClientRect();
          const stage = frame.parentElement!.getBoundingClientRect();
          const scale = stage.width / frame.offsetWidth;
          const x = dx === null ? r.left + r.width / 2 : r.left + dx;
          return { x: stage.left + x * scale, y: stage.top + (r.top + r.height / 2) * scale };
        },
        [selector, dx ?? null] as const,
      );
    }

    async function agentClick(agent: Page, selector: string, dx?: number): Promise<void> {
      const { x, y } = await onScreen(agent, selector, dx);
      await agent.mouse.click(x, y);
    }

    /** Clicks, on the agent's screen, the element at the end of `path` (frame selectors first) inside the mirror's frames. */
    async function agentClickIn(agent: Page, path: readonly string[]): Promise<void> {
      await agent.waitForFunction(
        (sels) => {
          let doc = document.querySelector<HTMLIFrameElement>('iframe[data-tandem-view]')?.contentDocument;
          for (const sel of sels) doc = sel === sels.at(-1) ? doc : doc?.querySelector<HTMLIFrameElement>(sel)?.contentDocument;
          return !!doc?.querySelector(sels.at(-1)!);
        },
        path,
        { timeout: 10_000, polling: 20 },
      );
      const { x, y } = await agent.evaluate((sels) => {
        const view = document.querySelector('iframe[data-tandem-view]') as HTMLIFrameElement;
        let doc = view.contentDocument!;
        let [ox, oy] = [0, 0];
        for (const sel of sels.slice(0, -1)) {
          const frame = doc.querySelector<HTMLIFrameElement>(sel)!;
          frame.scrollIntoView({ block: 'nearest' });
          const box = frame.getBoundingClientRect();
          ox += box.left + frame.clientLeft;
          oy += box.top + frame.clientTop;
          doc = frame.contentDocument!;
        }
        const r = doc.querySelector(sels.at(-1)!)!.getBoundingClientRect();
        const stage = view.parentElement!.getBoundingClientRect();
        const scale = stage.width / view.offsetWidth;
        return { x: stage.left + (ox + r.left + r.width / 2) * scale, y: stage.top + (oy + r.top + r.height / 2) * scale };
      }, path);
      await agent.mouse.click(x, y);
    }

    const state = (visitor: Page) => visitor.evaluate(() => JSON.parse(document.getElementById('state')!.textContent));

    /** The agent reads this refusal in the console. */
    function refused(agent: Page, message: string) {
      return agent.waitForSelector(`[data-notice=refused]:has-text(${JSON.stringify(message)})`, { timeout: 5000 });
    }

    describe('view mode: the agent points and highlights only', () => {
      it('a click highlights the element on the visitor page and changes nothing; typing, scrolling and links are refused', async () => {
        const s = await share('react.html', 'view');
        try {
          await agentClick(s.agent, '#add');
          await s.visitor.waitForSelector('tandem-ui [data-ink="highlight"]');
          expect((await state(s.visitor)).clicks).toBe(0);

          await s.agent.keyboard.type('x');
          await refused(s.agent, 'Typing needs the visitor to allow control.');
          const { x, y } = await onScreen(s.agent, '#root h1');
          await s.agent.mouse.move(x, y);
          await s.agent.mouse.wheel(0, 600);
          await refused(s.agent, 'Scrolling needs the visitor to allow browsing.');

          await agentClick(s.agent, '#same-link');
          await refused(s.agent, refusals.mode);
          await new Promise((r) => setTimeout(r, 300));
          expect(s.visitor.url()).toContain('/react.html');
          expect(await s.visitor.evaluate(() => scrollY)).toBe(0);
          expect(await state(s.visitor)).toMatchObject({ name: '', clicks: 0, agree: false });
        } finally {
          await done(s);
        }
      });
    });

    describe('navigate mode: also scrolls and follows the site’s links, no form input', () => {
      it('scrolls the visitor page, refuses buttons, foreign and script links, follows a link of the site', async () => {
        const s = await share('react.html', 'navigate');
        try {
          const { x, y } = await onScreen(s.agent, '#root h1');
          await s.agent.mouse.move(x, y);
          await s.agent.mouse.wheel(0, 500);
          await expect.poll(() => s.visitor.evaluate(() => scrollY), { timeout: 5000 }).toBeGreaterThan(300);
          await s.visitor.evaluate(() => scrollTo(0, 0));

          await agentClick(s.agent, '#add');
          await refused(s.agent, refusals.mode);
          await agentClick(s.agent, '#name');
          await s.agent.keyboard.type('nope');
          await refused(s.agent, 'Typing needs the visitor to allow control.');
          await agentClick(s.agent, '#foreign-link');
          await refused(s.agent, refusals.url);
          await agentClick(s.agent, '#js-link', 4);
          await s.agent.waitForSelector(`[data-notice=refused]:has-text(${JSON.stringify(refusals.url)}) >> nth=1`);
          expect(await state(s.visitor)).toMatchObject({ name: '', clicks: 0 });

          // A link of the site: the visitor's tab goes there and the agent follows, same session.
          await agentClick(s.agent, '#same-link');
          await s.visitor.waitForURL(/vue\.html/);
          await inView(s.agent, '#guest');
          await s.agent.waitForSelector('.session-bar .mode[data-mode=navigate]');
        } finally {
          await done(s);
        }
      });
    });

    describe('control mode: also clicks, types and selects', () => {
      it('drives a React page: its own state sees the typing, Enter submits, boxes and selects change; protected elements are refused', async () => {
        const s = await share('react.html', 'control');
        try {
          await agentClick(s.agent, '#name');
          await s.agent.keyboard.type('Ada Lovelace');
          await expect.poll(async () => (await state(s.visitor)).name).toBe('Ada Lovelace');
          await s.agent.keyboard.press('Enter');
          await expect.poll(async () => (await state(s.visitor)).submitted).toBe('Ada Lovelace');
          expect((await state(s.visitor)).keys).toContain('Enter');

          await agentClick(s.agent, '#agree');
          await expect.poll(async () => (await state(s.visitor)).agree).toBe(true);
          await agentClick(s.agent, '#add');
          await expect.poll(async () => (await state(s.visitor)).clicks).toBe(1);

          await agentClick(s.agent, '#size');
          await s.agent.selectOption('[data-tandem-picker]', { index: 2 });
          await expect.poll(async () => (await state(s.visitor)).size).toBe('l');

          await agentClick(s.agent, '#danger');
          await refused(s.agent, refusals.noControl);
          // A submit button whose form posts to another site: refused like a foreign link.
          await agentClick(s.agent, '#pay');
          await refused(s.agent, refusals.url);
          expect(s.visitor.url()).toContain('/react.html');
          await agentClick(s.agent, '#off');
          await refused(s.agent, refusals.disabled);
          await agentClick(s.agent, '#card');
          await refused(s.agent, refusals.masked);
          expect(await s.visitor.inputValue('#card')).toBe('');
          expect((await state(s.visitor)).clicks).toBe(1);

          // Tab moves the visitor's focus as the key would.
          await agentClick(s.agent, '#name');
          await s.agent.keyboard.press('Tab');
          await expect.poll(() => s.visitor.evaluate(() => document.activeElement?.id)).toBe('agree');
        } finally {
          await done(s);
        }
      });

      it('text composed with an input method and pasted text reach the page as typed text', async () => {
        const s = await share('react.html', 'control');
        try {
          await agentClick(s.agent, '#name');
          const cdp = await s.agent.context().newCDPSession(s.agent);
          await cdp.send('Input.imeSetComposition', { text: 'にほん', selectionStart: 3, selectionEnd: 3 });
          await cdp.send('Input.insertText', { text: '日本' });
          await expect.poll(async () => (await state(s.visitor)).name).toBe('日本');
          await s.agent.evaluate(() => {
            const data = new DataTransfer();
            data.setData('text/plain', ' pasted');
            document
              .querySelector('[data-tandem-keys]')!
              .dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
          });
          await expect.poll(async () => (await state(s.visitor)).name).toBe('日本 pasted');
        } finally {
          await done(s);
        }
      });

      it('drives a Vue page: v-model sees typing (also multi-line), the select and the checkbox', async () => {
        const s = await share('vue.html', 'control', '#guest');
        try {
          await agentClick(s.agent, '#guest');
          await s.agent.keyboard.type('Grace Hopper');
          await agentClick(s.agent, '#notes');
          await s.agent.keyboard.type('Late arrival');
          await s.agent.keyboard.press('Enter');
          await s.agent.keyboard.type('Quiet room');
          await agentClick(s.agent, '#room');
          await s.agent.selectOption('[data-tandem-picker]', { index: 2 });
          await agentClick(s.agent, '#breakfast');
          await agentClick(s.agent, '#book');
          await expect
            .poll(() => state(s.visitor))
            .toEqual({ guest: 'Grace Hopper', notes: 'Late arrival\nQuiet room', room: 'suite', breakfast: true, booked: 1 });
        } finally {
          await done(s);
        }
      });
      it('works a form inside a same-origin iframe: typing, a select, a box and a button reach the frame’s own listeners; masked fields are refused', async () => {
        const s = await share('framed.html', 'control', '#title');
        try {
          const field = (sel: string) => ['#booking', sel] as const;
          await agentClickIn(s.agent, field('#guest'));
          await s.agent.keyboard.type('Ada Lovelace');
          await agentClickIn(s.agent, field('#notes'));
          await s.agent.keyboard.type('Late arrival');
          await s.agent.keyboard.press('Enter');
          await s.agent.keyboard.type('Quiet room');
          await agentClickIn(s.agent, field('#room'));
          await s.agent.selectOption('[data-tandem-picker]', { index: 1 });
          await agentClickIn(s.agent, field('#breakfast'));
          await agentClickIn(s.agent, field('#book'));
          const framed = () =>
            s.visitor.evaluate(() =>
              JSON.parse((document.getElementById('booking') as HTMLIFrameElement).contentDocument!.getElementById('state')!.textContent),
            );
          await expect.poll(framed).toEqual({
            guest: 'Ada Lovelace',
            notes: 'Late arrival\nQuiet room',
            room: 'double',
            breakfast: true,
            loyalty: '',
            password: '',
            booked: 1,
          });
          // A field masked by the site's rule, and a password: refused inside a frame as on the page itself.
          const maskedNotices = s.agent.locator(`[data-notice=refused]:has-text(${JSON.stringify(refusals.masked)})`);
          await agentClickIn(s.agent, field('#loyalty'));
          await refused(s.agent, refusals.masked);
          const before = await maskedNotices.count();
          await agentClickIn(s.agent, field('#password'));
          await s.agent.keyboard.type('hunter2');
          await expect.poll(() => maskedNotices.count()).toBeGreaterThan(before);
          // What was typed went nowhere: not into the masked fields, nor into the field focused before.
          const after = await framed();
          expect([after.loyalty, after.password, after.guest]).toEqual(['', '', 'Ada Lovelace']);
        } finally {
          await done(s);
        }
      });
    });

    describe('the demo’s plain form', () => {
      it('control granted on request: the agent fills the booking form, sends the visitor to another page; card and password are refused', async () => {
        const visitor = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
        await visitor.goto(`${server.visitorUrl}/demo/booking.html`);
        await visitor.click('#get-help');
        await visitor.click('tandem-ui [data-action=accept]');
        const code = await (await visitor.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code');
        const agent = await joinInConsole(code!, '#booking-form');
        const s = { visitor, agent };
        try {
          await agent.click('[data-ask=control]');
          await visitor.click('tandem-ui [data-action=allow-mode]');
          await agent.waitForSelector('.session-bar .mode[data-mode=control]');

          await agentClick(agent, '#name');
          await agent.keyboard.type('Alex Traveler');
          await agentClick(agent, '#seat');
          await agent.selectOption('[data-tandem-picker]', { index: 1 });
          await agentClick(agent, '#terms');
          // The special-requests editor is contenteditable: the text goes in as typing would put it.
          await agentClick(agent, '#notes');
          await agent.keyboard.type('Window seat');
          await agent.keyboard.press('Enter');
          await agent.keyboard.type('Late check-in');
          await expect
            .poll(() => visitor.evaluate(() => document.getElementById('notes')!.innerText.replace(/\n+/g, '|')))
            .toBe('Window seat|Late check-in');
          await expect.poll(() => visitor.inputValue('#name')).toBe('Alex Traveler');
          await expect.poll(() => visitor.evaluate(() => (document.getElementById('seat') as HTMLSelectElement).selectedIndex)).toBe(1);
          await expect.poll(() => visitor.isChecked('#terms')).toBe(true);

          await agentClick(agent, '#card');
          await refused(agent, refusals.masked);
          await agentClick(agent, '#password');
          await refused(agent, refusals.masked);
          expect(await visitor.inputValue('#card')).toBe('');

          // The agent sends the visitor to another page of the site; a foreign address is refused.
          await agent.fill('.session-bar .go input', 'https://elsewhere.invalid/');
          await agent.press('.session-bar .go input', 'Enter');
          await refused(agent, refusals.url);
          await agent.fill('.session-bar .go input', '/demo/results.html');
          await agent.press('.session-bar .go input', 'Enter');
          await visitor.waitForURL(/results\.html/);
          await agent.waitForFunction(() => (document.querySelector('.session-bar .url') as HTMLElement).textContent.includes('results.html'));

          // The agent ends the session: the visitor is told, then the panel goes.
          await agent.click('.session-bar .danger');
          await agent.click('[data-confirm=end]');
          await visitor.waitForSelector('tandem-ui .panel:has-text("Sharing ended.")');
        } finally {
          await done(s);
        }
      });
    });

    describe('asking for more', () => {
      it('the agent asks for control, the visitor allows it; the visitor lowers it again at any time', async () => {
        const s = await share('react.html', 'view');
        try {
          await s.agent.click('[data-ask=control]');
          await s.visitor.waitForSelector(`tandem-ui [data-request=control]:has-text("${ADMIN.name} asks to")`);
          // A page script cannot answer for the visitor.
          await s.visitor.evaluate(() =>
            (document.querySelector('tandem-ui')!.shadowRoot!.querySelector('[data-action=allow-mode]') as HTMLElement).click(),
          );
          await new Promise((r) => setTimeout(r, 300));
          expect(await s.agent.$('.session-bar .mode[data-mode=view]')).not.toBeNull();
          await s.visitor.click('tandem-ui [data-action=allow-mode]');
          await s.agent.waitForSelector('.session-bar .mode[data-mode=control]');
          await s.agent.waitForSelector('[data-notice=granted]');
          await agentClick(s.agent, '#add');
          await expect.poll(async () => (await state(s.visitor)).clicks).toBe(1);

          // The visitor takes control back with the panel's own select (keyboard: a trusted change).
          await s.visitor.focus('tandem-ui select[data-action=mode]');
          await s.visitor.keyboard.press('Home');
          await s.agent.waitForSelector('.session-bar .mode[data-mode=view]');
          await agentClick(s.agent, '#add');
          await s.visitor.waitForSelector('tandem-ui [data-ink="highlight"]');
          expect((await state(s.visitor)).clicks).toBe(1);

          await s.agent.click('[data-ask=navigate]');
          await s.visitor.click('tandem-ui [data-action=decline-mode]');
          await s.agent.waitForSelector('[data-notice=declined]');
          await s.agent.waitForSelector('.session-bar .mode[data-mode=view]');
        } finally {
          await done(s);
        }
      });
    });
  });
}
