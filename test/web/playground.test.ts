/**
 * End-to-end tests of the playground in Debian's Chromium (playwright-core): the site is built with
 * Vite into a temporary directory, served on a random localhost port, and driven like a visitor.
 * Numbers the page shows are compared with the library run here in Node.
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainValidationSplit } from '../../src/data/preprocess.js';
import { toyDataset, type ToyName } from '../../src/data/toy.js';
import { modelFromBytes } from '../../src/io/model-file.js';
import type { DenseSpec } from '../../src/nn/dense.js';
import { network, type Network } from '../../src/network.js';
import type { Matrix } from '../../src/tensor/matrix.js';
import type { Explanation } from '../../src/train/explain.js';
import { buildSite, CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, ROOT, serveStatic } from './server.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');

/** What the page publishes on window.__backprop (see web/src/main.ts). */
interface PageApi {
  ready: boolean;
  epoch: number;
  playing: boolean;
  busy: boolean;
  trainLoss: number | null;
  testLoss: number | null;
  config: { inputs: number; layers: DenseSpec[]; loss: 'mse' | 'cross-entropy' | 'binary-cross-entropy'; init: string; seed: number };
  state: { dataset: string; hidden: number[]; activation: string; learningRate: number; seed: number; samples: number; noise: number; testRatio: number; batchSize: number; optimizer: string };
  weights: { W: number[]; b: number[] }[];
  sample: { set: 'train' | 'test'; index: number; x: number[]; y: number[] } | null;
  learningRate: number;
  kernels: { requested: string; backend: string; threads: number; shared: boolean; crossOriginIsolated: boolean; note: string | null } | null;
}

/** Waits for the snapshot of the current run (a control change restarts the run), then reads the page API. */
async function settled(page: Page): Promise<PageApi> {
  await page.waitForFunction(() => window.__backprop.ready);
  return api(page);
}

declare global {
  interface Window {
    __backprop: PageApi & { screenPoint(set: 'train' | 'test', index: number): { x: number; y: number } | null };
  }
}

const api = (page: Page): Promise<PageApi> => page.evaluate(() => JSON.parse(JSON.stringify(window.__backprop)) as PageApi);

/** A network of the page's configuration holding the page's weights, built here with the library. */
function libraryNetwork(p: PageApi): Network {
  const net = network([p.config.inputs, ...p.config.layers], { loss: p.config.loss, init: 'zeros', seed: p.config.seed });
  net.layers.forEach((l, i) => {
    l.W.set(p.weights[i]!.W);
    l.b.set(p.weights[i]!.b);
  });
  return net;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const tol = 1e-6 + 1e-5 * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) expect.fail(`${what}[${i}]: page shows ${a}, explain() gives ${e}`);
  }
}

describe.skipIf(!HAVE_CHROMIUM)(`playground in Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let url: string;
  let closeServer: () => Promise<void>;
  let cleanup: () => Promise<void>;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const site = await buildSite();
    cleanup = site.cleanup;
    const server = await serveStatic(site.dir);
    url = server.url;
    closeServer = server.close;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await closeServer?.();
    await cleanup?.();
  });

  async function open(hash = '', viewport = { width: 1400, height: 1000 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${hash || '(default)'}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${hash || '(default)'}: ${e.message}`));
    await page.goto(url + (hash ? `#${hash}` : ''));
    await page.waitForFunction(() => window.__backprop?.ready === true, null, { timeout: 15_000 });
    return page;
  }

  it('loads with no console errors and shows the default run', async () => {
    const page = await open();
    expect(await page.locator('[data-testid=epoch]').textContent()).toBe('0');
    expect(await page.locator('[data-testid=dataset]').inputValue()).toBe('circles');
    const p = await api(page);
    expect(p.config.layers.map((l) => l.units)).toEqual([4, 2, 1]);
    // the initial weights are the library's for this seed
    const fresh = network([p.config.inputs, ...p.config.layers], { loss: p.config.loss, init: p.config.init as 'auto', seed: p.config.seed });
    fresh.layers.forEach((l, i) => expectClose(p.weights[i]!.W, l.W, `initial W(${i + 1})`));
    // every neuron has its heat map, every weight its line
    expect(await page.locator('[data-testid=network] .neuron canvas').count()).toBe(2 + 4 + 2 + 1);
    expect(await page.locator('[data-testid=network] line.link').count()).toBe(2 * 4 + 4 * 2 + 2 * 1);
    // served cross-origin isolated, the worker trains on the wasm kernels with a thread per core
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    expect(p.kernels).toEqual({ requested: 'auto', backend: 'wasm', threads: Math.min(cores, 64), shared: true, crossOriginIsolated: true, note: null });
    expect(await page.locator('[data-testid=kernels]').textContent()).toBe(`wasm · ${Math.min(cores, 64)} thread${cores === 1 ? '' : 's'}`);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('trains circles to a test loss below 0.1 within 200 epochs (screenshot mid-training)', async () => {
    const page = await open();
    await page.selectOption('#speed', '1');
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => window.__backprop.epoch >= 15, null, { timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'playground-mid-training.png'), fullPage: true });
    await page.selectOption('#speed', '5');
    await page.waitForFunction(() => (window.__backprop.testLoss ?? 1) < 0.1 || window.__backprop.epoch > 200, null, { timeout: 30_000 });
    const p = await api(page);
    expect(p.epoch).toBeLessThanOrEqual(200);
    expect(p.testLoss).toBeLessThan(0.1);
    // the DOM says the same
    await page.click('[data-testid=play]'); // pause
    await page.waitForFunction(() => !window.__backprop.playing);
    const shown = Number(await page.locator('[data-testid=test-loss]').getAttribute('data-value'));
    expect(shown).toBeLessThan(0.1);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('changes the network and resets', async () => {
    const page = await open();
    const before = await api(page);
    await page.click('[data-testid=add-layer]');
    await page.click('[data-testid=units-plus-1]');
    await page.selectOption('[data-testid=activation]', 'relu');
    await page.selectOption('[data-testid=init]', 'zeros');
    let p = await settled(page);
    expect(p.config.layers.map((l) => l.units)).toEqual([5, 2, 2, 1]);
    expect(p.config.layers.slice(0, -1).every((l) => l.activation === 'relu')).toBe(true);
    expect(await page.locator('[data-testid=network] .neuron').count()).toBe(2 + 5 + 2 + 2 + 1);
    expect(p.weights.length).toBe(4);
    expect(p.weights.every((w) => w.W.every((v) => v === 0))).toBe(true);
    await page.waitForFunction(() => location.hash.includes('layers=5%2C2%2C2&act=relu&init=zeros'));
    await page.selectOption('[data-testid=init]', 'auto');
    await page.click('[data-testid=remove-layer]');
    p = await settled(page);
    const initial = p.weights;
    expect(p.config.layers.map((l) => l.units)).toEqual([5, 2, 1]);
    // train a little, then reset: back to epoch 0 and the same initial weights
    await page.click('[data-testid=step]');
    await page.click('[data-testid=step]');
    await page.waitForFunction(() => window.__backprop.epoch === 2 && !window.__backprop.playing);
    expect((await api(page)).weights).not.toEqual(initial);
    await page.click('[data-testid=reset]');
    await page.waitForFunction(() => window.__backprop.ready && window.__backprop.epoch === 0);
    expect(await page.locator('[data-testid=epoch]').textContent()).toBe('0');
    expect((await api(page)).weights).toEqual(initial);
    expect(before.config.layers.length).toBe(3);
    // the JavaScript kernels on request: the same initial weights, and training runs on them
    await page.selectOption('[data-testid=backend]', 'js');
    p = await settled(page);
    expect(p.kernels).toMatchObject({ requested: 'js', backend: 'js', threads: 1 });
    expect(await page.locator('[data-testid=kernels]').textContent()).toBe('js');
    expect(p.weights).toEqual(initial);
    await page.waitForFunction(() => location.hash.includes('backend=js'));
    await page.click('[data-testid=step]');
    await page.waitForFunction(() => window.__backprop.epoch === 1 && !window.__backprop.playing);
    expect((await api(page)).weights).not.toEqual(initial);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it("shows, for a clicked point, exactly the numbers of the library's explain()", async () => {
    const page = await open('epoch=30');
    await page.waitForFunction(() => window.__backprop.epoch === 30 && !window.__backprop.playing, null, { timeout: 15_000 });
    await page.locator('[data-testid=plane]').scrollIntoViewIfNeeded();
    const target = await page.evaluate(() => window.__backprop.screenPoint('test', 5));
    expect(target).not.toBeNull();
    await page.mouse.click(target!.x, target!.y);
    await page.waitForFunction(() => window.__backprop.sample !== null);
    const p = await api(page);
    expect(p.sample!.set).toBe('test');
    const e: Explanation = libraryNetwork(p).explain([p.sample!.x], [p.sample!.y], { learningRate: p.learningRate });

    // every quantity on the page, by name
    const shown = await page.$$eval('[data-testid=bw-steps] [data-q]', (els) =>
      els.map((el) => {
        const cells = el.querySelectorAll('td');
        const values = cells.length ? Array.from(cells, (td) => Number((td as HTMLElement).dataset['v'])) : [Number((el as HTMLElement).dataset['v'])];
        return { q: (el as HTMLElement).dataset['q']!, values };
      }),
    );
    const L = e.layers.length;
    const expected = (q: string): ArrayLike<number> => {
      if (q === 'loss') return [e.loss];
      if (q === 'y') return e.y.data;
      if (q === '0.x') return e.x.data;
      const [l, name] = q.split('.') as [string, string];
      const layer = e.layers[Number(l) - 1]!;
      const m = layer[name as keyof typeof layer] as Matrix | null;
      if (!m || typeof m !== 'object' || !('data' in m)) throw new Error(`unknown quantity ${q}`);
      return m.data;
    };
    for (const { q, values } of shown) expectClose(values, expected(q), q);
    const names = new Set(shown.map((s) => s.q));
    for (let l = 1; l <= L; l++) {
      for (const n of ['z', 'a', 'delta', 'dW', 'db', 'WNext', 'bNext']) expect(names, `${l}.${n} shown`).toContain(`${l}.${n}`);
      if (l > 1) expect(names).toContain(`${l}.dAPrev`);
    }
    expect(names).toContain(`${L}.dA`);
    expect(names).toContain('loss');

    // walk the steps: forward, ∂C/∂a(L), then δ, ∂C/∂W, ∂C/∂a(l-1) per layer, then the update
    const total = 1 + 1 + 3 * L - 1 + 1;
    expect(await page.locator('[data-testid=bw-title]').textContent()).toContain(`of ${total}`);
    const titles: string[] = [];
    for (let i = 0; i < total; i++) {
      titles.push((await page.locator('[data-testid=bw-title]').textContent()) ?? '');
      const lit = await page.locator('#bw-net .lit').count();
      expect(lit, `step ${i + 1} lights something`).toBeGreaterThan(0);
      if (i < total - 1) await page.click('[data-testid=bw-next]');
    }
    expect(titles[1]).toContain(`∂C/∂a(${L})`);
    expect(titles[2]).toContain(`δ(${L})`);
    expect(titles[total - 1]).toContain('update');
    expect(await page.locator('[data-testid=bw-next]').isDisabled()).toBe(true);

    // "apply update" puts W − η·∂C/∂W into the network
    await page.click('[data-testid=bw-apply]');
    await page.waitForFunction((w0) => JSON.stringify(window.__backprop.weights[0]!.W) !== w0, JSON.stringify(p.weights[0]!.W));
    const after = await api(page);
    e.layers.forEach((l, i) => {
      expectClose(after.weights[i]!.W, l.WNext!.data, `W(${i + 1}) after the update`);
      expectClose(after.weights[i]!.b, l.bNext!.data, `b(${i + 1}) after the update`);
    });
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('restores the state from the URL and reproduces the run of the library in Node', async () => {
    const hash = 'data=xor&samples=160&noise=0.1&test=0.25&seed=7&layers=5%2C3&act=relu&opt=momentum&lr=0.03&batch=8&epoch=40';
    const page = await open(hash);
    await page.waitForFunction(() => window.__backprop.epoch === 40 && !window.__backprop.playing, null, { timeout: 15_000 });
    expect(await page.locator('[data-testid=dataset]').inputValue()).toBe('xor');
    expect(await page.locator('[data-testid=activation]').inputValue()).toBe('relu');
    expect(await page.locator('[data-testid=optimizer]').inputValue()).toBe('momentum');
    expect(await page.locator('[data-testid=lr]').inputValue()).toBe('0.03');
    expect(await page.locator('[data-testid=batch]').inputValue()).toBe('8');
    const p = await api(page);
    expect(p.config.layers.map((l) => l.units)).toEqual([5, 3, 1]);
    expect(new URL(page.url()).hash.slice(1)).toBe(hash);

    // the same run with the library: what "copy as code" prints
    const all = toyDataset('xor' as ToyName, { samples: 160, noise: 0.1, seed: 7 });
    const { train, validation } = trainValidationSplit(all, 0.25, 7);
    const y = train.y.toArray().map((r) => r[1]!);
    const net = network([2, { units: 5, activation: 'relu' }, { units: 3, activation: 'relu' }, { units: 1, activation: 'sigmoid' }], { loss: 'mse', init: 'auto', seed: 7 });
    await net.fit(train.x, y, { epochs: 40, batchSize: 8, optimizer: 'momentum', learningRate: 0.03, seed: 7 });
    net.layers.forEach((l, i) => {
      expectClose(p.weights[i]!.W, l.W, `W(${i + 1}) after 40 epochs`);
      expectClose(p.weights[i]!.b, l.b, `b(${i + 1}) after 40 epochs`);
    });
    const testLoss = net.evaluate(validation.x, validation.y.toArray().map((r) => r[1]!)).loss;
    expect(p.testLoss).toBeCloseTo(testLoss, 5);

    // "copy as code" prints these calls
    await page.click('[data-testid=copy-code]');
    const code = (await page.locator('[data-testid=code]').textContent()) ?? '';
    expect(code).toContain("toyDataset('xor', { samples: 160, noise: 0.1, seed: 7 })");
    expect(code).toContain('trainValidationSplit(all, 0.25, 7)');
    expect(code).toContain("epochs: 40, batchSize: 8, optimizer: 'momentum', learningRate: 0.03, seed: 7");
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('downloads the trained network as our model file, ONNX and TF.js, all equal to the page\'s weights', async () => {
    const page = await open('data=moons&layers=3&epoch=20');
    await page.waitForFunction(() => window.__backprop.epoch === 20 && !window.__backprop.busy, null, { timeout: 15_000 });
    const p = await api(page);
    const fetchDownload = async (button: string): Promise<{ name: string; bytes: Buffer }[]> => {
      const [d] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click(button)]);
      return [{ name: d.suggestedFilename(), bytes: await readFile((await d.path())!) }];
    };
    // our model file: modelFromBytes in Node rebuilds exactly the page's network
    const [model] = await fetchDownload('[data-testid=dl-model]');
    expect(model!.name).toBe('playground-model.safetensors');
    const loaded = modelFromBytes(new Uint8Array(model!.bytes), model!.name);
    expect(loaded.network.specs).toEqual(p.config.layers);
    loaded.network.layers.forEach((l, i) => {
      expect(Array.from(l.W)).toEqual(p.weights[i]!.W);
      expect(Array.from(l.b)).toEqual(p.weights[i]!.b);
    });
    expect(loaded.info.extra?.['features']).toEqual(['x1', 'x2']);
    // ONNX: onnxruntime gives the library's predictions
    const [onnx] = await fetchDownload('[data-testid=dl-onnx]');
    expect(onnx!.name).toBe('playground-model.onnx');
    const session = await ort.InferenceSession.create(new Uint8Array(onnx!.bytes));
    const x = new Float32Array([0.3, -0.2, -0.5, 0.4]);
    const { output } = await session.run({ input: new ort.Tensor('float32', x, [2, 2]) });
    const expected = libraryNetwork(p).predict([[0.3, -0.2], [-0.5, 0.4]]);
    expectClose(output!.data as Float32Array, expected.data, 'onnxruntime output');
    // TF.js: model.json with its weights manifest, then the weights binary
    const files = new Map<string, Buffer>();
    const done = new Promise<void>((ok) => {
      page.on('download', (d) => {
        void d
          .path()
          .then((f) => readFile(f!))
          .then((b) => {
            files.set(d.suggestedFilename(), b);
            if (files.size === 2) ok();
          });
      });
    });
    await page.click('[data-testid=dl-tfjs]');
    await done;
    const modelJson = JSON.parse(files.get('model.json')!.toString('utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0]!.paths).toEqual(['group1-shard1of1.bin']);
    const params = p.weights.reduce((n, w) => n + w.W.length + w.b.length, 0);
    expect(files.get('group1-shard1of1.bin')!.length).toBe(params * 4);
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('works at phone width: blobs with softmax, the chain view, keyboard play/pause', async () => {
    const page = await open('data=blobs&classes=4&loss=cross-entropy', { width: 390, height: 844 });
    const p = await api(page);
    expect(p.config.layers[p.config.layers.length - 1]).toEqual({ units: 4, activation: 'softmax' });
    expect(p.config.loss).toBe('cross-entropy');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390 + 1);
    // keyboard: space plays and pauses
    await page.locator('body').focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => window.__backprop.epoch >= 3);
    await page.keyboard.press('Space');
    await page.waitForFunction(() => !window.__backprop.playing);
    // chain view: moving a slider changes the derivatives, which come from explain()
    await page.click('[data-testid=tab-chain]');
    const dW1 = page.locator('[data-testid=chain-derivatives] [data-q="chain.dW1"]');
    const before = await dW1.getAttribute('data-v');
    await page.locator('[data-testid=chain-w2]').press('ArrowLeft');
    await page.locator('[data-testid=chain-w2]').press('ArrowLeft');
    expect(await dW1.getAttribute('data-v')).not.toBe(before);
    await page.screenshot({ path: join(ARTIFACTS, 'playground-phone.png'), fullPage: true });
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});

describe.runIf(!HAVE_CHROMIUM)('playground browser tests', () => {
  // CI sets BACKPROP_REQUIRE_BROWSER=1: there a missing Chromium is a failure, never a skip.
  const required = Boolean(process.env['BACKPROP_REQUIRE_BROWSER']);
  it.skipIf(!required)(`need Chromium at ${CHROMIUM} (BACKPROP_REQUIRE_BROWSER is set)`, () => {
    expect.fail(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  });
  it.skipIf(true)(`SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`, () => {});
});
