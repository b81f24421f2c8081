/**
 * The single-file browser build, as a page without a bundler uses it: examples/browser/index.html
 * imports ../../dist/backprop.browser.js by relative path and trains XOR in Debian's Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, ROOT, serveStatic } from './server.js';

const BUILD = join(ROOT, 'dist/backprop.browser.js');

describe('dist/backprop.browser.js', () => {
  it('is one ES module: no import of any kind, the kernels inside, the API exported', () => {
    const code = readFileSync(BUILD, 'utf8');
    // no static or dynamic import (the Node worker's source inside is a string that uses require)
    expect(code).not.toMatch(/^\s*import[\s{*'"]|\bimport\s*\(|\bfrom\s*['"]/m);
    expect(code).toMatch(/export\s*\{[^}]*\bnetwork\b/);
    expect(code).toContain('AGFzbQ'); // base64 of "\0asm": the embedded WebAssembly module
  });

  it('is what package.json points CDNs at', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.unpkg).toBe('./dist/backprop.browser.js');
    expect(pkg.jsdelivr).toBe('./dist/backprop.browser.js');
  });
});

describe.skipIf(!HAVE_CHROMIUM && !process.env['BACKPROP_REQUIRE_BROWSER'])(`a plain HTML page in Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const isolated of [false, true]) {
    it(`trains XOR with the wasm kernels (${isolated ? 'cross-origin isolated' : 'a plain static host'})`, async () => {
      const server = await serveStatic(ROOT, { isolated });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      try {
        await page.goto(`${server.url}examples/browser/index.html`);
        await page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, null, { timeout: 60_000 });
        const r = await page.evaluate(() => (window as unknown as { __result: { kernels: string; loss: number; predictions: number[] } }).__result);
        expect(errors, errors.join("\n")).toEqual([]);
        expect(r.kernels).toBe('wasm');
        expect(r.loss).toBeLessThan(0.01);
        expect(r.predictions.map((p) => Math.round(p))).toEqual([0, 1, 1, 0]);
        expect(await page.textContent('#result')).toMatch(/^kernels: wasm\nloss after 4000 epochs: 0\.0\d+\n0 xor 0 → 0\.0/);
      } finally {
        await page.close();
        await server.close();
      }
    });
  }
});
