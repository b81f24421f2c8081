/**
 * Makes web/screenshot.png for the README: builds the playground, serves it, trains two spirals
 * from a link, clicks a point and opens a step of its backward pass.
 *   node --import tsx scripts/web-screenshot.mts [out.png]
 */
import { chromium } from 'playwright-core';
import { buildSite, CHROMIUM, CHROMIUM_ARGS, serveStatic } from '../test/web/server.js';

const out = process.argv[2] ?? 'web/screenshot.png';
const hash = process.env['SHOT_HASH'] ?? 'data=spirals&samples=500&test=0.3&layers=10%2C10&epoch=800';
const site = await buildSite();
const server = await serveStatic(site.dir);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 1280 } });
  await page.goto(`${server.url}#${hash}`);
  const epoch = Number(/epoch=(\d+)/.exec(hash)?.[1] ?? 0);
  await page.waitForFunction((e) => {
    const b = (window as unknown as { __backprop?: { epoch: number; busy: boolean } }).__backprop;
    return b !== undefined && b.epoch === e && !b.busy;
  }, epoch, { timeout: 60_000 });
  type Api = { screenPoint(s: string, i: number): { x: number; y: number }; explanationLoss: number | null };
  // a training point near the boundary (C near 0.25), where the gradients are worth looking at
  let best = { index: 0, loss: -1 };
  const score = (c: number): number => -Math.abs(c - 0.25);
  for (let index = 0; index < 80; index++) {
    const p = await page.evaluate((i) => (window as unknown as { __backprop: Api }).__backprop.screenPoint('train', i), index);
    await page.mouse.click(p.x, p.y);
    const loss = await page.evaluate(() => (window as unknown as { __backprop: Api }).__backprop.explanationLoss ?? -1);
    if (score(loss) > score(best.loss)) best = { index, loss };
  }
  const p = await page.evaluate((i) => (window as unknown as { __backprop: Api }).__backprop.screenPoint('train', i), best.index);
  await page.mouse.click(p.x, p.y);
  for (let i = 0; i < 3; i++) await page.click('[data-testid=bw-next]');
  await page.waitForTimeout(300);
  await page.screenshot({ path: out, fullPage: false });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
  await site.cleanup();
}
