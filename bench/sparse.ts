// The first layer's two products (z = W·X + b with a = σ(z), and ∂C/∂W = δ·Xᵀ/n) on dense X against
// X by its non-zeros, over densities: where the sparse products stop paying is Batch's
// SPARSE_DENSITY. Also what the alternative layout would cost per step: a transposed copy of W.
//
//   node --import tsx bench/sparse.ts [--threads N] [--quick]
//
// Times are the best of several runs of each product pair, in ms; run under the heavy lock.
import { activation } from '../src/activations/index.js';
import { createWasmKernelsSync } from '../src/kernels/wasm/index.js';
import type { SparseColumns } from '../src/kernels/types.js';
import { Random } from '../src/random.js';

const args = process.argv.slice(2);
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : 'auto';
const quick = args.includes('--quick');
const k = createWasmKernelsSync({ threads });
const relu = activation('relu');

/** Best time in ms of f over `reps` runs after a warm-up. */
function best(f: () => void, reps = quick ? 5 : 20): number {
  for (let i = 0; i < 3; i++) f();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

function run(inputs: number, units: number, n: number, densities: number[]): void {
  const rng = new Random(1);
  // (filled in place: TypedArray.map would return an array outside the kernels' memory)
  const W = k.alloc(units * inputs);
  for (let i = 0; i < W.length; i++) W[i] = 0.2 * rng.uniform() - 0.1;
  const b = k.alloc(units);
  const z = k.alloc(units * n);
  const a = k.alloc(units * n);
  const delta = k.alloc(units * n);
  for (let i = 0; i < delta.length; i++) delta[i] = 2 * rng.uniform() - 1;
  const dW = k.alloc(units * inputs);
  const X = k.alloc(inputs * n);
  const f = k.alloc(n + 1 + 2 * inputs * n);
  const sparse: SparseColumns = {
    start: new Int32Array(f.buffer, f.byteOffset, n + 1),
    index: new Int32Array(f.buffer, f.byteOffset + 4 * (n + 1), inputs * n),
    value: f.subarray(n + 1 + inputs * n),
  };
  const dense = best(() => {
    k.denseForward(relu, W, X, b, z, a, units, n, inputs);
    k.gemm(false, true, units, inputs, n, 1 / n, delta, X, 0, dW);
  });
  const WT = k.alloc(units * inputs);
  const transposeW = best(() => k.transpose(W, units, inputs, WT));
  console.log(`\n${inputs}-${units}, batch ${n}, ${k.threads} thread(s): dense forward + ∂C/∂W ${dense.toFixed(3)} ms; a transposed copy of W ${transposeW.toFixed(3)} ms`);
  console.log('density   sparse ms   dense/sparse');
  for (const d of densities) {
    X.fill(0);
    let p = 0;
    for (let s = 0; s < n; s++) {
      sparse.start[s] = p;
      for (let j = 0; j < inputs; j++) {
        if (rng.uniform() >= d) continue;
        X[j * n + s] = 1;
        sparse.index[p] = j;
        sparse.value[p++] = 1;
      }
    }
    sparse.start[n] = p;
    const t = best(() => {
      k.sparseForward!(relu, W, sparse, b, z, a, units, n, inputs);
      k.sparseWeightGradient!(delta, sparse, dW, units, n, inputs, 1 / n);
    });
    console.log(`${(d * 100).toFixed(0).padStart(5)}%   ${t.toFixed(3).padStart(9)}   ${(dense / t).toFixed(2).padStart(12)}`);
  }
}

const densities = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5];
run(10000, 128, 128, densities);
run(784, 256, 128, densities);
run(784, 30, 10, densities);
k.dispose();
