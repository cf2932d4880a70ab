import { build } from 'esbuild';
import { launchBrowser } from '../../test/helpers/browser.ts';
import { generatePage } from '../generate-page.ts';
import { startServer } from '../server.ts';
const bundle = (await build({ entryPoints: ['bench/harness/visitor-none.ts'], bundle: true, write: false, format: 'iife' })).outputFiles[0].text;
const gen = generatePage();
const server = await startServer('packages/demo/public', gen.html);
const b = await launchBrowser();
for (const url of [`${server.origin}/__bench/page.html`, `${server.origin}/booking.html`]) {
  for (const kinds of [[0],[1],[2,3],[0,1,2,3]]) { const [interval, per] = [10, 10];
  const ctx = await b.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(url);
  await page.addScriptTag({ content: bundle });
  await new Promise((r) => setTimeout(r, 400));
  const m = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x: any) => [x.name, x.value]));
  const m0 = await m();
  await page.evaluate(([i, p, k]: any) => (window as any).__bench.churnStart(1, i, p, k), [interval, per, kinds]);
  await new Promise((r) => setTimeout(r, 3000));
  const c = await page.evaluate(() => (window as any).__bench.churnStop());
  const m1 = await m();
  const dt = m1.Timestamp - m0.Timestamp;
  const d = (k: string) => (((m1[k] - m0[k]) * 1000) / dt).toFixed(1);
  console.log(url.slice(-20), JSON.stringify(kinds), 'ops/s', (c.ops / c.seconds).toFixed(0), 'Task', d('TaskDuration'), 'Thread', d('ThreadTime'), 'Script', d('ScriptDuration'), 'Layout', d('LayoutDuration'), 'Style', d('RecalcStyleDuration'), 'Other', d('TaskOtherDuration'), 'layouts/s', ((m1.LayoutCount - m0.LayoutCount) / dt).toFixed(1));
  await ctx.close();
  }
}
await b.close(); await server.close();
