/**
 * The training report in a browser: `backprop train --report` on digits, opened from disk in
 * Debian's Chromium. Nothing fails, nothing is fetched, every chart and picture is drawn.
 */
import { mkdir } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, ROOT } from './server.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');

describe.skipIf(!HAVE_CHROMIUM && !process.env['BACKPROP_REQUIRE_BROWSER'])(`the report in Chromium (${CHROMIUM})`, () => {
  it('opens without an error or a request, with its charts, heat map and pictures drawn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-report-web-'));
    const report = join(dir, 'report.html');
    const quiet = { result: () => undefined, info: () => undefined };
    const args = ['train', '--data', 'digits', '--limit', '1000', '--layers', '32', '--epochs', '4', '--schedule', 'cosine', '--out', join(dir, 'm.safetensors'), '--report', report];
    expect(await main(['node', 'backprop', ...args], quiet)).toBe(0);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(report).href;
      await page.goto(url);
      await page.waitForLoadState('load');

      for (const id of ['chart-loss', 'chart-accuracy', 'chart-lr', 'confusion']) {
        const box = await page.locator(`svg#${id}`).boundingBox();
        expect(box, id).not.toBeNull();
        expect(box!.width, id).toBeGreaterThan(100);
        expect(box!.height, id).toBeGreaterThan(100);
      }
      // each line drawn with a length: training and validation loss and accuracy, η
      const lines = await page.$$eval('polyline.series', (ps) => ps.map((p) => (p as SVGPolylineElement).getTotalLength()));
      expect(lines).toHaveLength(5);
      for (const length of lines) expect(length).toBeGreaterThan(50);
      expect(await page.locator('rect.cell').count()).toBe(100);
      const pictures = await page.$$eval('figure img', (imgs) => imgs.map((i) => ({ w: (i as HTMLImageElement).naturalWidth, h: (i as HTMLImageElement).naturalHeight, shown: i.clientWidth })));
      expect(pictures).toHaveLength(24);
      for (const p of pictures) expect(p).toEqual({ w: 28, h: 28, shown: 84 });
      expect(await page.locator('table.scores tr').count()).toBe(12);

      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      expect(errors, errors.join('\n')).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
    }
  });
});
