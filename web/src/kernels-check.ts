/**
 * The kernel check behind kernels.html: creates the library's kernels the way the playground does
 * (`createKernels`, compiled asynchronously), multiplies seeded matrices in the four transpose forms,
 * trains a small seeded network for a few epochs, and optionally measures training speed. It runs
 * in a Web Worker (as the playground's training does) or on the page's main thread.
 */
import { toyDataset } from '../../src/data/toy.js';
import { createKernels, type Backend, type Kernels } from '../../src/kernels/index.js';
import { sharedMemorySupported, wasmSimdSupported, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { network } from '../../src/network.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';

export interface CheckOptions {
  backend: Backend;
  threads: number | 'auto';
  /** smallest product split across threads (0: every product, so that small ones test the pool too) */
  parallelMinFlops?: number;
  /** epochs of the training run (default 5) */
  epochs?: number;
  /** also measure training speed of a 784-256-128-10 net for about this many ms (default: no) */
  benchMs?: number;
}

/** One product C = op(A)·op(B) of seeded A and B (see gemmInputs), as the kernels computed it. */
export interface GemmResult {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  c: number[];
}

export interface Environment {
  where: 'worker' | 'main';
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  hardwareConcurrency: number;
  wasmSimd: boolean;
  sharedMemory: boolean;
}

export interface CheckReport extends Environment {
  options: CheckOptions;
  /** the kernels' name: 'wasm' or 'js' */
  backend: string;
  threads: number;
  /** whether the wasm memory is a shared one */
  shared: boolean;
  createMs: number;
  gemm: GemmResult[];
  /** mean training loss of each epoch */
  losses: number[];
  /** the network's weights after training, layer by layer */
  weights: number[][];
  trainMs: number;
  bench?: { samplesPerSecond: number; batches: number; ms: number };
}

/** The shapes checked: awkward sizes (primes, not multiples of the tiles) and one of the modern net's. */
export const GEMM_SHAPES: readonly { m: number; n: number; k: number }[] = [
  { m: 37, n: 53, k: 71 },
  { m: 128, n: 256, k: 96 },
];

/** Seeded A (m×k as op(A)) and B (k×n as op(B)), stored as their transposes when trans is set. */
export function gemmInputs(m: number, n: number, k: number, seed: number): { a: Float32Array; b: Float32Array } {
  const r = new Random(seed);
  const a = Float32Array.from({ length: m * k }, () => r.uniform() * 2 - 1);
  const b = Float32Array.from({ length: k * n }, () => r.uniform() * 2 - 1);
  return { a, b };
}

/** The training run: circles, 2-16-16-1 tanh/sigmoid, Adam, batch 32, seed 3. */
export const TRAIN = { samples: 400, seed: 3, batchSize: 32, learningRate: 0.01 } as const;

export function environment(where: Environment['where']): Environment {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return {
    where,
    crossOriginIsolated: g.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    hardwareConcurrency: g.navigator?.hardwareConcurrency ?? 1,
    wasmSimd: wasmSimdSupported(),
    sharedMemory: sharedMemorySupported(),
  };
}

function isWasm(k: Kernels): k is WasmKernels {
  return k.name === 'wasm';
}

function gemms(kernels: Kernels): GemmResult[] {
  const out: GemmResult[] = [];
  let seed = 11;
  for (const { m, n, k } of GEMM_SHAPES) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const { a, b } = gemmInputs(m, n, k, seed++);
      const A = kernels.alloc(a.length);
      const B = kernels.alloc(b.length);
      const C = kernels.alloc(m * n);
      A.set(a);
      B.set(b);
      kernels.gemm(transA, transB, m, n, k, 1, A, B, 0, C);
      out.push({ transA, transB, m, n, k, c: Array.from(C) });
    }
  }
  return out;
}

async function train(kernels: Kernels, epochs: number): Promise<{ losses: number[]; weights: number[][] }> {
  const data = toyDataset('circles', { samples: TRAIN.samples, seed: TRAIN.seed });
  const y = data.y.toArray().map((row) => [row[1]!]);
  const net = network([2, { units: 16, activation: 'tanh' }, { units: 16, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], {
    loss: 'binary-cross-entropy',
    seed: TRAIN.seed,
    kernels,
  });
  const h = await net.fit(data.x, y, { epochs, batchSize: TRAIN.batchSize, optimizer: 'adam', learningRate: TRAIN.learningRate, seed: TRAIN.seed });
  return { losses: h.epochs.map((e) => e.loss), weights: net.layers.flatMap((l) => [Array.from(l.W), Array.from(l.b)]) };
}

/** Samples/s of 784-256-128-10 (ReLU, softmax, Adam, batch 128) on random data, for about `ms`. */
async function bench(kernels: Kernels, ms: number): Promise<NonNullable<CheckReport['bench']>> {
  const r = new Random(5);
  const N = 1024;
  const x = new Matrix(N, 784, Float32Array.from({ length: N * 784 }, () => r.uniform()));
  const y = Matrix.zeros(N, 10);
  for (let i = 0; i < N; i++) y.data[i * 10 + r.int(10)] = 1;
  const net = network([784, { units: 256, activation: 'relu' }, { units: 128, activation: 'relu' }, { units: 10, activation: 'softmax' }], {
    loss: 'cross-entropy',
    seed: 5,
    kernels,
  });
  await net.fit(x, y, { epochs: 1, batchSize: 128, optimizer: 'adam', learningRate: 0.001, seed: 5 }); // warm-up
  let batches = 0;
  let epoch = 1;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await net.fit(x, y, { epochs: epoch + 1, initialEpoch: epoch, batchSize: 128, optimizer: 'adam', learningRate: 0.001, seed: 5 });
    epoch++;
    batches += N / 128;
  }
  const elapsed = performance.now() - t0;
  return { samplesPerSecond: (batches * 128) / (elapsed / 1000), batches, ms: elapsed };
}

export async function runCheck(options: CheckOptions, where: Environment['where']): Promise<CheckReport> {
  const env = environment(where);
  const t0 = performance.now();
  const kernels = await createKernels({
    backend: options.backend,
    threads: options.threads,
    ...(options.parallelMinFlops === undefined ? {} : { parallelMinFlops: options.parallelMinFlops }),
  });
  const createMs = performance.now() - t0;
  try {
    const gemm = gemms(kernels);
    const t1 = performance.now();
    const { losses, weights } = await train(kernels, options.epochs ?? 5);
    const trainMs = performance.now() - t1;
    const report: CheckReport = {
      ...env,
      options,
      backend: kernels.name,
      threads: isWasm(kernels) ? kernels.threads : 1,
      shared: isWasm(kernels) ? kernels.shared : false,
      createMs,
      gemm,
      losses,
      weights,
      trainMs,
    };
    if (options.benchMs) report.bench = await bench(kernels, options.benchMs);
    return report;
  } finally {
    if (isWasm(kernels)) kernels.dispose();
  }
}
