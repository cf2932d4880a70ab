/**
 * A visitor's site on its own origin beside a real Tandem server that allows
 * it, as most tests of the SDK need them; and the front-end libraries the test
 * sites load (React, Vue) served from node_modules, never from a CDN.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { serveStatic, type StaticServer } from './static-server.js';
import { ADMIN, startTestServer, type TestServer } from './server.js';

type Routes = Record<string, { type: string; body: string }>;

export async function startSiteAndServer(
  root: string,
  routes: Routes = {},
  env: (site: StaticServer) => Record<string, string> = (site) => ({ TANDEM_ALLOWED_ORIGINS: site.url }),
): Promise<{ site: StaticServer; server: TestServer }> {
  const site = await serveStatic(resolve(root), routes);
  const server = await startTestServer(env(site));
  return { site, server };
}

const vendor = (file: string) => ({ type: 'text/javascript', body: readFileSync(resolve('node_modules', file), 'utf8') });

/** What test/corpus/sites loads from /vendor/. */
export function vendorRoutes(): Routes {
  return {
    '/vendor/react.js': vendor('react/umd/react.production.min.js'),
    '/vendor/react-dom.js': vendor('react-dom/umd/react-dom.production.min.js'),
    '/vendor/vue.js': vendor('vue/dist/vue.global.prod.js'),
  };
}

/** For afterAll: closes what a test file started, whichever of them started. */
export async function closeAll(...things: (Browser | StaticServer | TestServer | undefined)[]): Promise<void> {
  for (const thing of things) {
    if (!thing) continue;
    if ('stop' in thing) await thing.stop();
    else await thing.close();
  }
}

/** The visitor starts a session on a page with the snippet and consents; returns the code they would read out. */
export async function consentAndCode(visitor: Page): Promise<string> {
  await visitor.evaluate(() => (window as any).Tandem('startSession'));
  await visitor.click('tandem-ui [data-action=accept]');
  return (await (await visitor.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code'))!;
}

/** A visitor on the demo (served from `base`) asks for help and consents; returns the page and the code. */
export async function shareDemo(context: BrowserContext, base: string): Promise<{ page: Page; code: string }> {
  const page = await context.newPage();
  await page.goto(`${base}/demo/booking.html`);
  await page.click('#get-help');
  await page.click('tandem-ui [data-action=accept]');
  const code = (await (await page.waitForSelector('tandem-ui [data-code]')).getAttribute('data-code'))!;
  return { page, code };
}

/** The admin signs in to the console at `base` and joins with `code`; resolves once the session shows live. */
export async function joinInConsole(context: BrowserContext, base: string, code: string): Promise<Page> {
  const agent = await context.newPage();
  await agent.goto(`${base}/console/`);
  await agent.fill('#email', ADMIN.email);
  await agent.fill('#password', ADMIN.password);
  await agent.click('button[type=submit]');
  await agent.fill('#code', code);
  await agent.click('button[type=submit]');
  await agent.waitForSelector('[data-session-state=live]', { timeout: 30_000 });
  return agent;
}
