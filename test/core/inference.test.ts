// predict and evaluate on the inference path (samples read one per row, as stored; copied into the
// kernels' memory in one piece or read there in place; threads for large batches) against a
// float64 forward pass computed here from the same weights, and against the JavaScript kernels.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { createWasmKernelsSync, sharedMemorySupported, threadsSupported, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { network, type NetworkSpec } from '../../src/network.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';

type Act = 'sigmoid' | 'tanh' | 'relu' | 'softmax' | 'linear';

/** a(L) in float64: z = W·a + b, a = σ(z) layer by layer, one sample at a time. */
function reference(weights: { W: number[][]; b: number[] }[], acts: Act[], x: Float32Array, inputs: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let s = 0; s < x.length / inputs; s++) {
    let a = Float64Array.from(x.subarray(s * inputs, (s + 1) * inputs));
    weights.forEach(({ W, b }, l) => {
      const z = W.map((row, i) => row.reduce((sum, w, p) => sum + w * a[p]!, b[i]!));
      const act = acts[l]!;
      if (act === 'softmax') {
        const top = Math.max(...z);
        const e = z.map((v) => Math.exp(v - top));
        const total = e.reduce((p, q) => p + q, 0);
        a = Float64Array.from(e, (v) => v / total);
      } else {
        const f = { sigmoid: (v: number) => 1 / (1 + Math.exp(-v)), tanh: Math.tanh, relu: (v: number) => Math.max(0, v), linear: (v: number) => v }[act];
        a = Float64Array.from(z, f);
      }
    });
    out.push(a);
  }
  return out;
}

const cases: { name: string; sizes: number[]; acts: Act[] }[] = [
  { name: 'tiny 2-8-1 (tanh, sigmoid)', sizes: [2, 8, 1], acts: ['tanh', 'sigmoid'] },
  { name: 'odd 37-13-7 (sigmoid, sigmoid)', sizes: [37, 13, 7], acts: ['sigmoid', 'sigmoid'] },
  { name: 'softmax 97-33-18-5 (relu, relu, softmax)', sizes: [97, 33, 18, 5], acts: ['relu', 'relu', 'softmax'] },
];
/** Batch sizes around the kernels' edges: 1 (a sample is both layouts), the small-batch paths (≤ 16), a chunk and past it. */
const BATCHES = [1, 3, 16, 17, 301, 1024, 1031];

function specOf(sizes: number[], acts: Act[]): NetworkSpec {
  return [sizes[0]!, ...acts.map((activation, l) => ({ units: sizes[l + 1]!, activation }))];
}

function inputs(rows: number, cols: number, seed: number): Float32Array {
  const r = new Random(seed);
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = r.normal();
  return x;
}

const kernelChoices: [string, () => WasmKernels][] = [
  ['wasm, 1 thread', () => createWasmKernelsSync({ threads: 1 })],
  ['wasm, plain memory', () => createWasmKernelsSync({ shared: false })],
];
// (parallelMinFlops 0: every product is split, whatever its size)
if (sharedMemorySupported() && threadsSupported()) kernelChoices.push(['wasm, 2 threads', () => createWasmKernelsSync({ threads: 2, parallelMinFlops: 0 })]);

describe.each(kernelChoices)('predict and evaluate on %s', (_, makeKernels) => {
  it.each(cases)('$name: predict equals the float64 forward pass and the js kernels, every batch size', ({ sizes, acts }) => {
    const kernels = makeKernels();
    try {
      const net = network(specOf(sizes, acts), { seed: 3, kernels, loss: acts.at(-1) === 'softmax' ? 'cross-entropy' : 'mse' });
      const js = network(specOf(sizes, acts), { seed: 3, backend: 'js', loss: acts.at(-1) === 'softmax' ? 'cross-entropy' : 'mse' });
      const weights = net.getWeights();
      for (const rows of BATCHES) {
        const x = inputs(rows, sizes[0]!, rows);
        const got = net.predict(new Matrix(rows, sizes[0]!, x));
        expect(got.shape).toEqual([rows, sizes.at(-1)]);
        const viaJs = js.predict(new Matrix(rows, sizes[0]!, x));
        const want = reference(weights, acts, x, sizes[0]!);
        want.forEach((row, s) =>
          row.forEach((v, i) => {
            expect(Math.abs(got.get(s, i) - v), `batch ${rows}, sample ${s}, output ${i}`).toBeLessThan(2e-5 * (1 + Math.abs(v)));
            expect(Math.abs(got.get(s, i) - viaJs.get(s, i))).toBeLessThan(2e-5 * (1 + Math.abs(v)));
          }),
        );
      }
    } finally {
      kernels.dispose();
    }
  });

  it.each(cases)('$name: evaluate agrees with the js kernels (loss and accuracy), across chunks', ({ sizes, acts }) => {
    const kernels = makeKernels();
    try {
      const loss = acts.at(-1) === 'softmax' ? 'cross-entropy' : 'mse';
      const net = network(specOf(sizes, acts), { seed: 5, kernels, loss });
      const js = network(specOf(sizes, acts), { seed: 5, backend: 'js', loss });
      const rows = 1500;
      const x = inputs(rows, sizes[0]!, 9);
      const outputs = sizes.at(-1)!;
      const r = new Random(4);
      const y = outputs === 1 ? Array.from({ length: rows }, () => (r.uniform() < 0.5 ? 0 : 1)) : Array.from({ length: rows }, () => Math.floor(r.uniform() * outputs));
      const got = net.evaluate(new Matrix(rows, sizes[0]!, x), y);
      const want = js.evaluate(new Matrix(rows, sizes[0]!, x), y);
      expect(got.loss).toBeCloseTo(want.loss, 5);
      // (an output within float32 rounding of a tie could flip one sample; none does with these seeds)
      expect(got.accuracy).toBe(want.accuracy);
    } finally {
      kernels.dispose();
    }
  });

  it('reads a data set in the kernels’ memory in place, and leaves it as it was', () => {
    const kernels = makeKernels();
    try {
      const net = network(specOf([37, 13, 7], ['sigmoid', 'sigmoid']), { seed: 2, kernels });
      const rows = 700;
      const owned = kernels.alloc(rows * 37);
      owned.set(inputs(rows, 37, 1));
      const copy = owned.slice();
      const inPlace = net.predict(new Matrix(rows, 37, owned));
      const copied = net.predict(new Matrix(rows, 37, copy));
      expect(Array.from(inPlace.data)).toEqual(Array.from(copied.data));
      expect(Array.from(owned)).toEqual(Array.from(copy));
    } finally {
      kernels.dispose();
    }
  });

  it('allocates nothing in the kernels’ memory once its buffers have the largest batch, batch 1 included', () => {
    const kernels = makeKernels();
    try {
      const net = network(specOf([97, 33, 18, 5], ['relu', 'relu', 'softmax']), { seed: 2, kernels, loss: 'cross-entropy' });
      const big = new Matrix(1024, 97, inputs(1024, 97, 1));
      const one = new Matrix(1, 97, inputs(1, 97, 2));
      net.predict(big);
      net.predict(one);
      net.evaluate(big, new Array(1024).fill(1));
      const before = kernels.allocatedBytes;
      for (let i = 0; i < 5; i++) {
        net.predict(one);
        net.predict(big);
        net.evaluate(big, new Array(1024).fill(1));
      }
      expect(kernels.allocatedBytes).toBe(before);
    } finally {
      kernels.dispose();
    }
  });

  it('NaN or Infinity in x: a DataError naming the sample and feature, in any chunk', () => {
    const kernels = makeKernels();
    try {
      const net = network(specOf([37, 13, 7], ['sigmoid', 'sigmoid']), { seed: 2, kernels });
      for (const [rows, row, col, bad] of [[1, 0, 5, NaN], [40, 17, 36, Infinity], [1100, 1050, 0, -Infinity], [1100, 700, 20, NaN]] as const) {
        const x = inputs(rows, 37, 3);
        x[row * 37 + col] = bad;
        expect(() => net.predict(new Matrix(rows, 37, x))).toThrow(DataError);
        expect(() => net.predict(new Matrix(rows, 37, x))).toThrow(`x row ${row}, column ${col} is ${bad}`);
        expect(() => net.evaluate(new Matrix(rows, 37, x), new Array(rows).fill(0))).toThrow(`x row ${row}, column ${col}`);
      }
    } finally {
      kernels.dispose();
    }
  });
});

describe('one copy of the training set', () => {
  it('a training set in the kernels’ memory is trained on in place: no staged copy, the same steps as from a copy', async () => {
    const rows = 600;
    const run = async (owned: boolean) => {
      const kernels = createWasmKernelsSync({ threads: 1, shared: true });
      try {
        const net = network(specOf([37, 13, 7], ['relu', 'softmax']), { seed: 2, kernels, loss: 'cross-entropy' });
        const data = owned ? kernels.alloc(rows * 37) : new Float32Array(rows * 37);
        data.set(inputs(rows, 37, 8));
        const y = Array.from({ length: rows }, (_, i) => i % 7);
        const before = kernels.allocatedBytes;
        const history = await net.fit(new Matrix(rows, 37, data), y, { epochs: 2, batchSize: 32, seed: 1 });
        return { losses: history.epochs.map((e) => e.loss), grew: kernels.allocatedBytes - before };
      } finally {
        kernels.dispose();
      }
    };
    const inPlace = await run(true);
    const copied = await run(false);
    expect(inPlace.losses).toHaveLength(2);
    expect(inPlace.losses).toEqual(copied.losses);
    // the copy's run staged the 600 × 37 inputs (88,800 bytes) in the kernels' memory; the other did not
    expect(copied.grew - inPlace.grew).toBeGreaterThanOrEqual(rows * 37 * 4);
  });
});
