// The two builds of the wasm kernels (scripts/build-wasm.mjs): the FMA kernels (relaxed SIMD's
// f32x4.relaxed_madd, the default where the runtime has it) and the deterministic ones (f32x4 mul
// then add). Each product path is replayed here in float64 arithmetic rounded to float32 at every
// step, in the kernels' own order of operations: the deterministic kernels must give exactly that
// (the same bits on every machine), the FMA kernels exactly the fused replay (one rounding per
// multiply-add) or, on a CPU without FMA, the unfused one. Both stay within float32 tolerance of
// the float64 reference, and neither depends on the thread count.
import { describe, expect, it } from 'vitest';
import { activation } from '../../src/activations/index.js';
import { createWasmKernels, createWasmKernelsSync, relaxedSimdSupported, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { network } from '../../src/network.js';
import { Random } from '../../src/random.js';

const f32 = Math.fround;
const bits = new Float32Array(1);
const word = new Int32Array(bits.buffer);

/** The float32 next to r (a finite, nonzero float32) on the side of s. */
function neighbour(r: number, s: number): number {
  bits[0] = r;
  word[0] += (s > r) === (r > 0) ? 1 : -1;
  return bits[0]!;
}

/** a·b + c rounded once to float32 (a, b, c float32): the product is exact in float64, the sum's float64 error is recovered by TwoSum. */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const v = s - p;
  const err = p - (s - v) + (c - v);
  const r = f32(s);
  if (r === s || err === 0 || r === 0) return r;
  // s rounds to r, unless s is the midpoint of r and its neighbour and the error says which side the exact sum is on
  const other = neighbour(r, s);
  if (s !== (r + other) / 2) return r;
  return (err > 0) === (other > r) ? other : r;
}

/** a·b + c rounded twice, as f32x4.mul then f32x4.add. */
const mulAdd = (a: number, b: number, c: number): number => f32(c + f32(a * b));

type Step = (a: number, b: number, c: number) => number;
type Form = [transA: boolean, transB: boolean, m: number, n: number, k: number, path: string];

/**
 * A shape per product path of gemmCore (k ≤ 256, one depth block, so every path but smallNT sums
 * p = 0..k-1 in order; alpha = 1 and beta = 0 leave the sums as they are), with edges.
 */
const FORMS: Form[] = [
  [false, false, 13, 37, 100, 'packed NN, 4×8 tiles and edge tiles'],
  [true, false, 21, 19, 64, 'packed TN, 4×4 tiles'],
  [false, true, 9, 33, 200, 'packed NT'],
  [false, false, 30, 10, 97, 'smallNN (n ≤ 12), remainder rows'],
  [false, false, 7, 12, 33, 'smallNN, 12 columns'],
  [false, false, 14, 20, 10, 'shallowNN (k ≤ 16)'],
  [false, true, 11, 10, 23, 'smallNT (n ≤ 16), depth tail'],
];

/** C = op(A)·op(B) replayed in the kernels' order with `step` for each multiply-add. */
function replay(step: Step, [transA, transB, m, n, k, path]: Form, A: Float32Array, B: Float32Array): Float32Array {
  const a = (i: number, p: number) => A[transA ? p * m + i : i * k + p]!;
  const b = (p: number, j: number) => B[transB ? j * k + p : p * n + j]!;
  const C = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (path.startsWith('smallNT')) {
        // four lanes over depths p ≡ q (mod 4), then (l0 + l2) + (l1 + l3), then the last k mod 4 in order
        const k4 = k & ~3;
        const lane = [0, 0, 0, 0];
        for (let p = 0; p < k4; p++) lane[p & 3] = step(a(i, p), b(p, j), lane[p & 3]!);
        s = f32(f32(lane[0]! + lane[2]!) + f32(lane[1]! + lane[3]!));
        for (let p = k4; p < k; p++) s = mulAdd(a(i, p), b(p, j), s);
      } else {
        for (let p = 0; p < k; p++) s = step(a(i, p), b(p, j), s);
      }
      C[i * n + j] = s;
    }
  }
  return C;
}

/** vtanh (assembly/kernels.ts) replayed: z·P(z²)/Q(z²) on z clamped to ±7.9053, Horner with `step`, one rounded division. */
function tanhReplay(step: Step, z: number): number {
  const c = f32(7.90531110763549805);
  const x = Math.max(Math.min(z, c), -c);
  const x2 = f32(x * x);
  let p = step(x2, f32(-2.76076847742355e-16), f32(2.00018790482477e-13));
  for (const a of [-8.60467152213735e-11, 5.12229709037114e-8, 1.48572235717979e-5, 6.37261928875436e-4, 4.89352455891786e-3]) p = step(x2, p, f32(a));
  let q = step(x2, f32(1.19825839466702e-6), f32(1.18534705686654e-4));
  for (const b of [2.268434632439e-3, 4.89352518554385e-3]) q = step(x2, q, f32(b));
  return f32(f32(x * p) / q);
}

/** vexp replayed: n by the 1.5·2^23 shift, r = x − n·ln2 in two parts, e^r to r^7 by Horner, times 2^n; 0 below −87.34, Infinity above 88.38. */
function expReplay(step: Step, x: number): number {
  const [lo, hi, shift] = [f32(-87.33654), f32(88.3762626647949), 12582912];
  const xc = Math.max(Math.min(x, hi), lo);
  const t = step(xc, f32(Math.LOG2E), shift);
  const n = t - shift;
  let r = step(n, f32(-0.693359375), xc);
  r = step(n, f32(2.1219444e-4), r);
  let p = step(f32(1 / 5040), r, f32(1 / 720));
  for (const c of [1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1]) p = step(p, r, f32(c));
  return x < lo ? 0 : x > hi ? Infinity : f32(p * 2 ** n);
}

/** vsigmoid replayed: e = e^−|z|, s = 1/(1 + e), σ = s for z ≥ 0 and e·s below. */
function sigmoidReplay(step: Step, z: number): number {
  const e = expReplay(step, -Math.abs(z));
  const s = f32(1 / f32(1 + e));
  return z >= 0 ? s : f32(e * s);
}

function same(x: Float32Array, y: Float32Array): boolean {
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

function uniforms(x: Float32Array, r: Random): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = 2 * r.uniform() - 1;
  return x;
}

/** The product on kernels k, from inputs copied into its memory. */
function product(k: WasmKernels, [transA, transB, m, n, kk]: Form, A: Float32Array, B: Float32Array, alpha = 1, beta = 0, C0?: Float32Array): Float32Array {
  const [a, b, c] = [k.alloc(A.length), k.alloc(B.length), k.alloc(m * n)];
  a.set(A);
  b.set(B);
  if (C0) c.set(C0);
  k.gemm(transA, transB, m, n, kk, alpha, a, b, beta, c);
  return Float32Array.from(c);
}

describe('FMA and deterministic kernels', () => {
  const fma = createWasmKernelsSync({ threads: 1 });
  const plain = createWasmKernelsSync({ threads: 1, deterministic: true });

  it('Node 20.16+ has relaxed SIMD (the loader sets V8 flag); the default kernels use it, deterministic ones do not', () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect(fma.fma).toBe(true);
    expect(plain.fma).toBe(false);
    expect(createWasmKernelsSync({ shared: false }).fma).toBe(true);
    expect(createWasmKernelsSync({ shared: false, deterministic: true }).fma).toBe(false);
  });

  it('the deterministic kernels round every product and every sum (the same bits on every machine); the FMA kernels round once per multiply-add, or as the deterministic ones where the CPU has no FMA', () => {
    const r = new Random(16);
    let fused = 0;
    for (const form of FORMS) {
      const [transA, transB, m, n, k, path] = form;
      const A = uniforms(new Float32Array(m * k), r);
      const B = uniforms(new Float32Array(k * n), r);
      const unfusedReplay = replay(mulAdd, form, A, B);
      const fusedReplay = replay(fmaf, form, A, B);
      // the inputs make the two roundings differ, so that the test tells them apart
      expect(same(unfusedReplay, fusedReplay), path).toBe(false);
      expect(same(product(plain, form, A, B), unfusedReplay), `deterministic ${path} (${transA}, ${transB})`).toBe(true);
      const got = product(fma, form, A, B);
      const isFused = same(got, fusedReplay);
      expect(isFused || same(got, unfusedReplay), `FMA ${path}: neither the fused nor the unfused replay`).toBe(true);
      if (isFused) fused++;
    }
    // one CPU fuses on every path or on none
    expect([0, FORMS.length]).toContain(fused);
  });

  it('tanh and sigmoid (through e^x) are their replayed formulas bit for bit: unfused on the deterministic kernels, fused (or, without FMA, unfused) on the FMA kernels', () => {
    const r = new Random(20);
    const z = new Float32Array(4099);
    const special = [0, -0, 1e-30, -1e-8, 0.25, -0.5, 1, -3, 7.9, 7.90531110763549805, -8, 20, -87.3, -87.4, -100, 100];
    for (let i = 0; i < z.length; i++) z[i] = i < special.length ? special[i]! : 24 * (r.uniform() - 0.5) * (i % 4 === 0 ? 0.05 : 1);
    for (const [id, formula] of [['tanh', tanhReplay], ['sigmoid', sigmoidReplay]] as const) {
      const unfused = z.map((v) => formula(mulAdd, v));
      const fusedReplay = z.map((v) => formula(fmaf, v));
      expect(same(unfused, fusedReplay), id).toBe(false);
      const run = (k: WasmKernels) => {
        const [zk, a] = [k.alloc(z.length), k.alloc(z.length)];
        zk.set(z);
        k.activate(activation(id), zk, a, 1, z.length);
        return Float32Array.from(a);
      };
      expect(same(run(plain), unfused), `deterministic ${id}`).toBe(true);
      const got = run(fma);
      expect(same(got, fusedReplay) || same(got, unfused), `FMA ${id}: neither the fused nor the unfused replay`).toBe(true);
    }
  });

  it('both builds match the float64 reference within float32 rounding, with alpha, beta and several depth blocks', () => {
    const r = new Random(17);
    for (const [m, n, k] of [[37, 29, 600], [5, 11, 300], [130, 9, 17], [64, 64, 257]] as const) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true]] as const) {
        const A = uniforms(new Float32Array(m * k), r);
        const B = uniforms(new Float32Array(k * n), r);
        const C0 = uniforms(new Float32Array(m * n), r);
        const [alpha, beta] = [0.5, -0.75];
        for (const kernels of [fma, plain]) {
          const got = product(kernels, [transA, transB, m, n, k, ''], A, B, alpha, beta, C0);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = 0;
              let abs = 0;
              for (let p = 0; p < k; p++) {
                const t = A[transA ? p * m + i : i * k + p]! * B[transB ? j * k + p : p * n + j]!;
                s += t;
                abs += Math.abs(t);
              }
              const want = alpha * s + beta * C0[i * n + j]!;
              const scale = Math.abs(alpha) * abs + Math.abs(beta * C0[i * n + j]!);
              // k roundings of partial sums at most: k·2^-24 of the sum of magnitudes, with room
              expect(Math.abs(got[i * n + j]! - want), `${m}×${n}×${k} (${transA}, ${transB}) fma ${kernels.fma}`).toBeLessThanOrEqual(2 * k * 2 ** -24 * scale + 1e-30);
            }
          }
        }
      }
    }
  });

  it('with either build, products split over 2 threads equal the single-thread ones bit for bit (fused forward and backward too)', async () => {
    const r = new Random(18);
    for (const deterministic of [false, true]) {
      const one = deterministic ? plain : fma;
      const two = await createWasmKernels({ threads: 2, parallelMinFlops: 0, deterministic });
      try {
        expect(two.threads).toBe(2);
        expect(two.fma).toBe(one.fma);
        for (const form of [[false, false, 300, 130, 270, ''], [true, false, 260, 64, 129, ''], [false, true, 130, 300, 64, '']] as Form[]) {
          const [, , m, n, k] = form;
          const A = uniforms(new Float32Array(m * k), r);
          const B = uniforms(new Float32Array(k * n), r);
          const C0 = uniforms(new Float32Array(m * n), r);
          expect(same(product(two, form, A, B, 0.5, 0.25, C0), product(one, form, A, B, 0.5, 0.25, C0))).toBe(true);
        }
        const [units, n, inputs] = [131, 37, 260];
        const run = (k: WasmKernels) => {
          const q = new Random(3);
          const W = uniforms(k.alloc(units * inputs), q);
          const X = uniforms(k.alloc(inputs * n), q);
          const b = uniforms(k.alloc(units), q);
          const [z, a] = [k.alloc(units * n), k.alloc(units * n)];
          k.denseForward(activation('tanh'), W, X, b, z, a, units, n, inputs);
          // ∂C/∂a_prev = Wᵀ·δ with δ = a here, and δ_prev through tanh' at z_prev = X
          const [dA, dPrev] = [k.alloc(inputs * n), k.alloc(inputs * n)];
          k.denseBackward(activation('tanh'), W, a, X, X, dA, dPrev, units, n, inputs);
          return [z, a, dA, dPrev].map((x) => Float32Array.from(x));
        };
        const [x1, x2] = [run(one), run(two)];
        x1.forEach((x, i) => expect(same(x2[i]!, x), `fused pass ${i}, deterministic ${deterministic}`).toBe(true));
      } finally {
        two.dispose();
      }
    }
  });

  it('network({deterministic}) picks the build; both learn the same function to float32 rounding', async () => {
    const r = new Random(19);
    const x = uniforms(new Float32Array(64 * 20), r);
    const y = Array.from({ length: 64 }, (_, i) => Math.sin(x[i * 20]! * 3));
    const train = async (deterministic: boolean) => {
      const net = network([20, { units: 32, activation: 'tanh' }, { units: 1, activation: 'linear' }], { seed: 4, threads: 1, deterministic });
      expect((net.kernels as WasmKernels).fma).toBe(!deterministic);
      const history = await net.fit({ rows: 64, cols: 20, data: x }, y, { optimizer: 'sgd', learningRate: 0.05, epochs: 5, batchSize: 16, shuffle: false });
      return history.epochs.map((e) => e.loss);
    };
    const [withFma, without] = [await train(false), await train(true)];
    expect(withFma.at(-1)!).toBeLessThan(withFma[0]!);
    withFma.forEach((l, i) => expect(Math.abs(l - without[i]!)).toBeLessThanOrEqual(1e-5 * without[i]!));
  });
});
