/**
 * Bit-identity on 1, 2 and 3 threads of the wasm kernels themselves: every array lives in the
 * kernels' memory (asserted with owns()), so no kernel can fall back to the JavaScript path and
 * turn the comparison into JS against JS. And the same for a whole fit.
 *
 * Threads need Node ≥ 20.16 (process.getBuiltinModule, which the kernels use to reach
 * worker_threads), the version package.json's engines requires: on such a Node these tests run,
 * they are not skipped.
 */
import { describe, expect, it } from 'vitest';
import { activation } from '../../src/activations/index.js';
import { createWasmKernels, createWasmKernelsSync, sharedMemorySupported, threadsSupported, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { adam, network, Random, sgd, type FloatArray, type Network, type Optimizer } from '../../src/index.js';

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const modernNode = major > 20 || (major === 20 && minor >= 16);

it(`Node ${process.versions.node}: threads run here when Node is ≥ 20.16 (engines), so the tests below are not skipped silently`, () => {
  expect(modernNode).toBe(true);
  expect(threadsSupported() && sharedMemorySupported()).toBe(true);
});

/** An array of the kernels' memory, filled in place (`.map` would return one outside it). */
function owned(k: WasmKernels, length: number, r: Random): FloatArray {
  const a = k.alloc(length);
  for (let i = 0; i < a.length; i++) a[i] = r.normal();
  expect(k.owns(a)).toBe(true);
  return a;
}

function hex(a: FloatArray): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

describe.runIf(threadsSupported() && sharedMemorySupported())('wasm kernels on 1, 2 and 3 threads, arrays in the kernel memory', () => {
  it('fused forward and backward, gathers and column sums: bit for bit', async () => {
    const all = [createWasmKernelsSync({ threads: 1 }), createWasmKernelsSync({ threads: 2, parallelMinFlops: 0 }), await createWasmKernels({ threads: 3, parallelMinFlops: 0 })];
    try {
      expect(all.map((k) => k.threads)).toEqual([1, 2, 3]);
      const results = all.map((k) => {
        const r = new Random(4);
        const [units, batch, width, samples] = [31, 10, 787, 40];
        const data = owned(k, samples * width, r);
        const W = owned(k, units * width, r);
        const b = owned(k, units, r);
        const XT = owned(k, batch * width, r);
        const z = owned(k, units * batch, r);
        const a = owned(k, units * batch, r);
        k.gatherRows(data, width, [39, 0, 7, 7, 21, 3, 38, 1, 2, 30], 0, batch, XT);
        k.denseForward(activation('sigmoid'), W, XT, b, z, a, units, batch, width, true);
        const dA = owned(k, width * batch, r);
        const deltaPrev = owned(k, width * batch, r);
        const zPrev = owned(k, width * batch, r);
        const aPrev = owned(k, width * batch, r);
        k.activate(activation('tanh'), zPrev, aPrev, width, batch);
        k.denseBackward(activation('tanh'), W, z, zPrev, aPrev, dA, deltaPrev, units, batch, width);
        const db = owned(k, width, r);
        k.sumColumns(db, dA, width, batch, 1 / batch);
        const X = owned(k, 37 * width, r);
        k.gatherColumns(data, width, Array.from({ length: 37 }, (_, i) => (i * 7) % samples), 0, 37, X);
        // a large forward, split over rows of W
        const [U, n, I] = [131, 37, 260];
        const W2 = owned(k, U * I, r);
        const X2 = owned(k, I * n, r);
        const b2 = owned(k, U, r);
        const z2 = owned(k, U * n, r);
        const a2 = owned(k, U * n, r);
        k.denseForward(activation('tanh'), W2, X2, b2, z2, a2, U, n, I);
        return [XT, z, a, dA, deltaPrev, db, X, z2, a2].map(hex);
      });
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
    } finally {
      for (const k of all) k.dispose();
    }
  });

  it.each([
    [16, 'small batches (the set staged in the kernel memory, gathered as Xᵀ)'],
    [48, 'large batches'],
  ])('a whole fit, batch %i of 203 samples (%s): the same weights and history on 1, 2 and 3 threads', async (batchSize) => {
    const r = new Random(12);
    const x = Array.from({ length: 203 }, () => Array.from({ length: 300 }, () => r.uniform()));
    const y = x.map((row) => (row[0]! + row[299]! > 1 ? [1, 0, 0] : row[1]! > 0.5 ? [0, 1, 0] : [0, 0, 1]));
    const run = async (threads: number, opt: Optimizer): Promise<string[]> => {
      const kernels = createWasmKernelsSync({ threads, parallelMinFlops: 0 });
      const net: Network = network([300, { units: 64, activation: 'relu' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 6, kernels });
      const history = await net.fit(x, y, { epochs: 2, batchSize, optimizer: opt, seed: 2 });
      const out = [...net.layers.flatMap((l) => [hex(l.W), hex(l.b)]), JSON.stringify(history.epochs.map((e) => [e.loss, e.accuracy]))];
      kernels.dispose();
      return out;
    };
    for (const make of [() => adam({ learningRate: 0.01 }), () => sgd({ learningRate: 0.5 })]) {
      const one = await run(1, make());
      expect(await run(2, make())).toEqual(one);
      expect(await run(3, make())).toEqual(one);
    }
  });
});
