import { launchBrowser } from '../../test/helpers/browser.ts';
const b = await launchBrowser();
const ctx = await b.newContext({ viewport: { width: 1280, height: 800 } });
const page = await ctx.newPage();
await page.setContent('<p>hi</p>');
const r = await page.evaluate(async () => {
  const out: any[] = [];
  const o = new PerformanceObserver((l) => out.push(...l.getEntries().map((e) => [e.entryType, e.startTime, e.duration])));
  o.observe({ type: 'longtask', buffered: true });
  let t0 = 0;
  await new Promise<void>((res) => setTimeout(() => { t0 = performance.now(); while (performance.now() - t0 < 200) {} res(); }, 0));
  await new Promise((r) => setTimeout(r, 300));
  out.push(...o.takeRecords().map((e) => [e.entryType, e.startTime, e.duration]));
  return { out, t0 };
});
console.log(JSON.stringify(r));
await b.close();
