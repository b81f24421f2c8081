/**
 * The library's kernels in Debian's Chromium (playwright-core), through web/kernels.html: served
 * cross-origin isolated (COOP/COEP), the WebAssembly SIMD kernels run with 2 threads — a pool of
 * Web Workers nested in the page's worker, sharing one WebAssembly.Memory — and give the products
 * and the loss curve of the JavaScript kernels; served without those headers, the page and the
 * playground fall back to one thread on an ordinary memory, without errors, and still train.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/kernels/index.js';
import { network } from '../../src/network.js';
import { toyDataset } from '../../src/data/toy.js';
import { gemmInputs, TRAIN, type CheckOptions, type CheckReport, type Environment, type GemmResult } from '../../web/src/kernels-check.js';
import { buildSite, CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, serveStatic } from './server.js';

declare global {
  interface Window {
    __kernels: {
      check(options: CheckOptions, where?: 'worker' | 'main'): Promise<CheckReport>;
      environment: Environment;
      report: CheckReport | null;
      error: string | null;
    };
  }
}

/** |c − C| ≤ 1e-5·Σ_p |a_ip·b_pj| (+ a hair), against a float64 reference of the same seeded inputs. */
function expectGemmMatches(g: GemmResult, seed: number): void {
  const { a, b } = gemmInputs(g.m, g.n, g.k, seed);
  const A = (i: number, p: number): number => (g.transA ? a[p * g.m + i]! : a[i * g.k + p]!);
  const B = (p: number, j: number): number => (g.transB ? b[j * g.k + p]! : b[p * g.n + j]!);
  expect(g.c.length).toBe(g.m * g.n);
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      let ref = 0;
      let mag = 0;
      for (let p = 0; p < g.k; p++) {
        const t = A(i, p) * B(p, j);
        ref += t;
        mag += Math.abs(t);
      }
      const got = g.c[i * g.n + j]!;
      if (!(Math.abs(got - ref) <= 1e-5 * mag + 1e-30)) {
        expect.fail(`${g.transA ? 'Aᵀ' : 'A'}·${g.transB ? 'Bᵀ' : 'B'} ${g.m}×${g.n}×${g.k}: C[${i},${j}] = ${got}, float64 reference ${ref}`);
      }
    }
  }
}

/** Loss curves equal within float32 tolerance (the kernels sum in different orders). */
function expectSameCurve(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((v, i) => {
    if (!(Math.abs(v - expected[i]!) <= 1e-4 * Math.abs(expected[i]!) + 1e-6)) expect.fail(`${what}: epoch ${i + 1} loss ${v}, expected ${expected[i]}`);
  });
}

/** The kernel check's training run, here in Node on the JavaScript kernels. */
async function nodeCurve(epochs: number): Promise<number[]> {
  const data = toyDataset('circles', { samples: TRAIN.samples, seed: TRAIN.seed });
  const y = data.y.toArray().map((row) => [row[1]!]);
  const net = network([2, { units: 16, activation: 'tanh' }, { units: 16, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], {
    loss: 'binary-cross-entropy',
    seed: TRAIN.seed,
    kernels: jsKernels,
  });
  const h = await net.fit(data.x, y, { epochs, batchSize: TRAIN.batchSize, optimizer: 'adam', learningRate: TRAIN.learningRate, seed: TRAIN.seed });
  return h.epochs.map((e) => e.loss);
}

const EPOCHS = 6;

/** The part of the playground's window.__backprop read here (see web/src/main.ts). */
interface Playground {
  __backprop: {
    ready: boolean;
    epoch: number;
    busy: boolean;
    trainLoss: number | null;
    kernels: { requested: string; backend: string; threads: number; shared: boolean; crossOriginIsolated: boolean; note: string | null } | null;
  };
}


describe.skipIf(!HAVE_CHROMIUM)(`wasm kernels in Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let isolatedUrl: string;
  let plainUrl: string;
  const closers: (() => Promise<void>)[] = [];
  const consoleErrors: string[] = [];
  let reference: number[];

  beforeAll(async () => {
    const site = await buildSite();
    closers.push(site.cleanup);
    const isolated = await serveStatic(site.dir);
    const plain = await serveStatic(site.dir, { isolated: false });
    closers.unshift(isolated.close, plain.close);
    isolatedUrl = isolated.url;
    plainUrl = plain.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    reference = await nodeCurve(EPOCHS);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const close of closers) await close();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${url}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${url}: ${e.message}`));
    await page.goto(url);
    return page;
  }

  /** The report of the check the page runs on load. */
  async function loaded(page: Page): Promise<CheckReport> {
    await page.waitForFunction(() => window.__kernels?.report !== null || window.__kernels?.error !== null, null, { timeout: 30_000 });
    const error = await page.evaluate(() => window.__kernels.error);
    expect(error).toBeNull();
    return page.evaluate(() => window.__kernels.report!);
  }

  const check = (page: Page, options: CheckOptions, where: 'worker' | 'main' = 'worker'): Promise<CheckReport> =>
    page.evaluate(([o, w]) => window.__kernels.check(o, w), [options, where] as const);

  it('cross-origin isolated: wasm with 2 threads in a worker gives the float64 products and the JS loss curve', async () => {
    const page = await open(`${isolatedUrl}kernels.html?backend=wasm&threads=2`);
    const first = await loaded(page);
    expect(first.where).toBe('worker');
    expect(first.crossOriginIsolated).toBe(true);
    expect(first.sharedArrayBuffer).toBe(true);
    expect(first.backend).toBe('wasm');
    expect(first.shared).toBe(true);
    expect(first.threads).toBe(2);
    expect(await page.locator('[data-testid=kernels-status]').textContent()).toBe('wasm · 2 threads · shared memory');
    // (in the page too, not only in its worker)
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);

    // every product split across the 2 threads, even the small ones
    const two = await check(page, { backend: 'wasm', threads: 2, parallelMinFlops: 0, epochs: EPOCHS });
    expect(two.threads).toBe(2);
    expect(two.gemm.length).toBe(8);
    two.gemm.forEach((g, i) => expectGemmMatches(g, 11 + i));

    const one = await check(page, { backend: 'wasm', threads: 1, epochs: EPOCHS });
    const js = await check(page, { backend: 'js', threads: 1, epochs: EPOCHS });
    expect(one.threads).toBe(1);
    expect(js.backend).toBe('js');
    js.gemm.forEach((g, i) => expectGemmMatches(g, 11 + i));
    // the split is bit-identical to one thread; wasm and JS agree within float32 rounding, and the
    // JS kernels in Chromium train as in Node
    expect(two.losses).toEqual(one.losses);
    expect(two.weights).toEqual(one.weights);
    expectSameCurve(two.losses, js.losses, 'wasm (2 threads) vs js in Chromium');
    expectSameCurve(js.losses, reference, 'js in Chromium vs js in Node');
    expect(reference[EPOCHS - 1]!).toBeLessThan(reference[0]!);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it("cross-origin isolated: the pool also runs from the page's main thread", async () => {
    const page = await open(`${isolatedUrl}kernels.html?backend=js`);
    await loaded(page);
    const main = await check(page, { backend: 'wasm', threads: 2, parallelMinFlops: 0, epochs: EPOCHS }, 'main');
    expect(main.where).toBe('main');
    expect(main.threads).toBe(2);
    main.gemm.forEach((g, i) => expectGemmMatches(g, 11 + i));
    expectSameCurve(main.losses, reference, 'wasm (2 threads, main thread) vs js in Node');
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('without COOP/COEP: no SharedArrayBuffer, wasm on one thread (ordinary memory), same curve, no errors', async () => {
    const page = await open(`${plainUrl}kernels.html`);
    const r = await loaded(page);
    expect(r.crossOriginIsolated).toBe(false);
    expect(r.sharedArrayBuffer).toBe(false);
    expect(r.options).toEqual({ backend: 'auto', threads: 'auto' });
    expect(r.backend).toBe('wasm');
    expect(r.threads).toBe(1);
    expect(r.shared).toBe(false);
    expect(await page.locator('[data-testid=kernels-status]').textContent()).toBe('wasm · 1 thread · ordinary memory');
    const again = await check(page, { backend: 'auto', threads: 'auto', epochs: EPOCHS });
    again.gemm.forEach((g, i) => expectGemmMatches(g, 11 + i));
    expectSameCurve(again.losses, reference, 'wasm (not isolated) vs js in Node');
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('without COOP/COEP: the playground trains on wasm with one thread, no errors', async () => {
    const page = await open(plainUrl);
    await page.waitForFunction(() => (window as unknown as Playground).__backprop?.ready === true, null, { timeout: 15_000 });
    const before = await page.evaluate(() => (window as unknown as Playground).__backprop.trainLoss);
    await page.click('[data-testid=step]');
    await page.click('[data-testid=step]');
    await page.waitForFunction(() => (window as unknown as Playground).__backprop.epoch === 2 && !(window as unknown as Playground).__backprop.busy, null, { timeout: 15_000 });
    const k = await page.evaluate(() => (window as unknown as Playground).__backprop.kernels);
    expect(k).toMatchObject({ requested: 'auto', backend: 'wasm', threads: 1, shared: false, crossOriginIsolated: false });
    expect(await page.locator('[data-testid=kernels]').textContent()).toBe('wasm · 1 thread');
    const after = await page.evaluate(() => (window as unknown as Playground).__backprop.trainLoss);
    expect(after).toBeLessThan(before!);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});

describe.runIf(!HAVE_CHROMIUM)('wasm kernels browser tests', () => {
  // CI sets BACKPROP_REQUIRE_BROWSER=1: there a missing Chromium is a failure, never a skip.
  const required = Boolean(process.env['BACKPROP_REQUIRE_BROWSER']);
  it.skipIf(!required)(`need Chromium at ${CHROMIUM} (BACKPROP_REQUIRE_BROWSER is set)`, () => {
    expect.fail(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  });
  it.skipIf(true)(`SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`, () => {});
});
