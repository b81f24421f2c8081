import { sharedMemorySupported, wasmSimdSupported } from '../src/kernels/index.js';
import { threadsSupported } from '../src/kernels/wasm/threads.js';
import type { BenchOptions } from './cli.js';
import { loadCommand } from './contention.js';
import { NET_SPECS } from './nets.js';
import { LIBRARIES, type Job, type LibraryName, type NetName, type Timing } from './protocol.js';

/**
 * Full run: about 1 s of warm-up, then five segments of about 1.5 s each, per measurement. The
 * accuracy run is separate and always whole epochs, however slow the library (tfjs-cpu takes
 * minutes for an epoch of the modern net), so that accuracies compare like for like.
 */
export const FULL_TIMING: Timing = { warmupSeconds: 1, warmupSteps: 5, segments: 5, segmentSeconds: 1.5, minSegmentSteps: 3, latencySeconds: 2 };
/** Quick run: a taste, not a measurement to quote. */
export const QUICK_TIMING: Timing = { warmupSeconds: 0.15, warmupSteps: 3, segments: 3, segmentSeconds: 0.15, minSegmentSteps: 2, latencySeconds: 0.2 };
/** The quick run trains and tests on the first samples only. */
export const QUICK_SAMPLES = { train: 2000, test: 1000 } as const;
/** Test samples per predict call when measuring inference. */
export const INFER_BATCH = 1000;

/** One library configuration: a row of the table. */
export interface Variant {
  library: LibraryName;
  backend: string;
  threads: number;
  /** The first layer's input forced dense or sparse (Job.input); absent: the library's default. */
  input?: 'dense' | 'sparse';
}

export interface Availability {
  torch: boolean;
  cores: number;
}

/** The libraries a quick run covers unless --library says otherwise (tfjs-cpu alone would take longer than the rest). */
const QUICK_LIBRARIES: readonly LibraryName[] = ['backprop', 'tfjs-wasm', 'jax-js', 'pytorch', 'onnxruntime'];

/**
 * The rows to run, in table order, and why any were left out. A quick run keeps only the headline
 * configuration of each library (backprop js and wasm with all threads, PyTorch with all threads).
 */
export function variants(options: BenchOptions, available: Availability): { variants: Variant[]; skipped: string[] } {
  const all = available.cores;
  const wanted = options.libraries ?? (options.quick ? QUICK_LIBRARIES : LIBRARIES);
  const skipped: string[] = [];
  const rows: (Variant & { headline: boolean })[] = [{ library: 'backprop', backend: 'js', threads: 1, headline: true }];
  if (!wasmSimdSupported()) skipped.push('backprop wasm: this runtime lacks WebAssembly SIMD');
  else {
    rows.push({ library: 'backprop', backend: 'wasm', threads: 1, headline: all === 1 });
    if (all > 1 && sharedMemorySupported() && threadsSupported()) rows.push({ library: 'backprop', backend: 'wasm', threads: all, headline: true });
    else if (all > 1) skipped.push('backprop wasm with all threads: no shared WebAssembly memory or worker threads here');
  }
  rows.push(
    { library: 'tfjs-cpu', backend: 'cpu', threads: 1, headline: true },
    { library: 'tfjs-wasm', backend: 'wasm', threads: 1, headline: true },
    { library: 'jax-js', backend: 'wasm', threads: 1, headline: true },
  );
  if (!available.torch) {
    if (wanted.includes('pytorch')) skipped.push('pytorch: `/usr/bin/python3 -c "import torch"` failed');
  } else {
    rows.push({ library: 'pytorch', backend: 'cpu', threads: 1, headline: all === 1 });
    if (all > 1) rows.push({ library: 'pytorch', backend: 'cpu', threads: all, headline: true });
  }
  // onnxruntime-node, inference only: intra-op threads 1, and its default (one per core)
  rows.push({ library: 'onnxruntime', backend: 'cpu', threads: 1, headline: all === 1 });
  if (all > 1) rows.push({ library: 'onnxruntime', backend: 'cpu', threads: all, headline: true });
  const chosen = rows.filter((r) => wanted.includes(r.library) && (!options.quick || r.headline));
  return { variants: chosen.map(({ library, backend, threads }) => ({ library, backend, threads })), skipped };
}

/**
 * Libraries that do not run the toolkit nets, and why. Their rows would need hand-written AdamW
 * and dropout: that would time our code on their tensors, not the library's training toolkit.
 */
export const TOOLKIT_SKIPS: Partial<Record<LibraryName, string>> = {
  'tfjs-cpu': 'TF.js has no decoupled weight decay (no AdamW in tf.train)',
  'tfjs-wasm': 'TF.js has no decoupled weight decay (no AdamW in tf.train)',
  'jax-js': 'jax-js comes without an optimizer library here (@jax-js/optax is not installed), so AdamW would be hand-written',
};

/**
 * The rows that force the other way of taking the input, after the default ones: backprop dense
 * (its default picks the sparse products on this input) and PyTorch with sparse tensors, with all
 * threads. For the bag-of-words net always; for the others with --input-rows (whether their zeros
 * pay: backprop forced sparse).
 */
function inputVariants(net: NetName, options: BenchOptions, rows: readonly Variant[]): Variant[] {
  const sparseNet = NET_SPECS[net].data === 'bag-of-words';
  if (!sparseNet && !options.inputRows) return [];
  const most = (library: LibraryName) => rows.filter((r) => r.library === library && r.backend !== 'js').sort((a, b) => b.threads - a.threads)[0];
  const out: Variant[] = [];
  const ours = most('backprop');
  if (ours) out.push({ ...ours, input: sparseNet ? 'dense' : 'sparse' });
  const torch = most('pytorch');
  if (torch) out.push({ ...torch, input: 'sparse' });
  return out;
}

/** Every (net, row) measurement to run, in table order, and why any were left out. */
export function plan(options: BenchOptions, available: Availability): { jobs: Job[]; skipped: string[] } {
  const rows = variants(options, available);
  const skipped = [...rows.skipped];
  const jobs: Job[] = [];
  for (const net of options.nets) {
    for (const v of [...rows.variants, ...inputVariants(net, options, rows.variants)]) {
      const reason = NET_SPECS[net].toolkit ? TOOLKIT_SKIPS[v.library] : undefined;
      // (each library named in TOOLKIT_SKIPS has a single row, so this is one note per library)
      if (reason === undefined) jobs.push(makeJob(net, v, options));
      else skipped.push(`${net} ${v.library}: ${reason}`);
    }
  }
  return { jobs, skipped };
}

export function makeJob(net: NetName, v: Variant, options: BenchOptions): Job {
  return {
    net,
    spec: NET_SPECS[net],
    library: v.library,
    backend: v.backend,
    threads: v.threads,
    ...(v.input && { input: v.input }),
    epochs: options.epochs,
    seed: options.seed,
    trainSamples: options.quick ? QUICK_SAMPLES.train : null,
    testSamples: options.quick ? QUICK_SAMPLES.test : null,
    inferBatch: INFER_BATCH,
    timing: options.quick ? QUICK_TIMING : FULL_TIMING,
    load: options.contended ? loadCommand(options.contendedCore) : null,
  };
}
