/**
 * A pool of worker threads that share the kernels' WebAssembly.Memory (it must be a shared one):
 * each worker instantiates the same compiled module over the same memory, so no data is copied.
 * A product is split into blocks of C, one per thread (the caller's thread takes block 0); the
 * threads meet at a barrier made of two counters in shared memory (Atomics.wait/notify), not a
 * message per operation. Workers spin briefly before sleeping, so back-to-back products of a
 * training step do not pay a wake-up each.
 *
 * A busy machine. Each block is taken before it is run, by setting its bit in TAKEN: a worker
 * takes its own block when it sees the job; the caller, done with block 0, takes every block whose
 * worker has not started yet (descheduled by the OS, or still waking up) and runs it itself. A
 * worker that comes late finds its bit set and waits for the next job. A block gives the same
 * values whichever thread runs it, so results do not depend on who was late. The time the caller
 * loses to late workers (running their blocks, waiting at the barrier) goes to a Pacer, which
 * runs jobs on the caller alone for a while when the threads lose to one thread (pacer.ts); so
 * does the time a worker waits for a late caller to finish block 0 (the caller marks it done in
 * CALLER, the worker sums its wait in LATE, timed by the clock reads of its spin, and the caller
 * passes LATE to the pacer when it is not 0). Each job also tells the pacer its work, so that it
 * can compare the threads' throughput with one thread's now and then (threads can lose without
 * anyone waiting, when both run slower side by side).
 *
 * Node: worker_threads (obtained with process.getBuiltinModule, so that this module stays free of
 * Node imports for browser bundles). Browsers: Web Workers from a Blob URL (also from inside a
 * worker: nested workers); they need SharedArrayBuffer, i.e. a cross-origin-isolated page, and
 * they start only when the creating thread returns to its event loop, so browsers create the pool
 * with createThreadPoolAsync (createWasmKernels does).
 */

import { CONTROL_WORDS, type JobArgs, type JobName, type JobSlots, jobLayoutHash, jobSlots, MAX_THREADS, OP_EXIT, putParam, WORDS } from './jobs.js';
import { Pacer } from './pacer.js';

export { MAX_THREADS };
export const CONTROL_BYTES = CONTROL_WORDS * 4;
const { GEN, CALLER, LATE, DONE, TAKEN, READY, ERROR, SIZE, OP, RANGES, CLAIMS, STAGED } = WORDS;
/** Each job's op code and parameter words (jobs.ts describes them once, for the pool and runJob). */
const JOB = jobSlots();
/** What assembly/kernels.ts jobLayout() returns when it was built from the same description. */
const JOB_LAYOUT = jobLayoutHash();

/**
 * Samples per thread from which a forward product is split by samples (split(): bySamples): each
 * thread then has at least one of the kernels' shared units of 128 columns (lastBlockShared).
 */
const MANY_SAMPLES = 128;

/**
 * How long a worker keeps polling for the next job before it sleeps in Atomics.wait, in ms: the
 * jobs of a training step come well under that apart (the longest gap, the output layer's work on
 * the calling thread, is about 0.1 ms), and waking a sleeping thread costs tens of microseconds
 * (more in VMs). Spinning is bounded by time, not by a count: a polling loop's speed depends on
 * how far the JIT has optimized it (5 to 30 ns an iteration here).
 */
const WORKER_SPIN_MS = 2;
/**
 * How long the caller polls for the workers at the barrier before it sleeps, in ms. The workers
 * run blocks as long as the caller's, so they usually finish within microseconds of it; sleeping
 * sooner turns a 20 µs imbalance into a 50 µs wake-up. Only a preempted worker takes longer, and
 * then the caller yields its core.
 */
const CALLER_SPIN_MS = 1;
/**
 * The shortest wait for the caller that a worker reports, in ms. A caller the OS has descheduled
 * is gone for a time slice (milliseconds); shorter waits are the ordinary imbalance of two blocks
 * (tens of µs on a training step's products), which summed over a step's fifteen jobs reached the
 * pacer's limit on an idle machine and paused the threads for nothing (modern training 91 k → 57 k
 * samples/s in the bench).
 */
const LATE_MIN_MS = 0.25;
/**
 * forwardRows: the first piece of a worker's samples is this many times the samples it computes
 * while the caller copies in the rest of the workers' (by the last measured rates), so that no
 * worker waits for them.
 */
const FIRST_PIECE_MARGIN = 1.5;
/** forwardRows: copy time over compute time per sample before anything is measured (the textbook net on Fashion-MNIST: about 0.14 µs against 1 µs). */
const ROWS_RATIO_GUESS = 0.15;
/** Polls between two clock reads while spinning. */
const SPIN_CHECK = 256;

/**
 * The worker's whole program, as source text (so that it needs no file of its own next to the
 * bundle). `start(data)` receives {module, memory, control, index, ws}.
 */
const WORKER_SOURCE = `
'use strict';
function start(data) {
  const { module, memory, control, index, ws } = data;
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const i32 = new Int32Array(memory.buffer, control, ${CONTROL_WORDS});
  // 0, not the current value: a job posted before this worker started is still this worker's job
  let gen = 0;
  Atomics.add(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  // whether we ran a block of job gen, and since when (ms, 0: not yet seen) we have waited for the
  // caller to finish its own: time the caller cannot see, reported in LATE for its pacer
  let ran = false;
  let lateSince = 0;
  for (;;) {
    let spins = 0;
    // (the clock read that times the spin also ends our block)
    let now = performance.now();
    let until = now + ${WORKER_SPIN_MS};
    while (Atomics.load(i32, ${GEN}) === gen) {
      if ((++spins & ${SPIN_CHECK - 1}) !== 0) continue;
      now = performance.now();
      if (ran) {
        if (Atomics.load(i32, ${CALLER}) !== gen) {
          if (lateSince === 0) lateSince = now;
        } else {
          ran = false;
          late(now);
        }
      }
      if (now > until) {
        // (a caller gone for longer than our spin: reported as far as we saw it)
        ran = false;
        late(now);
        Atomics.wait(i32, ${GEN}, gen);
        until = performance.now() + ${WORKER_SPIN_MS};
      }
    }
    // a caller that finished and posted the next job between two of our clock reads: as far as the last
    ran = false;
    late(now);
    gen = Atomics.load(i32, ${GEN});
    const op = i32[${OP}];
    if (op === ${OP_EXIT}) return;
    // the caller ran our block (we came late): nothing to do until the next job
    if (Atomics.or(i32, ${TAKEN} + (index >> 5), 1 << (index & 31)) & (1 << (index & 31))) continue;
    try {
      x.runJob(control, index, ws);
    } catch (e) {
      Atomics.store(i32, ${ERROR}, 1);
    }
    ran = true;
    Atomics.add(i32, ${DONE}, 1);
    Atomics.notify(i32, ${DONE});
  }
  /** Reports the wait for the caller up to now, if there was one. */
  function late(now) {
    if (lateSince === 0) return;
    if (now - lateSince >= ${LATE_MIN_MS}) Atomics.add(i32, ${LATE}, Math.round(1000 * (now - lateSince)));
    lateSince = 0;
  }
}
if (typeof require === 'function') {
  const { workerData } = require('node:worker_threads');
  start(workerData);
} else {
  self.onmessage = (e) => start(e.data);
}
`;

interface WorkerLike {
  terminate(): unknown;
  unref?(): void;
}

interface NodeWorkerThreads {
  Worker: new (code: string, options: { eval: true; workerData: unknown; execArgv: string[] }) => WorkerLike & { on(event: string, f: (e: unknown) => void): void };
}

function nodeWorkerThreads(): NodeWorkerThreads | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = p?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
  return mod ?? null;
}

/** Whether worker threads with a shared memory can be used here. */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  return nodeWorkerThreads() !== null || typeof Worker !== 'undefined';
}

/** The number of logical cores (navigator.hardwareConcurrency, os.availableParallelism). */
export function availableCores(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = p?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  return os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
}

/** The part of the kernels' exports the pool calls on the caller's thread. */
export interface PoolExports {
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, b: number, beta: number, c: number, ws: number, i0: number, i1: number, j0: number, j1: number): void;
  denseForward(m: number, n: number, k: number, w: number, x: number, transX: number, bias: number, act: number, actAlpha: number, z: number, aOut: number, ws: number, i0: number, i1: number, j0: number, j1: number): void;
  denseBackward(m: number, n: number, k: number, w: number, delta: number, act: number, actAlpha: number, zPrev: number, aPrev: number, dAPrev: number, deltaPrev: number, ws: number, i0: number, i1: number, j0: number, j1: number): void;
  adamUpdate(theta: number, g: number, m: number, v: number, lrc1: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, invc2: number, count: number): void;
  sgdUpdate(theta: number, g: number, lr: number, count: number): void;
  momentumUpdate(theta: number, g: number, v: number, lr: number, mu: number, nesterov: number, count: number): void;
  maxAbs(x: number, count: number): number;
  rmspropUpdate(theta: number, g: number, v: number, lr: number, rho: number, oneMinusRho: number, eps: number, count: number): void;
  sumColumns(out: number, x: number, units: number, n: number, alpha: number): void;
  gatherRows(src: number, cols: number, idx: number, dst: number, j0: number, j1: number): void;
  gatherColumns(src: number, cols: number, idx: number, dst: number, n: number, j0: number, j1: number): void;
  sparseForward(m: number, n: number, k: number, w: number, start: number, index: number, value: number, bias: number, act: number, actAlpha: number, z: number, aOut: number, i0: number, i1: number): void;
  sparseWeightGradient(m: number, n: number, k: number, alpha: number, delta: number, start: number, index: number, value: number, dW: number, i0: number, i1: number): void;
  /** Runs thread `index`'s block of the job in the control block at byte offset `control`. */
  runJob(control: number, index: number, ws: number): void;
  jobLayout(): number;
  tileRows(): number;
  tileCols(): number;
}

export interface ThreadPool {
  /** Threads taking part in a job, the caller's included. */
  readonly size: number;
  /** C = alpha·op(A)·op(B) + beta·C, split over the threads (arguments as the wasm gemm's, pointers as byte offsets). */
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, b: number, beta: number, c: number): void;
  /** z = W·X + b, a = σ(z) (elementwise σ or -1), split over the threads; transX: x holds Xᵀ (n×k). */
  denseForward(m: number, n: number, k: number, w: number, x: number, transX: number, bias: number, act: number, actAlpha: number, z: number, aOut: number): void;
  /** out_i = alpha·Σ_j x_ij over units × n (arguments as the wasm sumColumns's), each thread summing a block of rows as split() gives it. */
  sumColumns(out: number, x: number, units: number, n: number, alpha: number): void;
  /** ∂C/∂a_prev = Wᵀ·δ (m×n) and δ_prev = ∂C/∂a_prev ⊙ σ'(z_prev), split over the threads (arguments as the wasm denseBackward's). */
  denseBackward(m: number, n: number, k: number, w: number, delta: number, act: number, actAlpha: number, zPrev: number, aPrev: number, dAPrev: number, deltaPrev: number): void;
  /** The Adam update of `count` parameters (arguments as the wasm adamUpdate's), split over the threads in chunks of 4. */
  adamUpdate(theta: number, g: number, m: number, v: number, lrc1: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, invc2: number, count: number): void;
  /** The RMSprop update of `count` parameters (arguments as the wasm rmspropUpdate's), split as adamUpdate splits. */
  rmspropUpdate(theta: number, g: number, v: number, lr: number, rho: number, oneMinusRho: number, eps: number, count: number): void;
  /** θ ← θ − η·g over `count` parameters, split as adamUpdate splits. */
  sgdUpdate(theta: number, g: number, lr: number, count: number): void;
  /** v ← μ·v + g; θ ← θ − η·v (nesterov: θ ← θ − η·(g + μ·v)) over `count` parameters, split as adamUpdate splits. */
  momentumUpdate(theta: number, g: number, v: number, lr: number, mu: number, nesterov: number, count: number): void;
  /**
   * Gathers rows idx[0..n) of src into dst, one column per sample (byColumns: 1, as the wasm
   * gatherColumns) or one row per sample (0, gatherRows); each thread copies its own samples.
   */
  gather(byColumns: number, src: number, cols: number, idx: number, dst: number, n: number): void;
  /** maxAbs over `count` floats at byte offset x, split over the threads as adamUpdate splits (max is exact in any order). */
  maxAbs(x: number, count: number): number;
  /** z = W·X + b, a = σ(z) with X by its non-zeros (arguments as the wasm sparseForward's), each thread its rows of W and z. */
  sparseForward(m: number, n: number, k: number, w: number, start: number, index: number, value: number, bias: number, act: number, actAlpha: number, z: number, aOut: number): void;
  /** ∂C/∂W = alpha·δ·Xᵀ with X by its non-zeros (arguments as the wasm sparseWeightGradient's), each thread its rows of ∂C/∂W. */
  sparseWeightGradient(m: number, n: number, k: number, alpha: number, delta: number, start: number, index: number, value: number, dW: number): void;
  /**
   * A forward pass alone through `layers` dense layers (records at `desc`, jobs.ts LAYER) over n
   * samples whose rows go to x (n × inputs) as `stage(from, to)` copies them there (samples
   * [0, staged) are there already): every thread runs the whole net on its own samples. The
   * workers take the first samples, and start on them while the caller copies in the rest; the
   * caller takes the last ones, fewer by the time its copying takes (measured, call by call).
   * Returns false, having done nothing, when the job is not for the threads (too few samples, or
   * the pacer keeps the caller alone).
   */
  forwardRows(layers: number, desc: number, n: number, x: number, work: number, staged: number, stage: (from: number, to: number) => void): boolean;
  /** Stops the workers. */
  dispose(): void;
}

export interface PoolSetup {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: PoolExports;
  /** workspace of the caller's thread */
  ws: number;
  /** reserves bytes in the shared memory and returns their offset */
  reserve(bytes: number): number;
  workspaceBytes: number;
  threads: number;
  /** How long to wait for the workers to start, in ms (default 10 s). */
  startTimeoutMs?: number;
}

/** Workers started over the shared memory, not yet known to be ready. */
interface Launch {
  setup: PoolSetup;
  size: number;
  i32: Int32Array;
  f32: Float32Array;
  f64: Float64Array;
  workers: WorkerLike[];
  /** the Blob URL of the browsers' worker script (revoked once every worker has started) */
  url: string | null;
}

/** Starts threads − 1 workers; null when workers are not available here. */
function launch(setup: PoolSetup): Launch | null {
  const { module, memory, threads } = setup;
  if (threads <= 1 || !threadsSupported()) return null;
  if (setup.exports.jobLayout() !== JOB_LAYOUT) throw new Error('the thread pool and the kernel module disagree on the job layout (rebuild with npm run build)');
  const size = Math.min(threads, MAX_THREADS);
  const control = setup.reserve(CONTROL_BYTES);
  if (control < 0) return null;
  const i32 = new Int32Array(memory.buffer, control, CONTROL_WORDS);
  const f32 = new Float32Array(memory.buffer, control, CONTROL_WORDS);
  const f64 = new Float64Array(memory.buffer, control, CONTROL_WORDS / 2);
  const wss = [setup.ws];
  for (let t = 1; t < size; t++) wss.push(setup.reserve(setup.workspaceBytes));
  if (wss.some((w) => w < 0)) return null;

  const workers: WorkerLike[] = [];
  const node = nodeWorkerThreads();
  let url: string | null = null;
  try {
    for (let t = 1; t < size; t++) {
      const data = { module, memory, control, index: t, ws: wss[t] };
      if (node) {
        // execArgv []: the parent's flags (--input-type=module, loaders) would change how the
        // eval'd source is read; it is a plain script
        const w = new node.Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
        w.on('error', () => Atomics.store(i32, ERROR, 1));
        w.unref?.();
        workers.push(w);
      } else {
        // A classic worker from a Blob URL (it inherits the page's cross-origin isolation). It
        // starts only once the creating thread returns to its event loop: see createThreadPool.
        url ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        w.onerror = (e) => {
          e.preventDefault();
          Atomics.store(i32, ERROR, 1);
        };
        w.onmessageerror = () => Atomics.store(i32, ERROR, 1);
        w.postMessage(data);
        workers.push(w);
      }
    }
  } catch {
    abort({ setup, size, i32, f32, f64, workers, url });
    return null;
  }
  return { setup, size, i32, f32, f64, workers, url };
}

function abort(l: Launch): void {
  for (const w of l.workers) w.terminate();
  l.workers.length = 0;
  revoke(l);
}

function revoke(l: Launch): void {
  if (l.url) URL.revokeObjectURL(l.url);
  l.url = null;
}

function allReady(l: Launch): boolean {
  return Atomics.load(l.i32, READY) >= l.size - 1;
}

/**
 * Starts threads − 1 workers over the shared memory. Node: waits (blocking, up to startTimeoutMs)
 * until each has instantiated the module, and returns null when they did not start. Browsers:
 * a Web Worker cannot start while the thread that created it is blocked, so this returns at once
 * and the pool runs every product on the calling thread until all its workers have reported in
 * (prefer createThreadPoolAsync there, which waits for them without blocking).
 */
export function createThreadPool(setup: PoolSetup): ThreadPool | null {
  const l = launch(setup);
  if (!l) return null;
  if (!nodeWorkerThreads()) return pool(l);
  const deadline = Date.now() + (setup.startTimeoutMs ?? 10_000);
  while (!allReady(l)) {
    if (Atomics.load(l.i32, ERROR) || Date.now() > deadline) {
      abort(l);
      return null;
    }
    Atomics.wait(l.i32, READY, Atomics.load(l.i32, READY), 50);
  }
  return pool(l);
}

/**
 * As createThreadPool, but waits for the workers without blocking the calling thread (the only
 * way in browsers, whose workers start from the creating thread's event loop): resolves to the
 * pool once every worker has instantiated the module, or to null when one failed or none started
 * within startTimeoutMs.
 */
export async function createThreadPoolAsync(setup: PoolSetup): Promise<ThreadPool | null> {
  // Node starts workers on their own threads, and its unref'd workers and Atomics.waitAsync keep
  // no event loop alive (an awaited pool would let the process exit): block there instead.
  if (nodeWorkerThreads()) return createThreadPool(setup);
  const l = launch(setup);
  if (!l) return null;
  const deadline = Date.now() + (setup.startTimeoutMs ?? 10_000);
  const waitAsync = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown } }).waitAsync?.bind(Atomics);
  while (!allReady(l)) {
    if (Atomics.load(l.i32, ERROR) || Date.now() > deadline) {
      abort(l);
      return null;
    }
    const seen = Atomics.load(l.i32, READY);
    const w = waitAsync ? waitAsync(l.i32, READY, seen, 20) : null;
    // (a worker's error event is not a notify: the timeout bounds each wait)
    if (w?.async) await (w.value as Promise<unknown>);
    else await new Promise((ok) => setTimeout(ok, w ? 0 : 2));
  }
  revoke(l);
  return pool(l);
}

/** The pool over launched workers (ready or, in browsers, still starting). */
function pool(l: Launch): ThreadPool {
  const { setup, i32, f32 } = l;
  const { exports: x } = setup;
  let size = l.size;
  /** whether all workers have reported in (jobs run on the calling thread alone until then) */
  let ready = allReady(l);
  if (ready) revoke(l);
  // Blocking waits are allowed in Node and in workers; a browser's main thread cannot block, so
  // there the barrier only spins.
  let canBlock = true;
  const pacer = new Pacer(() => performance.now());

  const MR = x.tileRows();
  const NR = x.tileCols();

  /**
   * Splits C's rows (or, for a C with few rows, its columns) into `size` tile-aligned blocks. Rows
   * whenever each thread gets four row tiles or more (30 rows on 2 threads): a weight gradient
   * ∂C/∂W (units × inputs) is then written by the thread that computes the forward rows of W and
   * (same contiguous split) updates them in the optimizer, so W, ∂C/∂W and the optimizer state stay
   * in that core's cache instead of crossing between cores every step. `bySamples`: a forward
   * product over many samples (inference, large batches) is split by columns whenever it has more
   * columns than rows, since split by rows each thread would pack all n samples (n × inputs) to use
   * them for its few rows; split by samples each packs only its own, and W (fewer floats) twice.
   */
  function split(m: number, n: number, bySamples = false): void {
    const byRows = m >= n || (!bySamples && Math.ceil(m / MR) >= 4 * size);
    const dim = byRows ? m : n;
    const tile = byRows ? MR : NR;
    const tiles = Math.ceil(dim / tile);
    for (let t = 0; t < size; t++) {
      const lo = Math.min(dim, Math.floor((t * tiles) / size) * tile);
      const hi = Math.min(dim, Math.floor(((t + 1) * tiles) / size) * tile);
      const r = RANGES + 4 * t;
      i32[r] = byRows ? lo : 0;
      i32[r + 1] = byRows ? hi : m;
      i32[r + 2] = byRows ? 0 : lo;
      i32[r + 3] = byRows ? n : hi;
    }
  }

  /** Splits m rows into `size` tile-aligned blocks (split()'s rows, whatever the shape of the product). */
  function splitRows(m: number): void {
    const tiles = Math.ceil(m / MR);
    for (let t = 0; t < size; t++) {
      const r = RANGES + 4 * t;
      i32[r] = Math.min(m, Math.floor((t * tiles) / size) * MR);
      i32[r + 1] = Math.min(m, Math.floor(((t + 1) * tiles) / size) * MR);
    }
  }

  /**
   * Splits `count` elements into `size` contiguous blocks of whole f32x4 groups: for a units × inputs
   * parameter, the same rows as split() gives each thread in the products that read and write it.
   */
  function splitElements(count: number): void {
    const quads = Math.ceil(count / 4);
    for (let t = 0; t < size; t++) {
      const r = RANGES + 4 * t;
      i32[r] = Math.min(count, Math.floor((t * quads) / size) * 4);
      i32[r + 1] = Math.min(count, Math.floor(((t + 1) * quads) / size) * 4);
    }
  }

  /**
   * Whether the next job, of `work` units (flops, or elements), goes to the workers: once they have
   * started (browsers; a failed start stops them), and unless the pacer has paused them or is
   * probing one thread's throughput.
   */
  function usable(work: number): boolean {
    if (!ready) {
      if (Atomics.load(i32, ERROR)) {
        abort(l);
        size = 1;
        ready = true;
        return false;
      }
      ready = allReady(l);
      if (!ready) return false;
      revoke(l);
    }
    return size > 1 && pacer.threaded(work);
  }

  /** A job that ran on the calling thread alone (its result passed through): its end, when the pacer times it. */
  function alone<T>(result: T): T {
    if (pacer.timing) pacer.ended();
    return result;
  }

  /**
   * Posts job s with its parameters (in the description's order) and runs it on the threads. Fixed
   * arguments, not a rest parameter: a job allocates nothing, it is a store per parameter.
   */
  function postImpl(s: JobSlots, p0: number, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0, p8 = 0, p9 = 0, p10 = 0, p11 = 0): void {
    // DONE first and TAKEN last: a worker still on the previous job that takes a block of this one
    // sees this job's parameters, and counts in this job's DONE
    Atomics.store(i32, DONE, 0);
    putParam(l, s, 0, p0);
    putParam(l, s, 1, p1);
    putParam(l, s, 2, p2);
    putParam(l, s, 3, p3);
    putParam(l, s, 4, p4);
    putParam(l, s, 5, p5);
    putParam(l, s, 6, p6);
    putParam(l, s, 7, p7);
    putParam(l, s, 8, p8);
    putParam(l, s, 9, p9);
    putParam(l, s, 10, p10);
    putParam(l, s, 11, p11);
    i32[OP] = s.op;
    i32[SIZE] = size;
    // unpublished: no thread may take another's units before that one reaches its last depth block
    i32.fill(-1, CLAIMS, CLAIMS + size);
    Atomics.store(i32, TAKEN, 1); // block 0: the caller's
    Atomics.store(i32, TAKEN + 1, 0);
    const gen = Atomics.add(i32, GEN, 1) + 1;
    Atomics.notify(i32, GEN);
    const rowsJob = rows.stage !== null;
    if (rowsJob) stageRest();
    // the caller's share: block 0, read back from the control block as the workers read theirs
    x.runJob(i32.byteOffset, 0, setup.ws);
    if (rowsJob) rowsMeasured();
    Atomics.store(i32, CALLER, gen);
    // blocks whose worker has not started: the caller's too
    let ran = 0;
    let from = 0;
    for (let t = 1; t < size; t++) {
      const w = TAKEN + (t >> 5);
      const bit = 1 << (t & 31);
      if (Atomics.load(i32, w) & bit || Atomics.or(i32, w, bit) & bit) continue;
      if (ran++ === 0) from = performance.now();
      x.runJob(i32.byteOffset, t, setup.ws);
    }
    if (ran > 0) pacer.lose(from, performance.now());
    // The barrier: wait for the others (they usually finish together with us, so spin first).
    let spins = 0;
    let since = 0;
    for (;;) {
      const done = Atomics.load(i32, DONE);
      if (done >= size - 1 - ran) break;
      if ((++spins & (SPIN_CHECK - 1)) !== 0) continue;
      const now = performance.now();
      if (since === 0) since = now;
      else if (now > since + CALLER_SPIN_MS && canBlock) {
        try {
          Atomics.wait(i32, DONE, done, 100);
        } catch {
          canBlock = false;
        }
      }
    }
    if (since !== 0) pacer.lose(since, performance.now());
    // the workers' waits for us (this job's or, reported after our barrier, the last one's)
    if (Atomics.load(i32, LATE) !== 0) {
      const now = performance.now();
      pacer.lose(now - Atomics.exchange(i32, LATE, 0) / 1000, now);
    }
    if (pacer.timing) pacer.ended();
    if (Atomics.load(i32, ERROR)) {
      Atomics.store(i32, ERROR, 0);
      throw new Error('a kernel worker thread failed');
    }
  }

  /**
   * The forwardRows job being posted: its copying (null otherwise), and ratio, the copy time over
   * the compute time of a sample on the caller (smoothed over calls), which sets the caller's share.
   */
  const rows = {
    stage: null as ((from: number, to: number) => void) | null,
    staged: 0,
    n: 0,
    ratio: ROWS_RATIO_GUESS,
    /** this call's: when the copying after the post began, samples copied then, when block 0 began, a copy that threw */
    since: 0,
    copied: 0,
    ownFrom: 0,
    error: null as unknown,
  };

  /**
   * Between posting a forwardRows job and running block 0: the rest of the workers' samples (then
   * STAGED is 2), then the caller's own. A copy that throws is kept for after the barrier (the
   * workers are released all the same: they must not wait, nor a new job start while they run).
   */
  function stageRest(): void {
    const stage = rows.stage!;
    rows.stage = null;
    rows.since = performance.now();
    let copied = 0;
    try {
      for (let t = 1; t < size; t++) {
        const r = RANGES + 4 * t;
        const lo = Math.max(i32[r]!, rows.staged);
        if (lo < i32[r + 3]!) stage(lo, i32[r + 3]!);
        copied += Math.max(0, i32[r + 3]! - lo);
      }
    } catch (e) {
      rows.error = e;
    }
    Atomics.store(i32, STAGED, 2);
    Atomics.notify(i32, STAGED);
    const own = Math.max(i32[RANGES + 2]!, rows.staged);
    if (rows.error === null && own < rows.n) {
      try {
        stage(own, rows.n);
      } catch (e) {
        rows.error = e;
      }
    }
    rows.copied = copied + (rows.error === null ? Math.max(0, rows.n - own) : 0);
    rows.ownFrom = performance.now();
  }

  /** After block 0 of a forwardRows job: this call's copy time over compute time per sample, into the smoothed ratio. */
  function rowsMeasured(): void {
    const now = performance.now();
    const own = i32[RANGES + 3]! - i32[RANGES + 2]!;
    if (rows.copied > 0 && own > 0 && now > rows.ownFrom) {
      const ratio = (rows.ownFrom - rows.since) / rows.copied / ((now - rows.ownFrom) / own);
      rows.ratio = 0.75 * rows.ratio + 0.25 * Math.min(ratio, 4);
    }
  }

  /** postImpl, typed by the description: one number per parameter of the job. */
  const post = postImpl as unknown as <N extends JobName>(s: JobSlots<N>, ...args: JobArgs<N>) => void;

  let disposed = false;
  return {
    get size() {
      return size;
    },
    forwardRows(layers, desc, n, xp, work, staged, stage) {
      if (disposed || n < MANY_SAMPLES * size || !usable(work)) return false;
      const workers = size - 1;
      // With the copy of a sample `ratio` of its compute: a worker's first piece f must last while
      // the caller copies the rest of the workers' h samples, f ≥ ratio·(h − workers·f). The
      // caller then copies in the c samples that were not in at the post, and computes s of its
      // own in the time the workers compute theirs, (n − s)/workers: s = (n − workers·ratio·c)/size,
      // kept between a quarter of an even share (so that its compute stays measured) and an even
      // share. (h is taken as an even share's here: f is a margin anyway.)
      const { ratio } = rows;
      const first = Math.ceil((FIRST_PIECE_MARGIN * ratio * (n - n / size)) / (1 + workers * ratio) / NR) * NR;
      const c = n - Math.min(n, Math.max(staged, workers * first));
      const even = n / size;
      const own = Math.round(Math.min(even, Math.max(even / 4, (n - workers * ratio * c) / size)) / NR) * NR;
      const h = n - own;
      const tiles = Math.ceil(h / NR);
      for (let t = 1; t < size; t++) {
        const r = RANGES + 4 * t;
        const lo = Math.min(h, Math.floor(((t - 1) * tiles) / workers) * NR);
        const hi = Math.min(h, Math.floor((t * tiles) / workers) * NR);
        const split = Math.min(hi, Math.max(lo + first, staged));
        i32[r] = split;
        i32[r + 1] = 0;
        i32[r + 2] = lo;
        i32[r + 3] = hi;
        const from = Math.max(lo, staged);
        if (from < split) stage(from, split);
      }
      i32[RANGES] = n;
      i32[RANGES + 1] = 0;
      i32[RANGES + 2] = h;
      i32[RANGES + 3] = n;
      Atomics.store(i32, STAGED, 1);
      rows.stage = stage;
      rows.staged = staged;
      rows.n = n;
      post(JOB.forwardRows, layers, desc, n, xp);
      if (rows.error !== null) {
        const e = rows.error;
        rows.error = null;
        throw e;
      }
      return true;
    },
    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      if (disposed || !usable(2 * m * n * k)) return alone(x.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, setup.ws, 0, m, 0, n));
      split(m, n);
      post(JOB.gemm, transA, transB, m, n, k, alpha, a, b, beta, c);
    },
    denseForward(m, n, k, w, xp, transX, bias, act, actAlpha, z, aOut) {
      if (disposed || !usable(2 * m * n * k)) return alone(x.denseForward(m, n, k, w, xp, transX, bias, act, actAlpha, z, aOut, setup.ws, 0, m, 0, n));
      split(m, n, n >= MANY_SAMPLES * size);
      post(JOB.denseForward, m, n, k, w, xp, transX, bias, act, actAlpha, z, aOut);
    },
    sumColumns(out, xp, units, n, alpha) {
      if (disposed || !usable(units * n)) return alone(x.sumColumns(out, xp, units, n, alpha));
      // the rows of δ each thread computed (split as the products that wrote them), summed there
      split(units, n);
      if (i32[RANGES + 1] === units) return alone(x.sumColumns(out, xp, units, n, alpha));
      post(JOB.sumColumns, out, xp, units, n, alpha);
    },
    denseBackward(m, n, k, w, delta, act, actAlpha, zPrev, aPrev, dAPrev, deltaPrev) {
      if (disposed || !usable(2 * m * n * k)) return alone(x.denseBackward(m, n, k, w, delta, act, actAlpha, zPrev, aPrev, dAPrev, deltaPrev, setup.ws, 0, m, 0, n));
      split(m, n);
      post(JOB.denseBackward, m, n, k, w, delta, act, actAlpha, zPrev, aPrev, dAPrev, deltaPrev);
    },
    adamUpdate(theta, g, m, v, lrc1, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, invc2, count) {
      if (disposed || !usable(count)) return alone(x.adamUpdate(theta, g, m, v, lrc1, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, invc2, count));
      // elementwise: any split gives the same values
      splitElements(count);
      post(JOB.adamUpdate, theta, g, m, v, lrc1, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, invc2, count);
    },
    rmspropUpdate(theta, g, v, lr, rho, oneMinusRho, eps, count) {
      if (disposed || !usable(count)) return alone(x.rmspropUpdate(theta, g, v, lr, rho, oneMinusRho, eps, count));
      splitElements(count);
      post(JOB.rmspropUpdate, theta, g, v, lr, rho, oneMinusRho, eps, count);
    },
    sgdUpdate(theta, g, lr, count) {
      if (disposed || !usable(count)) return alone(x.sgdUpdate(theta, g, lr, count));
      splitElements(count);
      post(JOB.sgdUpdate, theta, g, lr, count);
    },
    momentumUpdate(theta, g, v, lr, mu, nesterov, count) {
      if (disposed || !usable(count)) return alone(x.momentumUpdate(theta, g, v, lr, mu, nesterov, count));
      splitElements(count);
      post(JOB.momentumUpdate, theta, g, v, lr, mu, nesterov, count);
    },
    gather(byColumns, src, cols, idx, dst, n) {
      if (disposed || !usable(n * cols)) return alone(byColumns ? x.gatherColumns(src, cols, idx, dst, n, 0, n) : x.gatherRows(src, cols, idx, dst, 0, n));
      // By columns, blocks of 16 samples: each thread writes whole 64-byte lines of dst's rows.
      const unit = byColumns && n >= 16 * size ? 16 : 1;
      const units = Math.ceil(n / unit);
      for (let t = 0; t < size; t++) {
        const r = RANGES + 4 * t;
        i32[r] = Math.min(n, Math.floor((t * units) / size) * unit);
        i32[r + 1] = Math.min(n, Math.floor(((t + 1) * units) / size) * unit);
      }
      if (byColumns) post(JOB.gatherColumns, src, cols, idx, dst, n);
      else post(JOB.gatherRows, src, cols, idx, dst);
    },
    sparseForward(m, n, k, w, start, index, value, bias, act, actAlpha, z, aOut) {
      if (disposed || !usable(m * n)) return alone(x.sparseForward(m, n, k, w, start, index, value, bias, act, actAlpha, z, aOut, 0, m));
      splitRows(m);
      post(JOB.sparseForward, m, n, k, w, start, index, value, bias, act, actAlpha, z, aOut);
    },
    sparseWeightGradient(m, n, k, alpha, delta, start, index, value, dW) {
      if (disposed || !usable(m * n)) return alone(x.sparseWeightGradient(m, n, k, alpha, delta, start, index, value, dW, 0, m));
      splitRows(m);
      post(JOB.sparseWeightGradient, m, n, k, alpha, delta, start, index, value, dW);
    },
    maxAbs(xp, count) {
      if (disposed || !usable(count)) return alone(x.maxAbs(xp, count));
      splitElements(count);
      post(JOB.maxAbs, xp, count);
      // Math.max propagates a thread's NaN
      let m = 0;
      for (let t = 0; t < size; t++) m = Math.max(m, f32[RANGES + 4 * t + 2]!);
      return m;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      i32[OP] = OP_EXIT;
      Atomics.add(i32, GEN, 1);
      Atomics.notify(i32, GEN);
      abort(l);
    },
  };
}
