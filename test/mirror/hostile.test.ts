/**
 * Hostile page corpus: every page tries to run script, or to make the agent's
 * browser call an attacker, in a different way. Each is mirrored into an agent
 * page that has no Content-Security-Policy, so the rebuild's own rules and the
 * iframe sandbox are tested without the CSP backstop. Nothing may run there
 * (the canary stays unset, no dialog opens) and no request may reach the attacker.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { MIRROR_PAGE, connectPair } from '../helpers/mirror-pair.js';

/** Each page waits on loads and timed attacks; with the corpora side by side on two loaded cores, 60 s was seen to run out. */
const CORPUS_TEST_MS = 120_000;

const CORPUS = resolve(process.env.TANDEM_CORPUS ?? 'test/corpus');
const files = readdirSync(join(CORPUS, 'hostile'))
  .filter((f) => f.endsWith('.html'))
  .sort();

let browser: Browser;
let site: StaticServer;
let visitors: BrowserContext;
let agents: BrowserContext;

beforeAll(async () => {
  site = await serveStatic(CORPUS, { '/mirror.html': { type: 'text/html', body: MIRROR_PAGE } });
  // attacker.test resolves to a closed port on loopback: attempts fail fast, and are still seen.
  browser = await launchBrowser(['--host-resolver-rules=MAP attacker.test 127.0.0.1:9']);
  // Separate contexts: the visitor's page runs its scripts and may call the attacker itself.
  visitors = await browser.newContext();
  agents = await browser.newContext();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('hostile page corpus', () => {
  it('has at least 25 attack pages', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  // The pages run side by side (each in its own pair of tabs, with its own listeners): most of each
  // test is waiting out the page's timed attacks, so one at a time would leave the machine idle.
  for (const file of files) {
    it.concurrent(
      `nothing from ${file} runs in the agent's browser or reaches the attacker`,
      async ({ expect }) => {
        const visitor = await visitors.newPage();
        const agent = await agents.newPage();
        const attacker: string[] = [];
        const dialogs: string[] = [];
        agent.on('request', (r) => {
          if (new URL(r.url()).hostname.endsWith('attacker.test')) attacker.push(r.url());
        });
        agent.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        agent.on('popup', (p) => dialogs.push(`popup ${p.url()}`));
        try {
          await visitor.goto(`${site.url}/hostile/${file}`);
          await agent.goto(`${site.url}/mirror.html`);
          const pair = await connectPair(visitor, agent);
          // Pages attack again after load, through the mirror's change path: give them time.
          for (let i = 0; i < 6; i++) {
            await visitor.waitForTimeout(150);
            await pair.settled();
          }
          // The page's text, its frames' included (a frameset page's h1 is in a frame).
          const mirrored = await agent.evaluate(() => {
            const text = (d: Document | null | undefined): string =>
              (d?.body?.textContent ?? '') +
              Array.from(d?.querySelectorAll<HTMLIFrameElement>('iframe, frame') ?? [], (f) => text(f.contentDocument)).join('');
            return text(document.querySelector('iframe')!.contentDocument);
          });
          expect(mirrored, 'the page was mirrored').toContain(`hostile: ${file.replace(/\.html$/, '')}`);
          const canaries = await agent.evaluate(() => {
            const found: unknown[] = [];
            const look = (w: Window | null) => {
              if (!w) return;
              try {
                const c = (w as any).__tandemPwned;
                // DOM clobbering can make a named element appear here; only an Array proves script ran.
                if (Array.isArray(c)) found.push(...c);
                for (let i = 0; i < w.frames.length; i++) look(w.frames[i] as Window);
              } catch {
                /* a frame of another origin */
              }
            };
            look(window);
            return found;
          });
          expect(canaries, 'script ran in the agent page').toEqual([]);
          expect(dialogs, 'a dialog or popup opened in the agent page').toEqual([]);
          expect(attacker, 'the agent page called the attacker').toEqual([]);
        } finally {
          await visitor.close();
          await agent.close();
        }
      },
      CORPUS_TEST_MS,
    );
  }
});
