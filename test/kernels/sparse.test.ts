// Exact zeros in the input: the first layer's products over X's non-zeros (Kernels.sparseForward,
// sparseWeightGradient) against the float64 reference and against the dense products, on every
// backend and at densities from 0 to 1; a gradient check through them; and training that takes the
// sparse path against training that does not.
import { describe, expect, it } from 'vitest';
import { activation } from '../../src/activations/index.js';
import { jsKernels } from '../../src/kernels/js.js';
import type { Kernels, SparseColumns } from '../../src/kernels/types.js';
import { createWasmKernelsSync, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { network } from '../../src/network.js';
import { Random } from '../../src/random.js';
import { gradientCheck } from '../../src/train/gradient-check.js';
import { Batch, SPARSE_DENSITY } from '../../src/train/batch.js';
import { evaluate, predict } from '../../src/train/evaluate.js';
import { Matrix, type FloatArray } from '../../src/tensor/matrix.js';
import { OptionError } from '../../src/errors.js';
import { gemmReference } from './reference.js';

const backends: [string, () => Kernels][] = [
  ['js', () => jsKernels],
  ['wasm, one thread', () => createWasmKernelsSync({ threads: 1 })],
  // every product split across the threads, however small
  ['wasm, two threads', () => createWasmKernelsSync({ threads: 2, parallelMinFlops: 0 })],
];

/** X (inputs × n) with entries non-zero with probability `density` (values in ±[0.5, 1.5]), dense and by its non-zeros, in k's memory. */
function sparseInput(k: Kernels, inputs: number, n: number, density: number, rng: Random): { X: Float32Array; S: SparseColumns } {
  const X = k.alloc(inputs * n);
  const area = k.alloc(n + 1 + 2 * inputs * n + 1);
  const start = new Int32Array(area.buffer, area.byteOffset, n + 1);
  const index = new Int32Array(area.buffer, area.byteOffset + 4 * (n + 1), inputs * n + 1);
  const value = area.subarray(n + 2 + inputs * n);
  let p = 0;
  for (let s = 0; s < n; s++) {
    start[s] = p;
    for (let j = 0; j < inputs; j++) {
      if (rng.uniform() >= density) continue;
      const v = (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + rng.uniform());
      X[j * n + s] = v;
      index[p] = j;
      value[p++] = v;
    }
  }
  start[n] = p;
  return { X, S: { start, index, value } };
}

function fill(a: FloatArray, rng: Random): FloatArray {
  for (let i = 0; i < a.length; i++) a[i] = 2 * rng.uniform() - 1;
  return a;
}

/** Every entry within tol·scale_i of the float64 reference. */
function expectClose(got: ArrayLike<number>, want: Float64Array, scale: Float64Array, tol: number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= tol * scale[i]! + 1e-30)) throw new Error(`${what}: entry ${i} is ${got[i]}, reference ${want[i]} (error ${err} > ${tol}·${scale[i]})`);
  }
}

/** Equal values (+0 and −0 count as equal: leaving a zero term out can only change a zero's sign). */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, count: number, what: string): void {
  for (let i = 0; i < count; i++) if (!(got[i] === want[i])) throw new Error(`${what}: entry ${i} is ${got[i]}, the dense path's ${want[i]}`);
}

// shapes past the wasm kernels' edges: rows not a multiple of 4 (four rows per pass), depth past
// one and several 256-deep blocks, batches of 1, ≤ 16 (the dense path's small forms), > 256 (∂C/∂W's
// depth in two blocks), columns not a multiple of 4 or 8
const shapes = [
  { inputs: 37, units: 13, n: 29 },
  { inputs: 1000, units: 7, n: 5 },
  { inputs: 601, units: 33, n: 130 },
  { inputs: 300, units: 6, n: 300 },
  { inputs: 19, units: 4, n: 1 },
];
const densities = [0, 0.013, 0.3, 1];

describe.each(backends)('sparse first-layer products: %s', (name, make) => {
  const k = make();
  const relu = activation('relu');

  it.each(shapes)('z = W·X + b, a = σ(z) and ∂C/∂W = δ·Xᵀ/n equal the float64 reference and the dense path ($inputs inputs, $units units, batch $n)', ({ inputs, units, n }) => {
    const rng = new Random(inputs * 7919 + n);
    for (const density of densities) {
      const { X, S } = sparseInput(k, inputs, n, density, rng);
      const W = fill(k.alloc(units * inputs), rng);
      const b = fill(k.alloc(units), rng);
      const delta = fill(k.alloc(units * n), rng);
      const [z, a, zDense, aDense, dW, dWDense] = [units * n, units * n, units * n, units * n, units * inputs, units * inputs].map((l) => k.alloc(l).fill(NaN));
      k.sparseForward!(relu, W, S, b, z!, a!, units, n, inputs);
      k.sparseWeightGradient!(delta, S, dW!, units, n, inputs, 1 / n);
      k.denseForward(relu, W, X, b, zDense!, aDense!, units, n, inputs);
      k.gemm(false, true, units, inputs, n, 1 / n, delta, X, 0, dWDense!);

      // z = W·X + b as W·X + 1·B (B: b broadcast over the columns); ∂C/∂W = (1/n)·δ·Xᵀ
      const B = Float32Array.from({ length: units * n }, (_, i) => b[Math.floor(i / n)]!);
      const { value: zRef, scale: zScale } = gemmReference(false, false, units, n, inputs, 1, W, X, 1, B);
      const { value: gRef, scale: gScale } = gemmReference(false, true, units, inputs, n, 1 / n, delta, X, 0, B);
      // float32 sums: each entry within a few units of rounding of its terms' magnitude
      const tol = 4 * 2 ** -24 * Math.max(inputs, n);
      const at = `${name}, density ${density}`;
      expectClose(z!, zRef, zScale, tol, `z, ${at}`);
      expectClose(a!, zRef.map((v) => Math.max(v, 0)), zScale, tol, `a, ${at}`);
      expectClose(dW!, gRef, gScale, tol, `∂C/∂W, ${at}`);
      if (k.name === 'wasm' && n > 16 && inputs > 16) {
        // the packed GEMM's order with the zero terms left out: the same values to the bit
        expectSame(z!, zDense!, units * n, `z against the dense path, ${at}`);
        expectSame(a!, aDense!, units * n, `a against the dense path, ${at}`);
        if (n <= 256) expectSame(dW!, dWDense!, units * inputs, `∂C/∂W against the dense path, ${at}`);
      }
    }
  });

  it('softmax (not fused into the product) is applied per column', () => {
    const rng = new Random(5);
    const [inputs, units, n] = [50, 10, 20];
    const { X, S } = sparseInput(k, inputs, n, 0.1, rng);
    const W = fill(k.alloc(units * inputs), rng);
    const b = fill(k.alloc(units), rng);
    const softmax = activation('softmax');
    const [z, a, zDense, aDense] = [0, 0, 0, 0].map(() => k.alloc(units * n));
    k.sparseForward!(softmax, W, S, b, z!, a!, units, n, inputs);
    k.denseForward(softmax, W, X, b, zDense!, aDense!, units, n, inputs);
    for (let i = 0; i < units * n; i++) expect(a![i]).toBeCloseTo(aDense![i]!, 6);
  });

  if (name !== 'js') {
    it('rejects a column with an index outside W or out of order, naming it', () => {
      const rng = new Random(6);
      const { S } = sparseInput(k, 10, 3, 0.5, rng);
      const [W, b, z, a] = [40, 4, 12, 12].map((l) => k.alloc(l));
      S.index[S.start[1]!] = 10;
      S.start[2] = Math.max(S.start[2]!, S.start[1]! + 1);
      expect(() => k.sparseForward!(relu, W!, S, b!, z!, a!, 4, 3, 10)).toThrow(/column 1 has row 10/);
      expect(() => k.sparseWeightGradient!(z!, S, W!, 4, 3, 10, 1)).toThrow(RangeError);
    });
  }
  if (k.name === 'wasm') (k as WasmKernels).dispose();
});

describe('staging by the non-zeros', () => {
  const rng = new Random(7);
  const inputs = 200;
  /** samples × inputs with about `density` of the entries non-zero */
  function data(samples: number, density: number): Matrix {
    const x = new Float32Array(samples * inputs);
    for (let i = 0; i < x.length; i++) if (rng.uniform() < density) x[i] = 1 + rng.uniform();
    return new Matrix(samples, inputs, x);
  }

  it.each(backends)('%s: sparse data (auto), forced either way, and dense data (auto); a batch gathered both ways is the same X', (_, make) => {
    const k = make();
    const sparse = data(50, SPARSE_DENSITY / 4);
    const dense = data(50, 0.5);
    const Y = new Matrix(50, 1, new Float32Array(50));
    const order = Array.from({ length: 50 }, (_, i) => (i * 17) % 50);
    const cases: [Matrix, boolean | 'auto', boolean][] = [
      [sparse, 'auto', true],
      [sparse, false, false],
      [dense, 'auto', false],
      [dense, true, true],
    ];
    for (const [X, sparseInput, expected] of cases) {
      const batch = new Batch(k, 'float32', inputs, 1);
      const [Xs, Ys] = batch.stage(X, Y, sparseInput);
      batch.load(Xs, Ys, order, 3, 40);
      expect(batch.sparseX !== null).toBe(expected);
      const plain = new Batch(jsKernels, 'float32', inputs, 1);
      plain.load(X, Y, order, 3, 40);
      expect(Array.from(batch.x())).toEqual(Array.from(plain.x()));
    }
    if (k.name === 'wasm') (k as WasmKernels).dispose();
  });

  it('names a bad sparseInput, and kernels without the sparse products when it is forced', () => {
    const X = data(4, 0.01);
    const Y = new Matrix(4, 1, new Float32Array(4));
    expect(() => new Batch(jsKernels, 'float32', inputs, 1).stage(X, Y, 'yes' as never)).toThrow(OptionError);
    const { sparseForward: _f, sparseWeightGradient: _g, ...dense } = jsKernels;
    expect(() => new Batch({ ...dense, name: 'plain' }, 'float32', inputs, 1).stage(X, Y, true)).toThrow(/'plain' kernels have no sparse products/);
    const [Xs, Ys] = new Batch({ ...dense, name: 'plain' }, 'float32', inputs, 1).stage(X, Y, 'auto');
    expect([Xs, Ys]).toEqual([X, Y]);
  });
});

describe('training on a sparse input', () => {
  it('backpropagation through the sparse products matches finite differences (float64)', () => {
    const rng = new Random(8);
    const [inputs, n] = [23, 6];
    const net = network([inputs, { units: 5, activation: 'tanh' }, { units: 3, activation: 'softmax' }], { dtype: 'float64', loss: 'cross-entropy', seed: 3 });
    const x = new Float64Array(n * inputs);
    for (let i = 0; i < x.length; i++) if (rng.uniform() < 0.15) x[i] = 2 * rng.uniform() - 1;
    const y = new Float64Array(n * 3);
    for (let s = 0; s < n; s++) y[s * 3 + (s % 3)] = 1;
    const X = new Matrix(n, inputs, x);
    const Y = new Matrix(n, 3, y);
    const batch = new Batch(jsKernels, 'float64', inputs, 3);
    const [Xs, Ys] = batch.stage(X, Y, true);
    const order = Array.from({ length: n }, (_, i) => i);
    // the network's gradients, computed through the sparse products
    const checkable = {
      parameters: () => net.parameters(),
      gradients() {
        batch.load(Xs, Ys, order, 0, n);
        const input = batch.sparseX!;
        net.forward(input, n);
        const loss = net.loss(batch.y, n);
        net.backward(batch.y, n, input);
        return { loss, layers: net.layers.map((l) => ({ dW: new Matrix(l.units, l.inputs, l.dW.slice()), db: new Matrix(l.units, 1, l.db.slice()) })) };
      },
    };
    const result = gradientCheck(checkable, X, Y);
    expect(result.checked).toBe(5 * inputs + 5 + 3 * 5 + 3);
    expect(result.worst).toBeLessThan(1e-6);
    // and the same gradients as the dense products
    const sparseGrads = checkable.gradients().layers;
    const denseGrads = net.gradients(X, Y).layers;
    sparseGrads.forEach((g, l) => {
      for (let i = 0; i < g.dW.data.length; i++) expect(g.dW.data[i]).toBeCloseTo(denseGrads[l]!.dW.data[i]!, 12);
    });
  });

  /** A planted linear rule on a bag-of-words-like input: class = arg max of V·x. */
  function plantedSet(samples: number, inputs: number, density: number, classes: number, seed: number): { x: Float32Array; y: Float32Array } {
    const rng = new Random(seed);
    const V = Float64Array.from({ length: classes * inputs }, () => rng.normal());
    const x = new Float32Array(samples * inputs);
    const y = new Float32Array(samples * classes);
    for (let s = 0; s < samples; s++) {
      for (let j = 0; j < inputs; j++) if (rng.uniform() < density) x[s * inputs + j] = 1;
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < classes; c++) {
        let score = 0;
        for (let j = 0; j < inputs; j++) score += V[c * inputs + j]! * x[s * inputs + j]!;
        if (score > bestScore) [best, bestScore] = [c, score];
      }
      y[s * classes + best] = 1;
    }
    return { x, y };
  }

  it.each([
    ['wasm', 0],
    ['js', 1e-4],
  ] as const)('fit on %s learns the same with the sparse path as with the dense one', async (backend, tol) => {
    const [samples, inputs, classes] = [600, 400, 4];
    const { x, y } = plantedSet(samples, inputs, 0.03, classes, 11);
    const X = new Matrix(samples, inputs, x);
    const Y = new Matrix(samples, classes, y);
    const train = async (sparseInput: boolean | 'auto') => {
      const net = network([inputs, { units: 32, activation: 'relu' }, { units: classes, activation: 'softmax' }], { loss: 'cross-entropy', seed: 2, backend, threads: 2 });
      // batches of 40 (15 full ones): the dense path's packed GEMM throughout, whose order the wasm sparse products keep
      const history = await net.fit(X, Y, { epochs: 4, batchSize: 40, optimizer: 'adam', learningRate: 0.01, sparseInput });
      return { net, history };
    };
    const auto = await train('auto');
    const dense = await train(false);
    const lastLoss = (h: typeof auto.history) => h.epochs[h.epochs.length - 1]!.loss;
    expect(lastLoss(auto.history)).toBeLessThan(0.5 * auto.history.epochs[0]!.loss);
    expect(auto.net.evaluate(X, Y).accuracy).toBeGreaterThan(0.8);
    auto.net.layers.forEach((l, i) => {
      const other = dense.net.layers[i]!;
      for (let j = 0; j < l.W.length; j++) {
        if (tol === 0) expect(l.W[j]).toBe(other.W[j]);
        else expect(Math.abs(l.W[j]! - other.W[j]!)).toBeLessThanOrEqual(tol);
      }
    });
    expect(Math.abs(lastLoss(auto.history) - lastLoss(dense.history))).toBeLessThanOrEqual(tol);
  });
});

describe('sparse inference: predict and evaluate take mostly-zero batches by their non-zeros', () => {
  /** samples × inputs with entries non-zero with probability `density` (±[0.5, 1.5]), some zeros negative. */
  function rowsOf(rows: number, inputs: number, density: number, rng: Random): Float32Array {
    const x = new Float32Array(rows * inputs);
    for (let i = 0; i < x.length; i++) {
      if (rng.uniform() < density) x[i] = (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + rng.uniform());
      else if (rng.uniform() < 0.01) x[i] = -0;
    }
    return x;
  }

  it.each(backends.map(([name, make]) => ({ name, make })))('nonZeros on $name: the rows by their non-zeros (−0 is zero, NaN is not), −1 past the limit', ({ make }) => {
    const k = make();
    const rng = new Random(31);
    for (const [n, cols] of [[1, 1], [1, 16], [3, 37], [17, 100], [64, 1000]] as const) {
      for (const density of [0, 0.02, 0.3, 1]) {
        const x = k.alloc(n * cols);
        x.set(rowsOf(n, cols, density, rng));
        if (density === 0.3) x[Math.floor(n * cols / 2)] = NaN;
        const area = k.alloc(n + 1 + 2 * n * cols);
        const out = {
          start: new Int32Array(area.buffer, area.byteOffset, n + 1),
          index: new Int32Array(area.buffer, area.byteOffset + 4 * (n + 1), n * cols),
          value: area.subarray(n + 1 + n * cols),
        };
        const nnz = k.nonZeros!(x, n, cols, n * cols, out);
        const want = jsKernels.nonZeros!(x, n, cols, n * cols, { start: new Int32Array(n + 1), index: new Int32Array(n * cols), value: new Float32Array(n * cols) });
        expect(nnz).toBe(want);
        expect(nnz).toBe(x.filter((v) => v !== 0).length);
        for (let s = 0; s < n; s++) {
          const row = Array.from(x.subarray(s * cols, (s + 1) * cols));
          const js = row.flatMap((v, j) => (v !== 0 ? [j] : []));
          expect(Array.from(out.index.subarray(out.start[s], out.start[s + 1]))).toEqual(js);
          expect(Array.from(out.value.subarray(out.start[s], out.start[s + 1]))).toEqual(js.map((j) => row[j]));
        }
        // exactly at the limit is taken; one more non-zero than the limit is not
        if (nnz > 0) {
          expect(k.nonZeros!(x, n, cols, nnz, out)).toBe(nnz);
          expect(k.nonZeros!(x, n, cols, nnz - 1, out)).toBe(-1);
        }
      }
    }
  });

  it.each(backends.map(([name, make]) => ({ name, make })))('nonZeros on $name: the limit holds past the values counted ahead (wasm: the first 2^19), with the non-zeros before, after and on both sides of them', ({ make }) => {
    const k = make();
    const [n, cols] = [700, 1000];
    const ahead = 1 << 19;
    const x = k.alloc(n * cols);
    const area = k.alloc(n + 1 + 2 * 60_000);
    const out = { start: new Int32Array(area.buffer, area.byteOffset, n + 1), index: new Int32Array(area.buffer, area.byteOffset + 4 * (n + 1), 60_000), value: area.subarray(n + 1 + 60_000) };
    for (const [from, to] of [[0, 50_000], [ahead, ahead + 50_000], [ahead - 25_000, ahead + 25_000], [n * cols - 50_000, n * cols]]) {
      x.fill(0);
      for (let j = from; j < to; j++) x[j] = j % 7 === 0 ? -0 : 1 + (j % 5);
      const nnz = x.filter((v) => v !== 0).length;
      const want = { start: new Int32Array(n + 1), index: new Int32Array(nnz), value: new Float32Array(nnz) };
      expect(jsKernels.nonZeros!(x, n, cols, nnz, want)).toBe(nnz);
      expect(k.nonZeros!(x, n, cols, nnz, out)).toBe(nnz);
      expect(Array.from(out.start)).toEqual(Array.from(want.start));
      expect(Array.from(out.index.subarray(0, nnz))).toEqual(Array.from(want.index));
      expect(Array.from(out.value.subarray(0, nnz))).toEqual(Array.from(want.value));
      expect(k.nonZeros!(x, n, cols, nnz - 1, out)).toBe(-1);
    }
  });

  const choices: [string, () => Kernels][] = [
    ['js', () => jsKernels],
    ['wasm, 1 thread', () => createWasmKernelsSync({ threads: 1 })],
    ['wasm, 2 threads', () => createWasmKernelsSync({ threads: 2, parallelMinFlops: 0 })],
    ['wasm, 3 threads', () => createWasmKernelsSync({ threads: 3, parallelMinFlops: 0 })],
  ];

  it.each(choices.map(([name, make]) => ({ name, make })))('on $name: equal to the dense path (bit for bit on wasm past the small batches), at densities 0–100%, batch 1 and odd sizes', ({ name, make }) => {
    const kernels = make();
    try {
      const inputs = 300;
      const net = network([inputs, { units: 37, activation: 'relu' }, { units: 5, activation: 'softmax' }], { seed: 6, kernels, loss: 'cross-entropy' });
      const rng = new Random(32);
      for (const rows of [1, 3, 17, 301, 1031]) {
        for (const density of [0, 0.01, SPARSE_DENSITY, 0.2, 1]) {
          const X = new Matrix(rows, inputs, rowsOf(rows, inputs, density, rng));
          const y = Array.from({ length: rows }, (_, i) => i % 5);
          const batch = new Batch(kernels, 'float32', inputs, 5);
          const [auto, dense, forced] = (['auto', false, true] as const).map((mode) => predict(net, batch, X, mode));
          // which way 'auto' took the first chunk
          batch.loadForward(X, null, null, 0, Math.min(rows, 1024));
          const nnz = X.data.subarray(0, Math.min(rows, 1024) * inputs).filter((v) => v !== 0).length;
          expect(batch.sparseX !== null, `density ${density}, batch ${rows}`).toBe(nnz <= SPARSE_DENSITY * Math.min(rows, 1024) * inputs);
          const at = `${name}, density ${density}, batch ${rows}`;
          // (the wasm kernels' small-batch forms, chunks of at most 16, sum in another order)
          const exact = (i: number) => name !== 'js' && Math.min(1024, rows - Math.floor(i / 5 / 1024) * 1024) > 16;
          for (const got of [auto, forced]) {
            for (let i = 0; i < dense.data.length; i++) {
              if (exact(i)) expect(got.data[i], at).toBe(dense.data[i]);
              else expect(Math.abs(got.data[i]! - dense.data[i]!), at).toBeLessThanOrEqual(1e-6);
            }
          }
          const [e, d] = [evaluate(net, batch, X, new Matrix(rows, 5, Float32Array.from({ length: rows * 5 }, (_, i) => (i % 5 === y[Math.floor(i / 5)]! ? 1 : 0)))), net.evaluate(X, y)];
          expect(e.accuracy, at).toBe(d.accuracy);
          expect(Math.abs(e.loss - d.loss), at).toBeLessThanOrEqual(1e-6 * (1 + d.loss));
        }
      }
    } finally {
      (kernels as Partial<WasmKernels>).dispose?.();
    }
  });

  it('NaN or Infinity in a sparse batch: a DataError naming the sample and feature', () => {
    const kernels = createWasmKernelsSync({ threads: 2, parallelMinFlops: 0 });
    try {
      const inputs = 400;
      const net = network([inputs, { units: 16, activation: 'relu' }, { units: 3, activation: 'softmax' }], { seed: 2, kernels, loss: 'cross-entropy' });
      for (const [rows, row, col, bad] of [[1, 0, 5, NaN], [40, 17, 36, Infinity], [1100, 1050, 399, -Infinity]] as const) {
        const x = rowsOf(rows, inputs, 0.01, new Random(rows));
        x[row * inputs + col] = bad;
        const batch = new Batch(kernels, 'float32', inputs, 3);
        batch.loadForward(new Matrix(rows, inputs, x), null, null, Math.floor(row / 1024) * 1024, Math.min(1024, rows - Math.floor(row / 1024) * 1024));
        expect(batch.sparseX).not.toBeNull();
        expect(() => net.predict(new Matrix(rows, inputs, x))).toThrow(`x row ${row}, column ${col} is ${bad}`);
        expect(() => net.evaluate(new Matrix(rows, inputs, x), new Array(rows).fill(0))).toThrow(`x row ${row}, column ${col}`);
      }
    } finally {
      kernels.dispose();
    }
  });

  it('allocates nothing once sized; sparseInput names a bad value, and true on kernels without nonZeros', () => {
    const kernels = createWasmKernelsSync({ threads: 1 });
    const inputs = 500;
    const net = network([inputs, { units: 8, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], { seed: 1, kernels });
    const rng = new Random(9);
    const sets = [0.01, 0.5].map((d) => new Matrix(1024, inputs, rowsOf(1024, inputs, d, rng)));
    const one = new Matrix(1, inputs, rowsOf(1, inputs, 0.01, rng));
    const calls = () => {
      for (const X of sets) net.predict(X);
      net.predict(one);
      net.evaluate(sets[0]!, new Array(1024).fill(1));
    };
    calls();
    const before = kernels.allocatedBytes;
    calls();
    expect(kernels.allocatedBytes).toBe(before);
    const batch = new Batch(kernels, 'float32', inputs, 1);
    expect(() => batch.loadForward(sets[0]!, null, null, 0, 10, 'yes' as never)).toThrow(OptionError);
    const without = new Batch({ ...jsKernels, nonZeros: undefined }, 'float32', inputs, 1);
    expect(() => without.loadForward(sets[0]!, null, null, 0, 10, true)).toThrow(/no sparse products/);
    without.loadForward(sets[0]!, null, null, 0, 10);
    expect(without.sparseX).toBeNull();
    kernels.dispose();
  });
});
