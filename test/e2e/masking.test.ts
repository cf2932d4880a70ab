/**
 * Masking canary, on the wire: a visitor page on another origin embeds the
 * real SDK; an agent joins through the real server. Secrets typed into masked,
 * password and blocked fields, text inside masked elements, hidden inputs and
 * masked attributes must never appear in any WebSocket frame, either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import type { StaticServer } from '../helpers/static-server.js';
import type { TestServer } from '../helpers/server.js';
import { closeAll, consentAndCode, startSiteAndServer } from '../helpers/site.js';
import { joinAsAgent, signIn, type Client } from '../helpers/clients.js';
import { frameReader, frameTexts } from '../helpers/frames.js';

const SECRETS = [
  'PW-s3cr3t',
  'MASKED-VALUE-1',
  'BLOCKED-TYPED-2',
  'HIDDEN-TOKEN-3',
  'SECRET-TEXT-4',
  'SECRET-OPTION-5',
  'PLACEHOLDER-6',
  'TITLE-7',
  'ALT-8',
  'DATA-9',
  'TEXTAREA-10',
  'EDITABLE-11',
  'LATE-SECRET-12',
  'CLASS-MASK-13',
  'BLOCKED-TEXT-14',
  'TYPED-MASKED-15',
  'PASTED-16',
  'BLOCKED-LATER-19',
];

let server: TestServer;
let site: StaticServer;
let browser: Browser;

beforeAll(async () => {
  ({ site, server } = await startSiteAndServer('test/corpus'));
  browser = await launchBrowser();
});

afterAll(() => closeAll(browser, server, site));

/** Opens the page, starts a session with consent, joins an agent; returns the recorded frames. */
async function share(query: string): Promise<{ visitor: Page; agent: Client; frames: () => string[] }> {
  const visitor = await (await browser.newContext()).newPage();
  const sent: string[] = [];
  visitor.on('websocket', (ws) => {
    const [out, into] = [frameReader(), frameReader()];
    ws.on('framesent', (f) => sent.push(out(f.payload)));
    ws.on('framereceived', (f) => sent.push(into(f.payload)));
  });
  await visitor.goto(`${site.url}/masking/page.html?server=${encodeURIComponent(server.url)}${query}`);
  await visitor.waitForFunction(() => (window as any).Tandem?.loaded);
  const code = await consentAndCode(visitor);
  const agent = await joinAsAgent(server.url, await signIn(server.url), code);
  await expect.poll(() => agent.binary.length).toBeGreaterThan(0);
  return { visitor, agent, frames: () => [...sent, ...frameTexts(agent.binary)] };
}

describe('masking on the wire', () => {
  it('never sends a masked, password, hidden or blocked value, or masked text, in any frame', async () => {
    const { visitor, agent, frames } = await share('');
    await visitor.fill('#pw', 'PW-s3cr3t');
    await visitor.click('#class-masked');
    await visitor.keyboard.type('TYPED-MASKED-15');
    await visitor.click('#blocked-input', { force: true }).catch(() => {});
    await visitor.evaluate(() => {
      (document.getElementById('blocked-input') as HTMLInputElement).value = 'BLOCKED-TYPED-2';
      document.getElementById('blocked-input')!.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await visitor.click('#editable');
    await visitor.keyboard.type('EDITABLE-11');
    // A paste into a masked field.
    await visitor.evaluate(() => {
      const el = document.getElementById('masked-attr') as HTMLInputElement;
      el.value = 'PASTED-16';
      el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
    });
    // Masked content added and changed after the snapshot.
    await visitor.evaluate(() => {
      const late = document.getElementById('late')!;
      late.innerHTML = '<div class="secret-zone"><b>LATE-SECRET-12</b></div>';
      document.querySelector('.secret-zone')!.firstChild!.textContent = 'SECRET-TEXT-4 changed';
      document.getElementById('masked-attr')!.setAttribute('title', 'TITLE-7 again');
    });
    // Blocked by the page after the snapshot, in the same task as what it then holds: none of that leaves, in the
    // changes or in the next snapshot.
    await visitor.evaluate(() => {
      const p = document.getElementById('blocked-later')!;
      p.setAttribute('data-tandem-block', '');
      p.querySelector('b')!.textContent = 'BLOCKED-LATER-19';
      p.setAttribute('title', 'BLOCKED-LATER-19');
      p.appendChild(document.createElement('i')).textContent = 'BLOCKED-LATER-19 added';
    });
    await visitor.waitForTimeout(300);
    await visitor.evaluate(() => {
      const b = document.querySelector('#blocked-later b')!;
      (b.firstChild as Text).data = 'BLOCKED-LATER-19 again';
    });
    // An agent who joins later gets a fresh snapshot of all this: it must be masked too.
    agent.sendJson({ t: 'resync' });
    await visitor.waitForTimeout(1200);
    const all = frames();
    expect(all.some((f) => f.includes('Visible-Sentinel'))).toBe(true);
    expect(all.some((f) => f.includes('*********'))).toBe(true);
    for (const secret of SECRETS) {
      for (const f of all) expect(f, `"${secret}" left the visitor's page`).not.toContain(secret);
    }
    await visitor.close();
  });

  it('masking rules from the site’s settings on the server apply at session start and as soon as they change', async () => {
    const cookie = await signIn(server.url);
    const patch = (masking: object) =>
      fetch(`${server.url}/api/v1/sites/demo/settings`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ masking }),
      });
    expect((await patch({ selectors: ['#server-rule'] })).status).toBe(200);
    try {
      const { visitor, agent, frames } = await share('');
      const received = () => frameTexts(agent.binary);
      await expect.poll(() => received().some((f) => f.includes('LATE-RULE-18'))).toBe(true);
      for (const f of frames()) expect(f).not.toContain('SERVER-RULE-17');

      const before = received().length;
      expect((await patch({ selectors: ['#server-rule', '#late-rule'] })).status).toBe(200);
      // The page starts over with a fresh snapshot under the new rules; from it on, the text is masked.
      await expect
        .poll(
          () =>
            received()
              .slice(before)
              .some((f) => f.includes('Visible-Sentinel')),
          { timeout: 5000 },
        )
        .toBe(true);
      await visitor.waitForTimeout(300);
      const fresh = received().findIndex((f, i) => i >= before && f.includes('Visible-Sentinel'));
      for (const f of received().slice(fresh)) expect(f).not.toContain('LATE-RULE-18');
      for (const f of frames()) expect(f).not.toContain('SERVER-RULE-17');
      await visitor.close();
    } finally {
      await patch({ selectors: [] });
    }
  });

  it('private by default: only text the site allows travels', async () => {
    const { visitor, frames } = await share('&private=1');
    await visitor.waitForTimeout(500);
    const all = frames();
    expect(all.some((f) => f.includes('Allowed-Sentinel'))).toBe(true);
    for (const f of all) expect(f).not.toContain('Visible-Sentinel');
    await visitor.close();
  });
});
