// One kernel suite, run against every backend: each kernel is compared with a float64 reference
// computed here from the same float32 inputs, on shapes chosen to hit the edges of the wasm GEMM's
// tiling (MR×NR = 4×8 micro-tiles, KC = 256 depth blocks, MC = 128 row blocks, NC = 1024 column
// blocks): 1×1, primes, batch of 1, 1000×3 and 3×1000, sizes just past a block.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { activation, type Activation, type ElementwiseActivation } from '../../src/activations/index.js';
import { BACKENDS, createKernels, createKernelsSync, defaultBackend, jsKernels } from '../../src/kernels/index.js';
import type { Kernels } from '../../src/kernels/types.js';
import { availableCores, createWasmKernels, createWasmKernelsSync, sharedMemorySupported, threadsSupported, wasmBytes, wasmSimdSupported, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { jobSlots, putParam, WORDS as JOB_WORDS } from '../../src/kernels/wasm/jobs.js';
import { Network } from '../../src/network.js';
import { adam, momentum, sgd, type Optimizer } from '../../src/optimizers/index.js';
import { Random } from '../../src/random.js';
import type { FloatArray } from '../../src/tensor/matrix.js';
import { gemmReference } from './reference.js';

const backends: [string, () => Kernels][] = [
  ['js', () => jsKernels],
  ['wasm (shared memory)', () => createWasmKernelsSync({ shared: true })],
  ['wasm (plain memory)', () => createWasmKernelsSync({ shared: false })],
  ['wasm (deterministic: no FMA)', () => createWasmKernelsSync({ deterministic: true })],
];

const rng = new Random(20240611);
/** Fills x in place with N(0, 1) draws (in place: TypedArray.map would return an array outside the kernels' memory). */
function normals(x: Float32Array, r: Random): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = r.normal();
  return x;
}
function fill(a: FloatArray, lo = -1, hi = 1): FloatArray {
  for (let i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

/** Every entry within tol of the reference, relative to `scale` (the magnitude the entry's rounding error follows). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number> | number, tol: number, what: string): void {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i]!;
    const err = Math.abs(got[i]! - want[i]!) / (s + 1e-30);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (!(worst <= tol)) {
    throw new Error(`${what}: entry ${at} is ${got[at]}, reference ${want[at]} (relative error ${worst.toExponential(2)} > ${tol})`);
  }
}

// [m, n, k]
const GEMM_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 29],
  [4, 8, 4],
  [5, 9, 3],
  [8, 12, 5],
  [12, 4, 9],
  [1, 17, 33],
  [33, 1, 17],
  [1000, 3, 5],
  [3, 1000, 7],
  [3, 5, 1000],
  [17, 23, 257],
  [131, 37, 31],
  [9, 1031, 13],
  [30, 10, 784],
  // the small-batch forward path (NN, 4 < n ≤ 12, A and B read in place) and the shallow path (NN, k ≤ 16, n ≥ 8)
  [13, 11, 300],
  [6, 7, 5],
  [2, 12, 1],
  [30, 784, 10],
  [5, 37, 16],
  [3, 8, 1],
  [4, 17, 17],
  // the small-batch transposed forward (NT, n ≤ 16: row dot products; odd m, k mod 4 = 3)
  [31, 16, 787],
  [3, 5, 2],
];
const FORMS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
// [alpha, beta]
const SCALARS: [number, number][] = [
  [1, 0],
  [0.125, 0],
  [1, 1],
  [-0.7, 0.3],
  [0, 0.5],
];

const ACTIVATIONS = [
  activation('sigmoid'),
  activation('relu'),
  activation('tanh'),
  activation('leaky-relu', { alpha: 0.2 }),
  activation('linear'),
  activation('elu'),
  activation('elu', { alpha: 0.5 }),
  activation('gelu'),
  activation('softplus'),
  activation('silu'),
  // user-defined: softsign, run on the JavaScript path by every backend
  activation({ name: 'softsign', f: (z) => z / (1 + Math.abs(z)), df: (z) => 1 / (1 + Math.abs(z)) ** 2 }),
] as ElementwiseActivation[];

/**
 * Φ(z) by composite Simpson's rule (4,000 panels), independent of the library's erf: the upper tail
 * ∫_|z|^{|z|+12} φ(t) dt (no cancellation however small), and Φ(z) = 1 − tail for z ≥ 0.
 */
function normalCdf(z: number): number {
  const m = 4000;
  const lo = Math.abs(z);
  const h = 12 / m;
  const pdf = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  let s = pdf(lo) + pdf(lo + 12);
  for (let i = 1; i < m; i++) s += (i % 2 ? 4 : 2) * pdf(lo + i * h);
  const tail = (s * h) / 3;
  return z >= 0 ? 1 - tail : tail;
}

/** z values across every branch of the wasm approximations (exp range reduction, tanh's polynomial, underflow). */
function activationInputs(z: FloatArray): FloatArray {
  const special = [0, -0, 1e-4, -1e-4, 0.49, 0.5, 0.51, -0.5, 3, -3, 20, -20, 87, -87, 88, -88, 100, -100, 1e-30];
  for (let i = 0; i < z.length; i++) z[i] = i < special.length ? special[i]! : 16 * (rng.uniform() - 0.5) * (i % 3 === 0 ? 0.1 : 1);
  return z;
}

function reference(act: Activation, z: number): number {
  switch (act.id) {
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'relu':
      return z > 0 ? z : 0;
    case 'tanh':
      return Math.tanh(z);
    case 'leaky-relu':
      return z > 0 ? z : act.alpha * z;
    case 'linear':
      return z;
    case 'elu':
      return z > 0 ? z : act.alpha * (Math.exp(z) - 1);
    case 'gelu':
      return z * normalCdf(z);
    case 'softplus':
      // (log1p: Math.log(1 + e^z) keeps only 1e-16/e^z of its value's digits, 1e-4 relative at z = −27)
      return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    case 'silu':
      return z / (1 + Math.exp(-z));
    case 'softsign':
      return z / (1 + Math.abs(z));
    default:
      throw new Error('not elementwise');
  }
}

/**
 * The size of the terms σ'(z) is computed from: where they cancel (GELU's Φ(z) + z·φ(z) near
 * z = −0.75, SiLU's near z = −1.28), float32 rounding is relative to them, not to their sum.
 */
function slopeScale(act: Activation, z: number, a: number): number {
  const s = 1 / (1 + Math.exp(-z));
  if (act.id === 'gelu') return normalCdf(z) + (Math.abs(z) * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI);
  if (act.id === 'silu') return s * (1 + Math.abs(z) * (1 - s));
  return Math.abs(referenceSlope(act, z, a));
}

/** σ'(z) of the reference forms above, in float64 (sigmoid and tanh from a, as the kernels do). */
function referenceSlope(act: Activation, z: number, a: number): number {
  const s = 1 / (1 + Math.exp(-z));
  switch (act.id) {
    case 'sigmoid':
      return a * (1 - a);
    case 'tanh':
      return 1 - a * a;
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'leaky-relu':
      return z > 0 ? 1 : act.alpha;
    case 'elu':
      return z > 0 ? 1 : act.alpha * Math.exp(z);
    case 'gelu':
      return normalCdf(z) + (z * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI);
    case 'softplus':
      return s;
    case 'silu':
      return s * (1 + z * (1 - s));
    case 'softsign':
      return 1 / (1 + Math.abs(z)) ** 2;
    default:
      return 1;
  }
}

function softmaxReference(z: FloatArray, units: number, n: number): Float64Array {
  const out = new Float64Array(units * n);
  for (let j = 0; j < n; j++) {
    let max = -Infinity;
    for (let i = 0; i < units; i++) max = Math.max(max, z[i * n + j]!);
    let sum = 0;
    for (let i = 0; i < units; i++) sum += Math.exp(z[i * n + j]! - max);
    for (let i = 0; i < units; i++) out[i * n + j] = Math.exp(z[i * n + j]! - max) / sum;
  }
  return out;
}

const ELEMENT_SHAPES: [number, number][] = [
  [1, 1],
  [7, 13],
  [3, 1000],
  [1000, 3],
  [10, 128],
  [1, 5],
];

describe.each(backends)('kernels: %s', (_name, make) => {
  const k = make();

  it('gemm: every transpose form, alpha/beta variant and awkward shape matches float64 within 1e-5', () => {
    for (const [m, n, kk] of GEMM_SHAPES) {
      const a = fill(k.alloc(m * kk));
      const b = fill(k.alloc(kk * n));
      const c = k.alloc(m * n);
      for (const [transA, transB] of FORMS) {
        for (const [alpha, beta] of SCALARS) {
          fill(c);
          const ref = gemmReference(transA, transB, m, n, kk, alpha, a, b, beta, c);
          k.gemm(transA, transB, m, n, kk, alpha, a, b, beta, c);
          expectClose(c, ref.value, ref.scale, 1e-5, `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}×${n}×${kk} alpha=${alpha} beta=${beta}`);
        }
      }
    }
  });

  it('gemm: beta = 0 ignores C (NaN in C does not leak), k = 0 gives beta·C', () => {
    const a = fill(k.alloc(6 * 5));
    const b = fill(k.alloc(5 * 9));
    const c = k.alloc(6 * 9).fill(NaN);
    k.gemm(false, false, 6, 9, 5, 1, a, b, 0, c);
    expect(c.every(Number.isFinite)).toBe(true);
    fill(c);
    const before = Float64Array.from(c);
    k.gemm(false, false, 6, 9, 0, 1, a, b, 0.5, c);
    expectClose(c, before.map((v) => 0.5 * v), 1, 1e-7, 'k = 0');
  });

  it('gemm: arrays outside the kernel memory (plain Float32Array, Float64Array) give the same results', () => {
    const [m, n, kk] = [13, 11, 40];
    for (const make of [(l: number) => new Float32Array(l), (l: number) => new Float64Array(l)]) {
      const a = fill(make(m * kk));
      const b = fill(make(kk * n));
      const c = fill(make(m * n));
      const ref = gemmReference(false, true, m, n, kk, 0.5, a, b, 0.25, c);
      k.gemm(false, true, m, n, kk, 0.5, a, b, 0.25, c);
      expectClose(c, ref.value, ref.scale, 1e-5, 'foreign arrays');
    }
    // mixed: A in kernel memory, B and C outside
    const a = fill(k.alloc(m * kk));
    const b = fill(new Float32Array(kk * n));
    const c = fill(new Float32Array(m * n));
    const ref = gemmReference(false, false, m, n, kk, 1, a, b, 0, c);
    k.gemm(false, false, m, n, kk, 1, a, b, 0, c);
    expectClose(c, ref.value, ref.scale, 1e-5, 'mixed arrays');
  });

  it('transpose: dst (cols × rows) = srcᵀ on awkward shapes', () => {
    expect(k.transpose).toBeDefined();
    for (const [rows, cols] of [[1, 1], [10, 784], [7, 13], [4, 4], [3, 1000], [1000, 3], [16, 5], [1, 9]] as const) {
      const src = fill(k.alloc(rows * cols));
      const dst = fill(k.alloc(rows * cols));
      k.transpose!(src, rows, cols, dst);
      const want = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c * rows + r] = src[r * cols + c]!;
      expect(Array.from(dst), `transpose ${rows}×${cols}`).toEqual(Array.from(want));
    }
  });

  it('gatherRows and gatherColumns: a batch from a source in the kernel memory or outside it, every batch size up to 40', () => {
    for (const cols of [13, 16, 3]) {
      const samples = 50;
      const inside = fill(k.alloc(samples * cols));
      const outside = Float32Array.from(inside);
      const order = Uint32Array.from({ length: samples }, (_, i) => (i * 17 + 5) % samples);
      for (const src of [inside, outside]) {
        for (let n = 1; n <= 40; n++) {
          const byRows = fill(k.alloc(n * cols));
          const byCols = fill(k.alloc(n * cols));
          k.gatherRows(src, cols, order, 3, n, byRows);
          k.gatherColumns(src, cols, order, 3, n, byCols);
          const rows = new Float32Array(n * cols);
          const columns = new Float32Array(n * cols);
          for (let j = 0; j < n; j++) {
            for (let f = 0; f < cols; f++) {
              rows[j * cols + f] = src[order[3 + j]! * cols + f]!;
              columns[f * n + j] = src[order[3 + j]! * cols + f]!;
            }
          }
          expect(Array.from(byRows), `rows, ${cols} columns, n = ${n}`).toEqual(Array.from(rows));
          expect(Array.from(byCols), `columns, ${cols} columns, n = ${n}`).toEqual(Array.from(columns));
        }
      }
    }
  });

  it('addBias and sumColumns', () => {
    for (const [units, n] of ELEMENT_SHAPES) {
      const z = fill(k.alloc(units * n));
      const b = fill(k.alloc(units));
      const want = Float64Array.from(z, (v, i) => v + b[Math.floor(i / n)]!);
      k.addBias(z, b, units, n);
      expectClose(z, want, Float64Array.from(want, (v, i) => Math.abs(z[i]! - b[Math.floor(i / n)]!) + Math.abs(v)), 1e-6, `addBias ${units}×${n}`);

      const out = fill(k.alloc(units));
      const sums = new Float64Array(units);
      const abs = new Float64Array(units);
      for (let i = 0; i < units; i++) {
        for (let j = 0; j < n; j++) {
          sums[i]! += z[i * n + j]!;
          abs[i]! += Math.abs(z[i * n + j]!);
        }
      }
      k.sumColumns(out, z, units, n, 1 / n);
      expectClose(out, sums.map((s) => s / n), abs.map((s) => s / n), 1e-6, `sumColumns ${units}×${n}`);
    }
  });

  it('activate, activateBackward and activationDerivative for every elementwise activation', () => {
    for (const act of ACTIVATIONS) {
      for (const [units, n] of ELEMENT_SHAPES) {
        const count = units * n;
        const z = activationInputs(k.alloc(count));
        const a = k.alloc(count);
        k.activate(act, z, a, units, n);
        const want = Float64Array.from(z, (v) => reference(act, v));
        expectClose(a, want, want.map(Math.abs), 1e-5, `${act.id} ${units}×${n}`);

        // derivative and backward from the same a, so both sides see the same inputs
        const ds = k.alloc(count);
        k.activationDerivative(act, z, a, ds, count);
        const dsWant = Float64Array.from(z, (v, i) => referenceSlope(act, v, a[i]!));
        const dsScale = Float64Array.from(z, (v, i) => slopeScale(act, v, a[i]!) + 1e-7);
        expectClose(ds, dsWant, dsScale, 1e-6, `${act.id}' ${units}×${n}`);

        const dA = fill(k.alloc(count));
        const delta = k.alloc(count);
        k.activateBackward(act, z, a, dA, delta, units, n);
        const dWant = Float64Array.from(dA, (v, i) => v * dsWant[i]!);
        expectClose(delta, dWant, Float64Array.from(dA, (v, i) => Math.abs(v) * dsScale[i]!), 1e-6, `${act.id} backward ${units}×${n}`);
      }
    }
  });

  it('softmax per column, forward and Jacobian-vector product', () => {
    const act = activation('softmax');
    for (const [units, n] of ELEMENT_SHAPES) {
      const count = units * n;
      const z = fill(k.alloc(count), -30, 30);
      const a = k.alloc(count);
      k.activate(act, z, a, units, n);
      const want = softmaxReference(z, units, n);
      expectClose(a, want, want.map((v) => Math.abs(v) + 1e-30), 1e-5, `softmax ${units}×${n}`);

      const dA = fill(k.alloc(count));
      const delta = k.alloc(count);
      k.activateBackward(act, z, a, dA, delta, units, n);
      const dWant = new Float64Array(count);
      const dScale = new Float64Array(count);
      for (let j = 0; j < n; j++) {
        let dot = 0;
        let abs = 0;
        for (let i = 0; i < units; i++) {
          dot += a[i * n + j]! * dA[i * n + j]!;
          abs += Math.abs(a[i * n + j]! * dA[i * n + j]!);
        }
        for (let i = 0; i < units; i++) {
          dWant[i * n + j] = a[i * n + j]! * (dA[i * n + j]! - dot);
          dScale[i * n + j] = a[i * n + j]! * (Math.abs(dA[i * n + j]!) + abs) + 1e-30;
        }
      }
      expectClose(delta, dWant, dScale, 1e-6, `softmax backward ${units}×${n}`);
    }
    expect(() => k.activationDerivative(act, k.alloc(1), k.alloc(1), k.alloc(1), 1)).toThrow(/Jacobian/);
  });

  it('maxAbs: the largest |x| at any position; NaN for any NaN, Infinity for any ±Infinity', () => {
    for (const length of [1, 3, 4, 7, 1001]) {
      const x = fill(k.alloc(length));
      let want = 0;
      for (const v of x) want = Math.max(want, Math.abs(v));
      expect(k.maxAbs(x)).toBe(want);
      for (const at of new Set([0, Math.floor(length / 2), length - 1])) {
        const keep = x[at]!;
        x[at] = -3e38;
        expect(k.maxAbs(x)).toBe(Math.fround(3e38));
        x[at] = NaN;
        expect(k.maxAbs(x)).toBeNaN();
        x[at] = -Infinity;
        expect(k.maxAbs(x)).toBe(Infinity);
        x[at] = keep;
      }
    }
  });

  it('sgd, momentum and adam updates over several steps', () => {
    for (const length of [1, 3, 4, 7, 1001]) {
      const theta = fill(k.alloc(length));
      const g = k.alloc(length);
      const v = k.alloc(length);
      const m = k.alloc(length);
      const av = k.alloc(length);
      const ref = Float64Array.from(theta);
      const refV = new Float64Array(length);
      const refM = new Float64Array(length);
      const refAv = new Float64Array(length);
      const [lr, mu, b1, b2, eps] = [0.05, 0.9, 0.9, 0.999, 1e-8];
      for (let t = 1; t <= 3; t++) {
        fill(g);
        k.sgdUpdate(theta, g, lr);
        for (let i = 0; i < length; i++) ref[i]! -= lr * g[i]!;
        k.momentumUpdate(theta, g, v, lr, mu, false);
        // scales: the magnitudes of the terms summed (their float32 rounding is what differs)
        const vScale = Float64Array.from(refV, (x, i) => Math.abs(mu * x) + Math.abs(g[i]!));
        const mScale = Float64Array.from(refM, (x, i) => Math.abs(b1 * x) + Math.abs((1 - b1) * g[i]!));
        const avScale = Float64Array.from(refAv, (x, i) => b2 * x + (1 - b2) * g[i]! * g[i]!);
        for (let i = 0; i < length; i++) {
          refV[i] = mu * refV[i]! + g[i]!;
          ref[i]! -= lr * refV[i]!;
        }
        k.adamUpdate(theta, g, m, av, lr, b1, b2, eps, t);
        for (let i = 0; i < length; i++) {
          refM[i] = b1 * refM[i]! + (1 - b1) * g[i]!;
          refAv[i] = b2 * refAv[i]! + (1 - b2) * g[i]! * g[i]!;
          ref[i]! -= (lr * refM[i]! / (1 - b1 ** t)) / (Math.sqrt(refAv[i]! / (1 - b2 ** t)) + eps);
        }
        expectClose(v, refV, vScale, 1e-5, `momentum v, step ${t}`);
        expectClose(m, refM, mScale, 1e-5, `adam m, step ${t}`);
        expectClose(av, refAv, avScale, 1e-5, `adam v, step ${t}`);
        expectClose(theta, ref, ref.map((x) => Math.abs(x) + lr), 1e-5, `θ after step ${t} (length ${length})`);
      }
    }
  });
});

describe('wasm memory', () => {
  it('growing a shared memory keeps every earlier view valid and in use by the kernels', () => {
    if (!sharedMemorySupported()) return;
    const k = createWasmKernelsSync({ shared: true, initialMemoryMB: 2 });
    const early = fill(k.alloc(1000));
    const copy = Float32Array.from(early);
    const before = k.memory.buffer.byteLength;
    const big = k.alloc(4 << 20); // 16 MiB: the memory must grow
    expect(k.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(k.owns(big)).toBe(true);
    expect(early.length).toBe(1000);
    expect(Array.from(early)).toEqual(Array.from(copy));
    expect(k.owns(early)).toBe(true);
    // kernels keep working on the old view and on the new one, in the same call
    big.fill(2, 0, 1000);
    k.sgdUpdate(early, big.subarray(0, 1000), 0.5);
    expect(Array.from(early)).toEqual(Array.from(copy, (v) => Math.fround(v - 1)));
    // views are 16-byte aligned and do not overlap
    const p = k.alloc(3);
    const q = k.alloc(5);
    expect(p.byteOffset % 16).toBe(0);
    expect(q.byteOffset % 16).toBe(0);
    expect(q.byteOffset).toBeGreaterThanOrEqual(p.byteOffset + 12);
    expect(big.byteOffset).toBeGreaterThanOrEqual(early.byteOffset + 4000);
  });

  it('a shared memory at its maximum hands out ordinary arrays instead of failing', () => {
    if (!sharedMemorySupported()) return;
    const k = createWasmKernelsSync({ shared: true, initialMemoryMB: 2, maximumMemoryMB: 4 });
    const inside = k.alloc(1000);
    const outside = k.alloc(2 << 20); // 8 MiB > 4 MiB maximum
    expect(k.owns(inside)).toBe(true);
    expect(k.owns(outside)).toBe(false);
    expect(outside.length).toBe(2 << 20);
  });

  it('a full plain memory is never grown under existing views: alloc falls back to ordinary arrays', () => {
    const k = createWasmKernelsSync({ shared: false, initialMemoryMB: 2 });
    const early = fill(k.alloc(1000));
    const copy = Float32Array.from(early);
    const buffer = k.memory.buffer;
    const big = k.alloc(1 << 20); // 4 MiB does not fit in 2 MiB
    expect(k.memory.buffer).toBe(buffer); // not grown, nothing detached
    expect(k.owns(big)).toBe(false);
    expect(big.length).toBe(1 << 20);
    expect(Array.from(early)).toEqual(Array.from(copy));
    // a kernel on a mix of both kinds still computes the right thing (through the JS path)
    big.fill(2, 0, 1000);
    k.sgdUpdate(early, big.subarray(0, 1000), 0.5);
    expect(Array.from(early)).toEqual(Array.from(copy, (v) => Math.fround(v - 1)));
  });

  it('the fused dense forward (z = W·X + b, a = σ(z)) matches gemm + addBias + activate', () => {
    const k = createWasmKernelsSync();
    for (const act of [...ACTIVATIONS, activation('softmax')]) {
      for (const [units, n, inputs] of [[1, 1, 1], [30, 10, 784], [131, 9, 260], [10, 128, 128], [10, 10, 30], [7, 12, 5], [9, 40, 12], [31, 16, 787], [3, 3, 6]] as const) {
        const W = fill(k.alloc(units * inputs));
        const X = fill(k.alloc(inputs * n));
        const b = fill(k.alloc(units));
        const z = k.alloc(units * n);
        const a = k.alloc(units * n);
        // X as given (inputs × n), then as Xᵀ (n × inputs, one sample per row: a gathered small batch)
        for (const transX of [false, true]) {
          const XT = k.alloc(inputs * n);
          k.transpose(X, inputs, n, XT);
          z.fill(NaN);
          k.denseForward(act, W, transX ? XT : X, b, z, a, units, n, inputs, transX);
          const ref = gemmReference(false, false, units, n, inputs, 1, W, X, 0, z);
          const zWant = ref.value.map((v, i) => v + b[Math.floor(i / n)]!);
          const what = `denseForward${transX ? ' (Xᵀ)' : ''} ${act.id} ${units}×${n}×${inputs}`;
          expectClose(z, zWant, ref.scale.map((s, i) => s + Math.abs(b[Math.floor(i / n)]!)), 1e-5, `${what}: z`);
          const aWant = act.elementwise ? Float64Array.from(z, (v) => reference(act, v)) : softmaxReference(z, units, n);
          // (a floor of 1e-20: GELU's far tail, e.g. −1.9e-29 at z = −11, carries its exponent's float32 rounding)
          expectClose(a, aWant, aWant.map((v) => Math.abs(v) + 1e-20), 1e-5, `${what}: a`);
        }
      }
    }
  });

  it('the fused backward (∂C/∂a_prev = Wᵀ·δ, δ_prev = ∂C/∂a_prev ⊙ σ\'(z_prev)) matches float64', () => {
    const k = createWasmKernelsSync();
    for (const act of ACTIVATIONS) {
      for (const [units, n, inputs] of [[1, 1, 1], [10, 10, 30], [10, 128, 128], [128, 128, 256], [7, 13, 29], [30, 3, 5]] as const) {
        const W = fill(k.alloc(units * inputs));
        const delta = fill(k.alloc(units * n));
        const zPrev = activationInputs(k.alloc(inputs * n));
        const aPrev = k.alloc(inputs * n);
        k.activate(act, zPrev, aPrev, inputs, n);
        const dA = fill(k.alloc(inputs * n));
        const deltaPrev = fill(k.alloc(inputs * n));
        k.denseBackward(act, W, delta, zPrev, aPrev, dA, deltaPrev, units, n, inputs);
        const ref = gemmReference(true, false, inputs, n, units, 1, W, delta, 0, dA);
        const what = `denseBackward ${act.id} ${units}×${n}×${inputs}`;
        expectClose(dA, ref.value, ref.scale, 1e-5, `${what}: ∂C/∂a_prev`);
        // σ'(z) in float64 from the stored a = σ(z) (sigmoid a(1-a), tanh 1-a²), the rest by the sign of z
        const slope = (i: number): number => referenceSlope(act, zPrev[i]!, aPrev[i]!);
        const want = Float64Array.from(ref.value, (v, i) => v * slope(i));
        expectClose(deltaPrev, want, Float64Array.from(ref.scale, (sc, i) => sc * slopeScale(act, zPrev[i]!, aPrev[i]!) + 1e-7), 1e-4, `${what}: δ_prev`);
      }
    }
  });

  it('adam and momentum set optimizer state below the smallest normal float32 to 0, and keep every other value', () => {
    const k = createWasmKernelsSync();
    const tiny = 1.1754943508222875e-38; // smallest normal float32
    const count = 11; // two f32x4 groups and a scalar tail
    const theta = k.alloc(count).fill(0.5);
    const g = k.alloc(count); // zero gradients: the state only decays
    const m = k.alloc(count);
    const v = k.alloc(count);
    const mv = k.alloc(count);
    // β·x lands below `tiny` for even entries, stays at or above it for odd ones (v, a second moment, stays ≥ 0)
    for (let i = 0; i < count; i++) {
      v[i] = (i % 2 ? 1.25 : 1.05) * tiny;
      m[i] = mv[i] = v[i]! * (i === 3 ? -1 : 1);
    }
    const [mBefore, vBefore, mvBefore] = [Float32Array.from(m), Float32Array.from(v), Float32Array.from(mv)];
    k.adamUpdate(theta, g, m, v, 0.001, 0.9, 0.9, 1e-8, 1);
    k.momentumUpdate(theta, g, mv, 0.001, 0.9, false);
    for (let i = 0; i < count; i++) {
      for (const [name, after, before] of [['adam m', m, mBefore], ['adam v', v, vBefore], ['momentum v', mv, mvBefore]] as const) {
        const exact = Math.fround(0.9 * before[i]!);
        const want = Math.abs(exact) < tiny ? 0 : exact;
        expect(after[i], `${name}[${i}]`).toBe(want);
      }
      expect(theta[i]).toBe(0.5);
    }
    expect(Array.from(m).filter((x) => x !== 0).length).toBe(5);
  });

  it('the gathers reject a row number outside the source instead of reading past it', () => {
    const k = createWasmKernelsSync();
    const src = fill(k.alloc(5 * 4));
    const dst = k.alloc(2 * 4);
    expect(() => k.gatherRows(src, 4, [1, 5], 0, 2, dst)).toThrow(/gatherRows: row 5 is outside the 5 rows of src/);
    expect(() => k.gatherRows(src, 4, [-1, 0], 0, 2, dst)).toThrow(/row -1 is outside/);
    expect(() => k.gatherColumns(src, 4, [0, 1.5], 0, 2, dst)).toThrow(/gatherColumns: row 1.5 is outside/);
  });
});

describe('backend selection', () => {
  it('auto picks wasm where WebAssembly SIMD exists; js and wasm can be forced', async () => {
    expect(BACKENDS).toEqual(['auto', 'wasm', 'js']);
    expect(wasmSimdSupported()).toBe(true);
    expect(defaultBackend()).toBe('wasm');
    expect((await createKernels()).name).toBe('wasm');
    expect((await createKernels({ backend: 'js' })).name).toBe('js');
    expect((await createKernels({ backend: 'wasm' })).name).toBe('wasm');
    expect(createKernelsSync({ backend: 'auto' }).name).toBe('wasm');
    expect(() => createKernelsSync({ backend: 'gpu' as never })).toThrow(/unknown backend "gpu"; valid: auto, wasm, js/);
  });
});

describe('training: js and wasm kernels agree', () => {
  /** Three Gaussian blobs in 6 dimensions. */
  function blobs(count: number, seed: number): { x: number[][]; y: number[][] } {
    const r = new Random(seed);
    const x: number[][] = [];
    const y: number[][] = [];
    for (let s = 0; s < count; s++) {
      const c = s % 3;
      x.push(Array.from({ length: 6 }, (_, d) => (d % 3 === c ? 1.5 : 0) + r.normal()));
      y.push([0, 1, 2].map((i) => (i === c ? 1 : 0)));
    }
    return { x, y };
  }

  const cases: [string, () => Optimizer, string, 'cross-entropy' | 'mse'][] = [
    ['adam, relu/softmax, cross-entropy', () => adam({ learningRate: 0.01 }), 'relu', 'cross-entropy'],
    ['sgd, sigmoid, mse', () => sgd({ learningRate: 3 }), 'sigmoid', 'mse'],
    ['momentum, tanh/softmax, cross-entropy', () => momentum({ learningRate: 0.05 }), 'tanh', 'cross-entropy'],
  ];

  it.each(cases)('%s: same loss curve and accuracy within float32 tolerance', (_name, makeOpt, hidden, lossId) => {
    const { x, y } = blobs(300, 7);
    const run = (kernels: Kernels) => {
      const net = new Network(
        6,
        [
          { units: 16, activation: hidden as 'relu' },
          { units: 12, activation: hidden as 'relu' },
          { units: 3, activation: lossId === 'mse' ? 'sigmoid' : 'softmax' },
        ],
        { seed: 42, loss: lossId, kernels },
      );
      const opt = makeOpt();
      const losses: number[] = [];
      for (let epoch = 0; epoch < 5; epoch++) {
        for (let s = 0; s < x.length; s += 25) losses.push(net.trainStep(x.slice(s, s + 25), y.slice(s, s + 25), opt));
      }
      return { losses, final: net.evaluate(x, y) };
    };
    const js = run(jsKernels);
    const wasm = run(createWasmKernelsSync());
    expect(wasm.losses.length).toBe(js.losses.length);
    for (let i = 0; i < js.losses.length; i++) expect(Math.abs(wasm.losses[i]! - js.losses[i]!)).toBeLessThan(1e-4 * (1 + js.losses[i]!));
    expect(Math.abs(wasm.final.loss - js.final.loss)).toBeLessThan(1e-4);
    expect(Math.abs(wasm.final.accuracy - js.final.accuracy)).toBeLessThanOrEqual(2 / 300);
    expect(js.final.accuracy).toBeGreaterThan(0.8);
  });
});

describe.runIf(sharedMemorySupported() && threadsSupported())('threads', () => {
  it('awaiting createKernels with threads settles in a Node process with nothing else to do', () => {
    // (inside vitest the event loop is always busy, so this needs a process of its own)
    const entry = new URL('../../src/kernels/index.ts', import.meta.url).href;
    const script = `const { createKernels } = await import(${JSON.stringify(entry)}); const k = await createKernels({ backend: 'wasm', threads: 2 }); console.log(k.name, k.threads);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe('wasm 2');
  });

  it('products split over 2 and 3 threads equal the single-thread ones bit for bit', async () => {
    const one = createWasmKernelsSync({ threads: 1 });
    const many = [createWasmKernelsSync({ threads: 2, parallelMinFlops: 0 }), await createWasmKernels({ threads: 3, parallelMinFlops: 0 })];
    try {
      for (const k of many) expect(k.threads).toBeGreaterThan(1);
      for (const [m, n, kk] of GEMM_SHAPES) {
        for (const [transA, transB] of FORMS) {
          const a = fill(one.alloc(m * kk));
          const b = fill(one.alloc(kk * n));
          const c0 = fill(one.alloc(m * n));
          const c1 = Float32Array.from(c0);
          one.gemm(transA, transB, m, n, kk, 0.5, a, b, 0.25, c0);
          for (const k of many) {
            const [a2, b2, c2] = [k.alloc(a.length), k.alloc(b.length), k.alloc(c1.length)];
            a2.set(a);
            b2.set(b);
            c2.set(c1);
            k.gemm(transA, transB, m, n, kk, 0.5, a2, b2, 0.25, c2);
            expect(Buffer.from(c2.buffer, c2.byteOffset, c2.byteLength).equals(Buffer.from(c0.buffer, c0.byteOffset, c0.byteLength)), `${m}×${n}×${kk} ${transA}${transB} on ${k.threads} threads`).toBe(true);
          }
        }
      }
      // the fused forward too
      const [units, n, inputs] = [131, 37, 260];
      const outputs = [one, ...many].map((k) => {
        const r = new Random(3);
        const W = normals(k.alloc(units * inputs), r);
        const X = normals(k.alloc(inputs * n), r);
        const b = normals(k.alloc(units), r);
        const z = k.alloc(units * n);
        const a = k.alloc(units * n);
        // every array in the kernels' memory, so that the wasm kernels (and their threads) run
        if (k !== jsKernels) for (const x of [W, X, b, z, a]) expect((k as WasmKernels).owns(x)).toBe(true);
        k.denseForward(activation('tanh'), W, X, b, z, a, units, n, inputs);
        return [Array.from(z), Array.from(a)];
      });
      expect(outputs[0]![1]!.some((v) => v !== 0)).toBe(true);
      for (const o of outputs.slice(1)) expect(o).toEqual(outputs[0]);
      // the small-batch forward from a gathered Xᵀ, and the gather itself (each thread copies its own samples)
      const [samples, batch, width] = [40, 10, 787];
      const small = [one, ...many].map((k) => {
        const r = new Random(4);
        const data = normals(k.alloc(samples * width), r);
        const W = normals(k.alloc(31 * width), r);
        const b = normals(k.alloc(31), r);
        const XT = k.alloc(batch * width);
        const z = k.alloc(31 * batch);
        const a = k.alloc(31 * batch);
        if (k !== jsKernels) for (const x of [data, W, b, XT]) expect((k as WasmKernels).owns(x)).toBe(true);
        k.gatherRows(data, width, [39, 0, 7, 7, 21, 3, 38, 1, 2, 30], 0, batch, XT);
        k.denseForward(activation('sigmoid'), W, XT, b, z, a, 31, batch, width, true);
        // the fused backward into the layer below (rows of ∂C/∂a_prev split)
        const dA = k.alloc(width * batch);
        const deltaPrev = k.alloc(width * batch);
        const zPrev = normals(k.alloc(width * batch), r);
        const aPrev = k.alloc(width * batch);
        k.activate(activation('tanh'), zPrev, aPrev, width, batch);
        k.denseBackward(activation('tanh'), W, z, zPrev, aPrev, dA, deltaPrev, 31, batch, width);
        // ∂C/∂b of a large δ, each thread summing its rows
        const db = k.alloc(width);
        k.sumColumns(db, dA, width, batch, 1 / batch);
        // a large batch, one column per sample (blocks of 16 samples per thread)
        const order = Array.from({ length: 37 }, (_, i) => (i * 7) % samples);
        const X = k.alloc(37 * width);
        k.gatherColumns(data, width, order, 0, 37, X);
        return [Array.from(XT), Array.from(z), Array.from(a), Array.from(dA), Array.from(deltaPrev), Array.from(db), Array.from(X)];
      });
      for (const o of small.slice(1)) expect(o).toEqual(small[0]);
      // inference: few units, many samples as stored (Xᵀ), split by samples
      const many1 = [one, ...many].map((k) => {
        const r = new Random(5);
        const [units, samples, width] = [30, 1000, 787];
        const XT = normals(k.alloc(samples * width), r);
        const W = normals(k.alloc(units * width), r);
        const b = normals(k.alloc(units), r);
        const z = k.alloc(units * samples);
        const a = k.alloc(units * samples);
        k.denseForward(activation('sigmoid'), W, XT, b, z, a, units, samples, width, true);
        return [Array.from(z), Array.from(a)];
      });
      expect(many1[0]![1]!.some((v) => v !== 0)).toBe(true);
      for (const o of many1.slice(1)) expect(o).toEqual(many1[0]);
    } finally {
      for (const k of many) k.dispose();
    }
  });

  it('by default the kernels use every core, starting the workers with the first product worth splitting', async () => {
    const one = createWasmKernelsSync({ threads: 1 });
    const unthreaded = one.allocatedBytes;
    for (const k of [createWasmKernelsSync(), await createWasmKernels()]) {
      try {
        expect(k.threads).toBe(availableCores());
        // no workers yet: the memory holds what one thread's kernels hold
        expect(k.allocatedBytes).toBe(unthreaded);
        // small products run on the calling thread: no worker, nothing reserved for one
        const before = k.allocatedBytes;
        const [a, b, c] = [fill(k.alloc(4 * 30)), fill(k.alloc(30 * 10)), k.alloc(4 * 10)];
        const reserved = k.allocatedBytes;
        k.gemm(false, false, 4, 10, 30, 1, a, b, 0, c);
        expect(k.allocatedBytes).toBe(reserved);
        expect(reserved - before).toBe(4 * (4 * 30 + 30 * 10 + 4 * 10));
        // a large one starts them (their control block and workspaces are reserved) and is split
        const [m, n, kk] = [256, 128, 300];
        const [A, B, C] = [fill(k.alloc(m * kk)), fill(k.alloc(kk * n)), k.alloc(m * n)];
        const [A1, B1, C1] = [one.alloc(m * kk), one.alloc(kk * n), one.alloc(m * n)];
        A1.set(A);
        B1.set(B);
        const start = k.allocatedBytes;
        k.gemm(false, false, m, n, kk, 1, A, B, 0, C);
        if (availableCores() > 1) expect(k.allocatedBytes).toBeGreaterThan(start);
        one.gemm(false, false, m, n, kk, 1, A1, B1, 0, C1);
        expect(Array.from(C)).toEqual(Array.from(C1));
      } finally {
        k.dispose();
      }
      expect(k.threads).toBe(1);
    }
  });

  it("a network's own kernels use every core, and their workers stop once the network is collected", () => {
    // (a process of its own, to run the garbage collector)
    const entry = new URL('../../src/index.ts', import.meta.url).href;
    const script = `
      const { network, Matrix } = await import(${JSON.stringify(entry)});
      let net = network([300, { units: 256, activation: 'relu' }], { seed: 1 });
      const kernels = net.kernels;
      const before = kernels.allocatedBytes;
      net.predict(new Matrix(128, 300, new Float32Array(128 * 300).fill(0.5)));
      const started = kernels.allocatedBytes > before;
      const threads = kernels.threads;
      net = null;
      for (let i = 0; i < 50 && kernels.threads > 1; i++) {
        globalThis.gc();
        await new Promise((ok) => setTimeout(ok, 20));
      }
      console.log(threads, started, kernels.threads);`;
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe(availableCores() > 1 ? `${availableCores()} true 1` : '1 false 1');
  });

  it('the last depth block: a thread that has finished computes the units another has published, and never rows it has not', () => {
    // One instance drives runJob on the calling thread as "thread 1" of a 2-thread job, with
    // thread 0's claim word set by hand: published (thread 0 has reached its last depth block and
    // claimed nothing yet) or not. A has 40 rows: thread 0 owns rows 0-19 (units of 16 and 4 rows).
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
    const x = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(true)), { env: { memory } }).exports as unknown as {
      heapBase(): number;
      workspaceBytes(): number;
      runJob(control: number, index: number, ws: number): void;
      gemm(...args: number[]): void;
    };
    let top = (x.heapBase() + 15) & ~15;
    const reserve = (bytes: number) => ((top += (bytes + 15) & ~15), top - ((bytes + 15) & ~15));
    const ws = reserve(x.workspaceBytes());
    const control = reserve(4 * (JOB_WORDS.CLAIMS + 64));
    const i32 = new Int32Array(memory.buffer, control, JOB_WORDS.CLAIMS + 64);
    const f32 = new Float32Array(memory.buffer, control, JOB_WORDS.CLAIMS + 64);
    const views = { i32, f32, f64: new Float64Array(memory.buffer, control, (JOB_WORDS.CLAIMS + 64) / 2) };
    const UNPUBLISHED = -1;
    const SENTINEL = 12345;
    const [m, n] = [40, 24];
    for (const k of [100, 600]) {
      // k = 100: one depth block (the last from the start); k = 600: three, the last shared
      const a = new Float32Array(memory.buffer, reserve(4 * m * k), m * k);
      const b = new Float32Array(memory.buffer, reserve(4 * k * n), k * n);
      const c = new Float32Array(memory.buffer, reserve(4 * m * n), m * n);
      const single = new Float32Array(memory.buffer, reserve(4 * m * n), m * n);
      fill(a);
      fill(b);
      x.gemm(0, 0, m, n, k, 1, a.byteOffset, b.byteOffset, 0, single.byteOffset, ws, 0, m, 0, n);
      const want = gemmReference(false, false, m, n, k, 1, a, b, 0, new Float32Array(m * n));
      expectClose(single, want.value, want.scale, 1e-5, `gemm ${m}×${n}×${k}`);
      for (const published of [true, false]) {
        if (k > 100 && published) continue; // thread 0's rows would lack its earlier depth blocks
        c.fill(SENTINEL);
        i32[JOB_WORDS.OP] = jobSlots().gemm.op;
        [0, 0, m, n, k, 1, a.byteOffset, b.byteOffset, 0, c.byteOffset].forEach((v, i) => putParam(views, jobSlots().gemm, i, v));
        i32.set([0, 20, 0, n, 20, 40, 0, n], JOB_WORDS.RANGES);
        i32[JOB_WORDS.SIZE] = 2;
        i32[JOB_WORDS.CLAIMS] = published ? (0 << 16) | 2 : UNPUBLISHED;
        i32[JOB_WORDS.CLAIMS + 1] = UNPUBLISHED;
        x.runJob(control, 1, ws);
        // thread 1's own rows, bit for bit as one thread computes them
        expect(Array.from(c.subarray(20 * n))).toEqual(Array.from(single.subarray(20 * n)));
        if (published) {
          // thread 0's rows were taken from its far end and computed the same way
          expect(Array.from(c.subarray(0, 20 * n))).toEqual(Array.from(single.subarray(0, 20 * n)));
          const w = i32[JOB_WORDS.CLAIMS]!;
          expect(w >>> 16).toBeGreaterThanOrEqual(w & 0xffff);
        } else {
          expect(c.subarray(0, 20 * n).every((v) => v === SENTINEL), `k = ${k}: rows of an unpublished thread were written`).toBe(true);
        }
      }
    }
  });

  it('sgd and momentum updates split over 2 and 3 threads equal the single-thread ones bit for bit', async () => {
    const one = createWasmKernelsSync({ threads: 1 });
    const many = [createWasmKernelsSync({ threads: 2 }), await createWasmKernels({ threads: 3 })];
    try {
      for (const count of [4096, 23521, 100001]) {
        const r = new Random(count);
        const init = [0, 1, 2].map(() => Float32Array.from({ length: count }, () => r.normal()));
        const results = [one, ...many].map((k) => {
          const [theta, g, v] = init.map((a) => {
            const b = k.alloc(count);
            b.set(a);
            return b;
          });
          for (let t = 1; t <= 3; t++) {
            k.sgdUpdate(theta!, g!, 0.3);
            k.momentumUpdate(theta!, g!, v!, 0.01, 0.9, t === 2);
          }
          return [theta!, v!].map((a) => Buffer.from(a.slice().buffer));
        });
        for (const res of results.slice(1)) res.forEach((b, i) => expect(b.equals(results[0]![i]!), `${count}: array ${i}`).toBe(true));
      }
    } finally {
      for (const k of many) k.dispose();
    }
  });

  it('adam updates split over 2 and 3 threads equal the single-thread ones bit for bit', async () => {
    const one = createWasmKernelsSync({ threads: 1 });
    const many = [createWasmKernelsSync({ threads: 2 }), await createWasmKernels({ threads: 3 })];
    try {
      for (const count of [16384, 40003, 100001]) {
        const r = new Random(count);
        const init = [0, 1, 2, 3].map(() => Float32Array.from({ length: count }, () => r.normal()));
        init[3] = init[3]!.map(Math.abs); // v ≥ 0
        const results = [one, ...many].map((k) => {
          const [theta, g, m, v] = init.map((a) => {
            const b = k.alloc(count);
            b.set(a);
            return b;
          });
          for (let t = 1; t <= 3; t++) k.adamUpdate(theta!, g!, m!, v!, 0.01, 0.9, 0.999, 1e-8, t);
          return [theta!, m!, v!].map((a) => Buffer.from(a.slice().buffer));
        });
        for (const res of results.slice(1)) res.forEach((b, i) => expect(b.equals(results[0]![i]!), `adam ${count}: array ${i}`).toBe(true));
      }
    } finally {
      for (const k of many) k.dispose();
    }
  });

  it('maxAbs split over 2 and 3 threads finds the largest value, a NaN or ±Infinity in the block of any thread', async () => {
    const many = [createWasmKernelsSync({ threads: 2 }), await createWasmKernels({ threads: 3 })];
    try {
      for (const k of many) {
        for (const count of [65536, 100003]) {
          const x = fill(k.alloc(count));
          expect(k.owns(x)).toBe(true);
          const want = jsKernels.maxAbs(x);
          expect(k.maxAbs(x)).toBe(want);
          for (const at of [0, 5, Math.floor(count / 3), Math.floor(count / 2), count - 2, count - 1]) {
            for (const bad of [NaN, Infinity, -Infinity, -1e30]) {
              const old = x[at]!;
              x[at] = bad;
              const got = k.maxAbs(x);
              const where = `${count} values, ${bad} at ${at} on ${k.threads} threads`;
              if (Number.isNaN(bad)) expect(got, where).toBeNaN();
              else expect(got, where).toBe(Math.abs(Math.fround(bad)));
              x[at] = old;
            }
          }
          expect(k.maxAbs(x)).toBe(want);
        }
      }
    } finally {
      for (const k of many) k.dispose();
    }
  });

  it('training with 1 and 2 threads gives the same loss curve', () => {
    const r = new Random(5);
    const x = Array.from({ length: 256 }, () => Array.from({ length: 64 }, () => r.normal()));
    const y = x.map((row) => [row[0]! + row[1]! > 0 ? 1 : 0, row[0]! + row[1]! > 0 ? 0 : 1]);
    const run = (threads: number) => {
      const kernels = createWasmKernelsSync({ threads, parallelMinFlops: 0 });
      const net = new Network(64, [{ units: 96, activation: 'relu' }, { units: 2, activation: 'softmax' }], { seed: 9, loss: 'cross-entropy', kernels });
      const opt = adam({ learningRate: 0.01 });
      const losses: number[] = [];
      for (let epoch = 0; epoch < 3; epoch++) for (let s = 0; s < x.length; s += 64) losses.push(net.trainStep(x.slice(s, s + 64), y.slice(s, s + 64), opt));
      kernels.dispose();
      return losses;
    };
    expect(run(2)).toEqual(run(1));
  });

  it('fit on small batches (training set staged in the kernel memory) gives the same loss curve on 1 and 2 threads as without staging', async () => {
    const r = new Random(6);
    const x = Array.from({ length: 300 }, () => Array.from({ length: 787 }, () => r.uniform()));
    const y = x.map((row) => (row[0]! + row[786]! > 1 ? [1, 0] : [0, 1]));
    const spec = [{ units: 30, activation: 'sigmoid' as const }, { units: 2, activation: 'sigmoid' as const }];
    const viaFit = async (threads: number) => {
      const kernels = createWasmKernelsSync({ threads });
      const net = new Network(787, spec, { seed: 3, kernels });
      const losses: number[] = [];
      const empty = kernels.allocatedBytes;
      await net.fit(x, y, { epochs: 2, batchSize: 10, optimizer: sgd({ learningRate: 3 }), onBatchEnd: (l) => losses.push(l.loss) });
      const before = kernels.allocatedBytes;
      // the inputs and targets were copied into the kernel memory
      expect(before - empty).toBeGreaterThanOrEqual(300 * (787 + 2) * 4);
      await net.fit(x, y, { epochs: 1, batchSize: 10 });
      // the second fit copies into the same staging area
      expect(kernels.allocatedBytes).toBe(before);
      kernels.dispose();
      return losses;
    };
    // the same batches by hand, gathered from the caller's arrays (trainStep does not stage)
    const direct = () => {
      const net = new Network(787, spec, { seed: 3, kernels: createWasmKernelsSync() });
      const opt = sgd({ learningRate: 3 });
      const losses: number[] = [];
      for (let epoch = 0; epoch < 2; epoch++) {
        const order = Array.from({ length: x.length }, (_, i) => i);
        new Random((3 ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0).shuffle(order);
        for (let s = 0; s < x.length; s += 10) {
          const idx = order.slice(s, s + 10);
          losses.push(net.trainStep(idx.map((i) => x[i]!), idx.map((i) => y[i]!), opt));
        }
      }
      return losses;
    };
    const one = await viaFit(1);
    expect(one.length).toBe(60);
    expect(one.at(-1)!).toBeLessThan(one[0]!);
    expect(await viaFit(2)).toEqual(one);
    expect(direct()).toEqual(one);
  });
});

// keep the type import used when the wasm factory's return type changes
export type { WasmKernels };
