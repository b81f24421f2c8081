import type { Activation } from '../../activations/index.js';
import type { FloatArray } from '../../tensor/matrix.js';
import { dropoutThreshold, jsKernels } from '../js.js';
import { PLAIN, PLAIN_FMA, SHARED, SHARED_FMA } from './binary.js';
import { availableCores, createThreadPool, createThreadPoolAsync, threadsSupported, type PoolSetup, type ThreadPool } from './threads.js';

export { availableCores, threadsSupported } from './threads.js';
import type { ForwardLayer, Kernels, SparseColumns } from '../types.js';
import { LAYER, LAYER_WORD } from './jobs.js';

/**
 * The WebAssembly SIMD kernels (assembly/kernels.ts). Every buffer from `alloc` is a
 * Float32Array view into one WebAssembly.Memory, so weights, activations, gradients and optimizer
 * state stay where the kernels work on them: no copies in or out per call.
 *
 * Memory. With a shared memory (the default wherever SharedArrayBuffer exists: Node, and
 * cross-origin-isolated pages) the memory may grow at any time: views onto a SharedArrayBuffer are
 * never detached by growth. An ordinary memory would detach every existing view when it grows,
 * so a non-shared memory is sized once (`initialMemoryMB`) and never grown after the first view
 * is handed out; when it is full, `alloc` returns ordinary Float32Arrays, which still work (see
 * below), only without the speed.
 *
 * Arrays that are not views of this memory (copies made by `explain`, Float64Array in gradient
 * checks, optimizer slots allocated elsewhere) are accepted by every kernel: those calls run the
 * JavaScript reference kernels on them. `owns(x)` tells which path an array takes.
 */
export interface WasmKernels extends Kernels {
  /** Always 'wasm'. */
  readonly name: 'wasm';
  /** The module's memory, where every buffer from alloc lives (shared with the workers when `shared`). */
  readonly memory: WebAssembly.Memory;
  /** Whether the memory is a shared one (growable without detaching views; usable by workers). */
  readonly shared: boolean;
  /** True when x is a Float32Array view into this module's memory (the kernels then run in wasm). */
  owns(x: FloatArray): boolean;
  transpose(src: FloatArray, rows: number, cols: number, dst: FloatArray): void;
  forwardRows(layers: readonly ForwardLayer[], rows: FloatArray, n: number, stage: FloatArray, staged: number): void;
  /** Bytes handed out so far by alloc (including the gemm workspaces). */
  readonly allocatedBytes: number;
  /** Threads that share the large products (1: no workers). */
  readonly threads: number;
  /** Whether the products run on the fused multiply-add kernels (relaxed SIMD; see `deterministic`). */
  readonly fma: boolean;
  /** Stops the worker threads (the kernels keep working on one thread). Idle workers do not keep Node alive. */
  dispose(): void;
}

export interface WasmKernelOptions {
  /** Use a shared memory (default: whenever SharedArrayBuffer and shared wasm memories are available). */
  shared?: boolean;
  /** Initial size of the memory in MiB (default 16; a non-shared memory never grows past it once views exist). */
  initialMemoryMB?: number;
  /** Upper bound of a shared memory in MiB (default 4096, the wasm32 limit; reserved as address space, not RSS). */
  maximumMemoryMB?: number;
  /**
   * Threads for the large matrix products: a number, or 'auto' for the available cores (the
   * default). More than one needs a shared memory and worker threads; 'auto' falls back to 1
   * without them. Products below `parallelMinFlops` always run on the calling thread. Asked for,
   * the workers start with the kernels; by default they start with the first product large enough
   * to split, so kernels that only ever see small products never start any.
   */
  threads?: number | 'auto';
  /** Smallest product (2·m·n·k floating-point operations, plus a fused activation's cost) split across threads (default 50,000). */
  parallelMinFlops?: number;
  /**
   * Results bit-identical on every machine (default false). By default the matrix products use
   * fused multiply-adds (WebAssembly relaxed SIMD's f32x4.relaxed_madd) wherever the runtime
   * has them: one instruction per term instead of two (how much faster depends on the CPU: not
   * at all on AMD Zen, whose adds have units of their own), and each term is rounded once
   * instead of twice, so results differ
   * from the deterministic kernels in the last bits of float32, and can differ between machines
   * (a CPU without FMA runs relaxed_madd as a multiply and an add). `deterministic: true` keeps the
   * plain f32x4 multiply-then-add kernels, whose results are the same bits everywhere. Either way
   * results do not depend on the thread count. Node 20 has relaxed SIMD behind a V8 flag: the
   * kernels set it (`--experimental-wasm-relaxed-simd`) before compiling, only when it is needed
   * and not deterministic; browsers use it where `WebAssembly.validate` accepts it (Chrome and Edge 114+).
   */
  deterministic?: boolean;
}

/** The raw exports of assembly/kernels.ts. Pointers are byte offsets into the memory. */
interface Exports {
  heapBase(): number;
  workspaceBytes(): number;
  tileRows(): number;
  tileCols(): number;
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, b: number, beta: number, c: number, ws: number, i0: number, i1: number, j0: number, j1: number): void;
  denseForward(m: number, n: number, k: number, w: number, x: number, transX: number, bias: number, act: number, actAlpha: number, z: number, aOut: number, ws: number, i0: number, i1: number, j0: number, j1: number): void;
  denseBackward(m: number, n: number, k: number, w: number, delta: number, act: number, actAlpha: number, zPrev: number, aPrev: number, dAPrev: number, deltaPrev: number, ws: number, i0: number, i1: number, j0: number, j1: number): void;
  addBias(z: number, b: number, units: number, n: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  gatherRows(src: number, cols: number, idx: number, dst: number, j0: number, j1: number): void;
  gatherColumns(src: number, cols: number, idx: number, dst: number, n: number, j0: number, j1: number): void;
  sumColumns(out: number, x: number, units: number, n: number, alpha: number): void;
  activate(act: number, alpha: number, z: number, a: number, units: number, n: number): void;
  activateBackward(act: number, alpha: number, z: number, a: number, dA: number, delta: number, units: number, n: number): void;
  activationDerivative(act: number, alpha: number, z: number, a: number, out: number, count: number): void;
  maxAbs(x: number, count: number): number;
  sumSquares(x: number, count: number): number;
  scale(x: number, s: number, count: number): void;
  clamp(x: number, c: number, count: number): void;
  multiply(out: number, x: number, y: number, count: number): void;
  dropoutMask(mask: number, count: number, threshold: number, scale: number, key: number): void;
  penalty(w: number, dW: number, l1: number, l2: number, count: number): number;
  sgdUpdate(theta: number, g: number, lr: number, count: number): void;
  momentumUpdate(theta: number, g: number, v: number, lr: number, mu: number, nesterov: number, count: number): void;
  rmspropUpdate(theta: number, g: number, v: number, lr: number, rho: number, oneMinusRho: number, eps: number, count: number): void;
  adamUpdate(theta: number, g: number, m: number, v: number, lrc1: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, invc2: number, count: number): void;
  sparseForward(m: number, n: number, k: number, w: number, start: number, index: number, value: number, bias: number, act: number, actAlpha: number, z: number, aOut: number, i0: number, i1: number): void;
  sparseWeightGradient(m: number, n: number, k: number, alpha: number, delta: number, start: number, index: number, value: number, dW: number, i0: number, i1: number): void;
  nonZeros(x: number, n: number, k: number, limit: number, start: number, index: number, value: number): number;
  runJob(control: number, index: number, ws: number): void;
  jobLayout(): number;
}

const PAGE = 65536;
/**
 * Values from which an elementwise pass (optimizer update, allFinite guard, batch gather) is split
 * across the threads. Below it the barrier costs more than the half it saves; above it, splitting
 * also keeps each thread's rows of W and ∂C/∂W in the cache of the core that computed them (which
 * is what makes the textbook net's W(1), 23,520 values, worth splitting).
 */
const PARALLEL_ELEMENTS = 4096;
/**
 * Default smallest product (2·m·n·k flops, plus a fused σ's ACT_FLOPS) split across the threads:
 * where half the job's time (at about 34 GFLOP/s a thread) outweighs its cost of dispatch and
 * barrier, with room: a job costs about 0.35 µs now that waiting threads spin rather than sleep
 * (a 4×4×4 product: 0.45 µs on 2 threads, 0.1 µs on one; AMD EPYC), so the break-even is near
 * 25,000 flops. Splitting the tiny net's forward layers at batch 1000 (168,000 and 56,000
 * flop-equivalents with tanh and sigmoid) took predict from 80 to 100–107 M samples/s in
 * alternating segments of one run. Below 200,000 the training steps of the benchmark's nets
 * have no product; the modern net's 0.33 MFLOP last-layer products gain from two threads.
 */
const PARALLEL_FLOPS = 50_000;
const MiB = 1 << 20;

/** Activation ids of assembly/kernels.ts; user-defined activations have none and run in JavaScript. */
const ACT_ID = new Map<string, number>([
  ['sigmoid', 0],
  ['relu', 1],
  ['tanh', 2],
  ['leaky-relu', 3],
  ['linear', 4],
  ['softmax', 5],
  ['elu', 6],
  ['gelu', 7],
  ['softplus', 8],
  ['silu', 9],
]);
/** assembly/kernels.ts NONE: the product without an activation epilogue. */
const NO_ACT = -1;
/**
 * What a fused σ costs per value, in flops of the product at its rate (PARALLEL_FLOPS' 34 GFLOP/s
 * a thread), so that a forward job is split by its whole work: tanh 0.5 ns a value, sigmoid 1.2
 * ns (AMD EPYC, wasm; measured on 8×1000 blocks), the other exp-based ones as sigmoid; the
 * piecewise-linear ones cost about a load and a store. (The tiny net's 2-8 tanh layer at batch
 * 1000 is 32,000 flops of product and 136,000 of tanh.)
 */
const ACT_FLOPS = new Map<string, number>([
  ['tanh', 17],
  ['sigmoid', 40],
  ['elu', 40],
  ['gelu', 40],
  ['softplus', 40],
  ['silu', 40],
]);

/** The kernel id of a built-in activation, or undefined for a user-defined one. */
function actId(act: Activation): number | undefined {
  return act.elementwise && act.custom ? undefined : ACT_ID.get(act.id);
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Whether this runtime can create a shared WebAssembly.Memory (needs SharedArrayBuffer; cross-origin isolation in browsers). */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** Compiled modules by memory kind and FMA. */
const moduleCache = new Map<string, WebAssembly.Module>();

/** The kernel module's bytes for a memory kind, with or without FMA (generated into binary.js by scripts/build-wasm.mjs). */
export function wasmBytes(shared: boolean, fma = false): Uint8Array<ArrayBuffer> {
  return decodeBase64(fma ? (shared ? SHARED_FMA : PLAIN_FMA) : shared ? SHARED : PLAIN);
}

let relaxedSimd: boolean | undefined;

/**
 * Whether WebAssembly relaxed SIMD is available here (validates the FMA kernel module). Node 20
 * (V8 11.3) has it behind `--experimental-wasm-relaxed-simd`: when the module does not validate
 * and V8's flag setter is there, this sets the flag (V8 reads it at each validation and
 * compilation, so it applies to every module compiled afterwards) and asks again. Browsers have
 * no `node:v8` and answer as shipped.
 */
export function relaxedSimdSupported(): boolean {
  if (relaxedSimd === undefined) {
    const valid = () => typeof WebAssembly !== 'undefined' && WebAssembly.validate(wasmBytes(false, true));
    relaxedSimd = valid();
    if (!relaxedSimd) {
      const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
      const v8 = p?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
      if (v8?.setFlagsFromString) {
        v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
        relaxedSimd = valid();
      }
    }
  }
  return relaxedSimd;
}

/**
 * Whether WebAssembly with 128-bit SIMD is available here (validates the kernel module itself).
 *
 * @example
 * ```ts
 * import { wasmSimdSupported } from 'backprop';
 *
 * console.log(wasmSimdSupported());   // true on Node ≥ 20.16 and current browsers
 * ```
 */
export function wasmSimdSupported(): boolean {
  if (typeof WebAssembly === 'undefined') return false;
  try {
    return WebAssembly.validate(wasmBytes(false));
  } catch {
    return false;
  }
}

function compiledSync(shared: boolean, fma: boolean): WebAssembly.Module {
  const key = `${shared}/${fma}`;
  let m = moduleCache.get(key);
  if (!m) {
    m = new WebAssembly.Module(wasmBytes(shared, fma));
    moduleCache.set(key, m);
  }
  return m;
}

async function compiledAsync(shared: boolean, fma: boolean): Promise<WebAssembly.Module> {
  const key = `${shared}/${fma}`;
  let m = moduleCache.get(key);
  if (!m) {
    m = await WebAssembly.compile(wasmBytes(shared, fma));
    moduleCache.set(key, m);
  }
  return m;
}

/** The FMA kernels unless asked to be deterministic or relaxed SIMD is missing. */
function resolveFma(options: WasmKernelOptions): boolean {
  return options.deterministic !== true && relaxedSimdSupported();
}

function resolveShared(options: WasmKernelOptions): boolean {
  const possible = sharedMemorySupported();
  if (options.shared === true && !possible) throw new Error('a shared WebAssembly.Memory is not available here (SharedArrayBuffer needs cross-origin isolation in browsers)');
  return options.shared ?? possible;
}

function resolveThreads(options: WasmKernelOptions, shared: boolean): number {
  const t = options.threads ?? 'auto';
  if (t === 'auto') return shared && threadsSupported() ? Math.max(1, availableCores()) : 1;
  if (!Number.isInteger(t) || t < 1) throw new RangeError(`threads must be a positive integer or 'auto', got ${t}`);
  if (t > 1 && !shared) throw new Error(`threads: ${t} needs a shared WebAssembly.Memory (shared: true; SharedArrayBuffer)`);
  if (t > 1 && !threadsSupported()) throw new Error(`threads: ${t} needs worker threads, which this runtime lacks`);
  return t;
}

/**
 * Creates the WebAssembly kernels synchronously (compiles the ~50 KB module on the calling thread:
 * fine in Node and in workers; browsers' main threads prefer `createWasmKernels`).
 */
export function createWasmKernelsSync(options: WasmKernelOptions = {}): WasmKernels {
  const shared = resolveShared(options);
  const fma = resolveFma(options);
  const made = instantiate(compiledSync(shared, fma), shared, fma, options);
  // (browsers: the pool's workers start once this thread returns to its event loop; until then
  // every product runs on this thread)
  if (made.poolSetup && options.threads !== undefined) made.setPool(createThreadPool(made.poolSetup));
  return made.kernels;
}

/**
 * Creates the WebAssembly kernels, compiling the module asynchronously; with threads, resolves
 * once the worker threads have started (waiting without blocking: the way that works in browsers,
 * in a page or in a worker).
 */
export async function createWasmKernels(options: WasmKernelOptions = {}): Promise<WasmKernels> {
  const shared = resolveShared(options);
  const fma = resolveFma(options);
  const made = instantiate(await compiledAsync(shared, fma), shared, fma, options);
  if (made.poolSetup && options.threads !== undefined) made.setPool(await createThreadPoolAsync(made.poolSetup));
  return made.kernels;
}

function createMemory(shared: boolean, options: WasmKernelOptions): WebAssembly.Memory {
  const initial = Math.max(1, Math.ceil(((options.initialMemoryMB ?? 16) * MiB) / PAGE));
  if (!shared) return new WebAssembly.Memory({ initial });
  // The maximum of a shared memory is reserved up front as address space; ask for less if refused.
  const wanted = Math.min(65536, Math.ceil(((options.maximumMemoryMB ?? 4096) * MiB) / PAGE));
  let lastError: unknown;
  for (let maximum = wanted; maximum >= initial; maximum = Math.floor(maximum / 4)) {
    try {
      return new WebAssembly.Memory({ initial, maximum: Math.max(maximum, initial), shared: true });
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** The kernels over a new memory, and what their thread pool (when threads > 1) is to be made from. */
interface Instantiated {
  kernels: WasmKernels;
  poolSetup: PoolSetup | null;
  setPool(pool: ThreadPool | null): void;
}

function instantiate(module: WebAssembly.Module, shared: boolean, fma: boolean, options: WasmKernelOptions): Instantiated {
  const memory = createMemory(shared, options);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const x = instance.exports as unknown as Exports;

  // Every ArrayBuffer object the memory has had: after a shared memory grows, `memory.buffer` is a
  // new SharedArrayBuffer object over the same bytes, and older views keep the older object.
  const buffers = new WeakSet<ArrayBufferLike>();
  let buffer: ArrayBufferLike = memory.buffer;
  buffers.add(buffer);
  let top = align16(Math.max(x.heapBase(), 16));
  let handedOut = false;

  /** Reserves bytes (16-byte aligned) and returns their offset, or -1 when a non-shared memory is full or a shared one at its maximum. */
  function reserve(bytes: number): number {
    const ptr = top;
    const end = align16(ptr + bytes);
    if (end > memory.buffer.byteLength) {
      if (!shared && handedOut) return -1;
      const pages = Math.ceil((end - memory.buffer.byteLength) / PAGE);
      // Grow by at least a quarter of the current size, so that many small allocations grow rarely.
      const extra = Math.max(pages, Math.ceil(memory.buffer.byteLength / PAGE / 4));
      try {
        memory.grow(extra);
      } catch {
        try {
          memory.grow(pages);
        } catch {
          return -1; // past the memory's maximum: alloc hands out an ordinary array instead
        }
      }
      buffer = memory.buffer;
      buffers.add(buffer);
    }
    top = end;
    return ptr;
  }

  function currentBuffer(): ArrayBufferLike {
    if (memory.buffer.byteLength !== buffer.byteLength) {
      buffer = memory.buffer;
      buffers.add(buffer);
    }
    return buffer;
  }

  const ws = reserve(x.workspaceBytes());
  if (ws < 0) throw new RangeError('the kernel memory is too small for the GEMM workspace');
  const wanted = resolveThreads(options, shared);
  const poolSetup: PoolSetup | null = wanted > 1 ? { module, memory, exports: x, ws, reserve, workspaceBytes: x.workspaceBytes(), threads: wanted } : null;
  let pool: ThreadPool | null = null;
  /** Whether the pool is still to be started by the first product worth splitting (threads by default). */
  let lazy = poolSetup !== null && options.threads === undefined;
  const minFlops = options.parallelMinFlops ?? PARALLEL_FLOPS;

  /** The pool for a product of `flops`, or null when it runs on this thread. */
  function productPool(flops: number): ThreadPool | null {
    if (flops < minFlops) return null;
    if (lazy) {
      lazy = false;
      pool = createThreadPool(poolSetup!);
    }
    return pool;
  }

  /** The pool for an elementwise pass over `count` values, or null when it runs on this thread. */
  function elementPool(count: number): ThreadPool | null {
    return count >= PARALLEL_ELEMENTS ? pool : null;
  }

  /** forwardRows' layer records (jobs.ts LAYER), grown for a deeper net, and the job's copying: rows into stage. */
  let desc = { ptr: -1, layers: 0, i32: new Int32Array(0), f32: new Float32Array(0) };
  let rowsFrom: FloatArray = new Float32Array(0);
  let rowsTo: FloatArray = new Float32Array(0);
  let rowsInputs = 0;
  const stageRows = (from: number, to: number): void => rowsTo.set(rowsFrom.subarray(from * rowsInputs, to * rowsInputs), from * rowsInputs);

  /** forwardRows as one thread job, when the pool takes it (every array in the memory, every activation a kernel's): whether it ran. */
  function rowsJob(layers: readonly ForwardLayer[], rows: FloatArray, n: number, stage: FloatArray, staged: number): boolean {
    let work = 0;
    for (const l of layers) {
      if (actId(l.act) === undefined || !(owns(l.W) && owns(l.b) && owns(l.z) && owns(l.a))) return false;
      work += 2 * l.units * l.inputs * n;
    }
    const p = owns(stage) ? productPool(work) : null;
    if (!p) return false;
    if (desc.layers < layers.length) {
      const ptr = reserve(4 * LAYER.length * layers.length);
      if (ptr < 0) return false;
      desc = { ptr, layers: layers.length, i32: new Int32Array(memory.buffer, ptr, LAYER.length * layers.length), f32: new Float32Array(memory.buffer, ptr, LAYER.length * layers.length) };
    }
    layers.forEach((l, i) => {
      const d = LAYER.length * i;
      desc.i32[d + LAYER_WORD.units] = l.units;
      desc.i32[d + LAYER_WORD.inputs] = l.inputs;
      desc.i32[d + LAYER_WORD.w] = l.W.byteOffset;
      desc.i32[d + LAYER_WORD.bias] = l.b.byteOffset;
      desc.i32[d + LAYER_WORD.act] = actId(l.act)!;
      desc.f32[d + LAYER_WORD.actAlpha] = l.act.alpha;
      desc.i32[d + LAYER_WORD.z] = l.z.byteOffset;
      desc.i32[d + LAYER_WORD.a] = l.a.byteOffset;
    });
    rowsFrom = rows;
    rowsTo = stage;
    rowsInputs = layers[0]!.inputs;
    try {
      return p.forwardRows(layers.length, desc.ptr, n, stage.byteOffset, work, staged, stageRows);
    } finally {
      // (the caller's array is not kept alive by the kernels)
      rowsFrom = rowsTo = new Float32Array(0);
    }
  }

  /** Row numbers of the batch being gathered, where every thread can read them (grown on demand). */
  let rowIndex: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

  function owns(a: FloatArray): boolean {
    if (!(a instanceof Float32Array)) return false;
    const buf = a.buffer;
    // the current buffer object first (the common case, without a WeakSet lookup); then older ones
    return buf === buffer || buffers.has(buf);
  }

  /** Whether X's three arrays are in the memory. */
  function ownsSparse(X: SparseColumns): boolean {
    return X.start instanceof Int32Array && X.index instanceof Int32Array && inMemory(X.start) && inMemory(X.index) && owns(X.value);
  }

  function inMemory(v: ArrayBufferView): boolean {
    return v.buffer === buffer || buffers.has(v.buffer);
  }

  /** Checks that X is n well-formed columns of `inputs` rows (the wasm kernels read W and ∂C/∂W at its indices); returns its non-zeros. */
  function checkSparse(what: string, X: SparseColumns, n: number, inputs: number): number {
    const { start, index } = X;
    if (start.length < n + 1) throw new RangeError(`${what}: start has ${start.length} offsets, ${n} columns need ${n + 1}`);
    const nnz = start[n]!;
    if (start[0] !== 0 || nnz > index.length || nnz > X.value.length) throw new RangeError(`${what}: start must run from 0 to at most the ${Math.min(index.length, X.value.length)} stored entries`);
    for (let s = 0; s < n; s++) {
      let last = -1;
      const end = start[s + 1]!;
      if (end < start[s]!) throw new RangeError(`${what}: start decreases at column ${s}`);
      for (let p = start[s]!; p < end; p++) {
        const j = index[p]!;
        if (!(j > last && j < inputs)) throw new RangeError(`${what}: column ${s} has row ${j} (rows must increase and be below ${inputs})`);
        last = j;
      }
    }
    return nnz;
  }

  /** gatherColumns (byColumns) or gatherRows: in wasm when both arrays are in the memory, each thread copying its own samples. */
  function gather(byColumns: boolean, src: FloatArray, cols: number, order: ArrayLike<number>, start: number, n: number, dst: FloatArray): void {
    const what = byColumns ? 'gatherColumns' : 'gatherRows';
    if (!(owns(src) && owns(dst) && reserveRowIndex(n))) return jsKernels[what](src, cols, order, start, n, dst);
    need(byColumns ? 'gatherColumns: dst' : 'gatherRows: dst', dst, n * cols);
    const rows = src.length / cols;
    for (let j = 0; j < n; j++) {
      const r = order[start + j]!;
      if (r >>> 0 !== r || r >= rows) throw new RangeError(`${what}: row ${r} is outside the ${rows} rows of src`);
      rowIndex[j] = r;
    }
    const idx = rowIndex.byteOffset;
    const p = elementPool(n * cols);
    if (p) p.gather(byColumns ? 1 : 0, src.byteOffset, cols, idx, dst.byteOffset, n);
    else if (byColumns) x.gatherColumns(src.byteOffset, cols, idx, dst.byteOffset, n, 0, n);
    else x.gatherRows(src.byteOffset, cols, idx, dst.byteOffset, 0, n);
  }

  /** Makes rowIndex hold n row numbers; false when the memory has no room (the JS gather runs instead). */
  function reserveRowIndex(n: number): boolean {
    if (rowIndex.length >= n) return true;
    const ptr = reserve(n * 4);
    if (ptr < 0) return false;
    handedOut = true;
    rowIndex = new Uint32Array(currentBuffer(), ptr, n);
    return true;
  }

  const kernels: WasmKernels = {
    name: 'wasm',
    everyTerm: true,
    memory,
    shared,
    fma,
    owns,
    get allocatedBytes() {
      return top;
    },
    get threads() {
      return pool ? pool.size : lazy ? wanted : 1;
    },
    dispose() {
      pool?.dispose();
      pool = null;
      lazy = false;
    },

    alloc(length) {
      if (!Number.isInteger(length) || length < 0) throw new RangeError(`alloc: length must be a non-negative integer, got ${length}`);
      const ptr = reserve(length * 4);
      if (ptr < 0) return new Float32Array(length);
      handedOut = true;
      return new Float32Array(currentBuffer(), ptr, length);
    },

    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      if (m === 0 || n === 0) return;
      if (!(owns(a) && owns(b) && owns(c))) return jsKernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
      need('gemm: A', a, m * k);
      need('gemm: B', b, k * n);
      need('gemm: C', c, m * n);
      const p = productPool(2 * m * n * k);
      if (p) p.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a.byteOffset, b.byteOffset, beta, c.byteOffset);
      else x.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a.byteOffset, b.byteOffset, beta, c.byteOffset, ws, 0, m, 0, n);
    },

    denseForward(act, W, X, b, z, a, units, n, inputs, transX = false) {
      if (!(owns(W) && owns(X) && owns(b) && owns(z) && owns(a))) return jsKernels.denseForward(act, W, X, b, z, a, units, n, inputs, transX);
      need('denseForward: W', W, units * inputs);
      need('denseForward: X', X, inputs * n);
      need('denseForward: b', b, units);
      need('denseForward: z', z, units * n);
      need('denseForward: a', a, units * n);
      const id = actId(act);
      const fused = act.elementwise && id !== undefined ? id : NO_ACT;
      const t = transX ? 1 : 0;
      const p = productPool(2 * units * n * inputs + (fused === NO_ACT ? 0 : (ACT_FLOPS.get(act.id) ?? 0) * units * n));
      if (p) p.denseForward(units, n, inputs, W.byteOffset, X.byteOffset, t, b.byteOffset, fused, act.alpha, z.byteOffset, a.byteOffset);
      else x.denseForward(units, n, inputs, W.byteOffset, X.byteOffset, t, b.byteOffset, fused, act.alpha, z.byteOffset, a.byteOffset, ws, 0, units, 0, n);
      if (fused === NO_ACT) kernels.activate(act, z, a, units, n);
    },

    forwardRows(layers, rows, n, stage, staged) {
      if (n === 0 || layers.length === 0) return;
      const inputs = layers[0]!.inputs;
      need('forwardRows: rows', rows, n * inputs);
      need('forwardRows: stage', stage, n * inputs);
      layers.forEach((l, i) => {
        if (i > 0 && l.inputs !== layers[i - 1]!.units) throw new RangeError(`forwardRows: layer ${i + 1} has ${l.inputs} inputs, the layer before it ${layers[i - 1]!.units} units`);
        need('forwardRows: W', l.W, l.units * l.inputs);
        need('forwardRows: b', l.b, l.units);
        need('forwardRows: z', l.z, l.units * n);
        need('forwardRows: a', l.a, l.units * n);
      });
      if (rowsJob(layers, rows, n, stage, staged)) return;
      if (staged < n) stage.set(rows.subarray(staged * inputs, n * inputs), staged * inputs);
      layers.forEach((l, i) => kernels.denseForward(l.act, l.W, i === 0 ? stage : layers[i - 1]!.a, l.b, l.z, l.a, l.units, n, l.inputs, i === 0));
    },

    sparseForward(act, W, X, b, z, a, units, n, inputs) {
      if (n === 0) return;
      if (!(owns(W) && ownsSparse(X) && owns(b) && owns(z) && owns(a))) return jsKernels.sparseForward!(act, W, X, b, z, a, units, n, inputs);
      need('sparseForward: W', W, units * inputs);
      need('sparseForward: b', b, units);
      need('sparseForward: z', z, units * n);
      need('sparseForward: a', a, units * n);
      const nnz = checkSparse('sparseForward: X', X, n, inputs);
      const id = actId(act);
      const fused = act.elementwise && id !== undefined ? id : NO_ACT;
      const p = productPool(2 * units * nnz + (fused === NO_ACT ? 0 : (ACT_FLOPS.get(act.id) ?? 0) * units * n));
      const args = [units, n, inputs, W.byteOffset, X.start.byteOffset, X.index.byteOffset, X.value.byteOffset, b.byteOffset, fused, act.alpha, z.byteOffset, a.byteOffset] as const;
      if (p) p.sparseForward(...args);
      else x.sparseForward(...args, 0, units);
      if (fused === NO_ACT) kernels.activate(act, z, a, units, n);
    },

    sparseWeightGradient(delta, X, dW, units, n, inputs, alpha) {
      if (!(owns(delta) && ownsSparse(X) && owns(dW))) return jsKernels.sparseWeightGradient!(delta, X, dW, units, n, inputs, alpha);
      need('sparseWeightGradient: delta', delta, units * n);
      need('sparseWeightGradient: dW', dW, units * inputs);
      const nnz = checkSparse('sparseWeightGradient: X', X, n, inputs);
      const p = productPool(2 * units * nnz + units * inputs);
      const args = [units, n, inputs, alpha, delta.byteOffset, X.start.byteOffset, X.index.byteOffset, X.value.byteOffset, dW.byteOffset] as const;
      if (p) p.sparseWeightGradient(...args);
      else x.sparseWeightGradient(...args, 0, units);
    },

    nonZeros(xs, n, cols, limit, out) {
      if (!(owns(xs) && ownsSparse(out))) return jsKernels.nonZeros!(xs, n, cols, limit, out);
      need('nonZeros: x', xs, n * cols);
      const room = Math.min(limit, n * cols);
      if (out.start.length < n + 1 || out.index.length < room || out.value.length < room) throw new RangeError(`nonZeros: out needs ${n + 1} offsets and ${room} entries`);
      return x.nonZeros(xs.byteOffset, n, cols, room, out.start.byteOffset, out.index.byteOffset, out.value.byteOffset);
    },

    gatherRows(src, cols, order, start, n, dst) {
      gather(false, src, cols, order, start, n, dst);
    },

    gatherColumns(src, cols, order, start, n, dst) {
      gather(true, src, cols, order, start, n, dst);
    },

    denseBackward(act, W, delta, zPrev, aPrev, dAPrev, deltaPrev, units, n, inputs) {
      if (!act.elementwise) throw new Error('denseBackward: the layer below must have an elementwise activation');
      if (!(owns(W) && owns(delta) && owns(zPrev) && owns(aPrev) && owns(dAPrev) && owns(deltaPrev))) {
        return jsKernels.denseBackward(act, W, delta, zPrev, aPrev, dAPrev, deltaPrev, units, n, inputs);
      }
      need('denseBackward: W', W, units * inputs);
      need('denseBackward: delta', delta, units * n);
      need('denseBackward: zPrev', zPrev, inputs * n);
      need('denseBackward: aPrev', aPrev, inputs * n);
      need('denseBackward: dAPrev', dAPrev, inputs * n);
      need('denseBackward: deltaPrev', deltaPrev, inputs * n);
      const id = actId(act);
      if (id === undefined) {
        kernels.gemm(true, false, inputs, n, units, 1, W, delta, 0, dAPrev);
        return jsKernels.activateBackward(act, zPrev, aPrev, dAPrev, deltaPrev, inputs, n);
      }
      const p = productPool(2 * units * n * inputs);
      if (p) p.denseBackward(inputs, n, units, W.byteOffset, delta.byteOffset, id, act.alpha, zPrev.byteOffset, aPrev.byteOffset, dAPrev.byteOffset, deltaPrev.byteOffset);
      else x.denseBackward(inputs, n, units, W.byteOffset, delta.byteOffset, id, act.alpha, zPrev.byteOffset, aPrev.byteOffset, dAPrev.byteOffset, deltaPrev.byteOffset, ws, 0, inputs, 0, n);
    },

    transpose(src, rows, cols, dst) {
      if (!(owns(src) && owns(dst))) return jsKernels.transpose!(src, rows, cols, dst);
      need('transpose: src', src, rows * cols);
      need('transpose: dst', dst, rows * cols);
      x.transpose(src.byteOffset, dst.byteOffset, rows, cols);
    },

    addBias(z, b, units, n) {
      if (!(owns(z) && owns(b))) return jsKernels.addBias(z, b, units, n);
      need('addBias: z', z, units * n);
      need('addBias: b', b, units);
      x.addBias(z.byteOffset, b.byteOffset, units, n);
    },

    sumColumns(out, xs, units, n, alpha) {
      if (!(owns(out) && owns(xs))) return jsKernels.sumColumns(out, xs, units, n, alpha);
      need('sumColumns: out', out, units);
      need('sumColumns: x', xs, units * n);
      // (split: each thread sums the rows of δ it computed)
      const p = elementPool(units * n);
      if (p) p.sumColumns(out.byteOffset, xs.byteOffset, units, n, alpha);
      else x.sumColumns(out.byteOffset, xs.byteOffset, units, n, alpha);
    },

    activate(act, z, a, units, n) {
      const id = actId(act);
      if (id === undefined || !(owns(z) && owns(a))) return jsKernels.activate(act, z, a, units, n);
      need('activate: z', z, units * n);
      need('activate: a', a, units * n);
      x.activate(id, act.alpha, z.byteOffset, a.byteOffset, units, n);
    },

    activateBackward(act, z, a, dA, delta, units, n) {
      const id = actId(act);
      if (id === undefined || !(owns(z) && owns(a) && owns(dA) && owns(delta))) return jsKernels.activateBackward(act, z, a, dA, delta, units, n);
      const count = units * n;
      need('activateBackward: z', z, count);
      need('activateBackward: a', a, count);
      need('activateBackward: dA', dA, count);
      need('activateBackward: delta', delta, count);
      x.activateBackward(id, act.alpha, z.byteOffset, a.byteOffset, dA.byteOffset, delta.byteOffset, units, n);
    },

    activationDerivative(act, z, a, out, count) {
      if (!act.elementwise) throw new Error('softmax has a Jacobian, not an elementwise derivative');
      const id = actId(act);
      if (id === undefined || !(owns(z) && owns(a) && owns(out))) return jsKernels.activationDerivative(act, z, a, out, count);
      need('activationDerivative: z', z, count);
      need('activationDerivative: a', a, count);
      need('activationDerivative: out', out, count);
      x.activationDerivative(id, act.alpha, z.byteOffset, a.byteOffset, out.byteOffset, count);
    },

    maxAbs(v) {
      if (!owns(v)) return jsKernels.maxAbs(v);
      const p = elementPool(v.length);
      return p ? p.maxAbs(v.byteOffset, v.length) : x.maxAbs(v.byteOffset, v.length);
    },

    sumSquares(v) {
      if (!owns(v)) return jsKernels.sumSquares(v);
      return x.sumSquares(v.byteOffset, v.length);
    },

    scale(v, s) {
      if (!owns(v)) return jsKernels.scale(v, s);
      x.scale(v.byteOffset, s, v.length);
    },

    clamp(v, c) {
      if (!owns(v)) return jsKernels.clamp(v, c);
      x.clamp(v.byteOffset, c, v.length);
    },

    multiply(out, a, b, count) {
      if (!(owns(out) && owns(a) && owns(b))) return jsKernels.multiply(out, a, b, count);
      need('multiply: out', out, count);
      need('multiply: x', a, count);
      need('multiply: y', b, count);
      x.multiply(out.byteOffset, a.byteOffset, b.byteOffset, count);
    },

    dropoutMask(mask, count, rate, key) {
      if (!owns(mask)) return jsKernels.dropoutMask(mask, count, rate, key);
      need('dropoutMask: mask', mask, count);
      x.dropoutMask(mask.byteOffset, count, dropoutThreshold(rate), 1 / (1 - rate), key);
    },

    penalty(W, dW, l1, l2) {
      if (!(owns(W) && owns(dW))) return jsKernels.penalty(W, dW, l1, l2);
      need('penalty: dW', dW, W.length);
      return x.penalty(W.byteOffset, dW.byteOffset, l1, l2, W.length);
    },

    sgdUpdate(theta, g, lr) {
      if (!(owns(theta) && owns(g))) return jsKernels.sgdUpdate(theta, g, lr);
      need('sgdUpdate: g', g, theta.length);
      const p = elementPool(theta.length);
      if (p) p.sgdUpdate(theta.byteOffset, g.byteOffset, lr, theta.length);
      else x.sgdUpdate(theta.byteOffset, g.byteOffset, lr, theta.length);
    },

    momentumUpdate(theta, g, v, lr, mu, nesterov) {
      if (!(owns(theta) && owns(g) && owns(v))) return jsKernels.momentumUpdate(theta, g, v, lr, mu, nesterov);
      need('momentumUpdate: g', g, theta.length);
      need('momentumUpdate: v', v, theta.length);
      const p = elementPool(theta.length);
      const nest = nesterov ? 1 : 0;
      if (p) p.momentumUpdate(theta.byteOffset, g.byteOffset, v.byteOffset, lr, mu, nest, theta.length);
      else x.momentumUpdate(theta.byteOffset, g.byteOffset, v.byteOffset, lr, mu, nest, theta.length);
    },

    rmspropUpdate(theta, g, v, lr, rho, eps) {
      if (!(owns(theta) && owns(g) && owns(v))) return jsKernels.rmspropUpdate(theta, g, v, lr, rho, eps);
      need('rmspropUpdate: g', g, theta.length);
      need('rmspropUpdate: v', v, theta.length);
      const p = elementPool(theta.length);
      if (p) p.rmspropUpdate(theta.byteOffset, g.byteOffset, v.byteOffset, lr, rho, 1 - rho, eps, theta.length);
      else x.rmspropUpdate(theta.byteOffset, g.byteOffset, v.byteOffset, lr, rho, 1 - rho, eps, theta.length);
    },

    adamUpdate(theta, g, m, v, lr, beta1, beta2, eps, t) {
      if (!(owns(theta) && owns(g) && owns(m) && owns(v))) return jsKernels.adamUpdate(theta, g, m, v, lr, beta1, beta2, eps, t);
      need('adamUpdate: g', g, theta.length);
      need('adamUpdate: m', m, theta.length);
      need('adamUpdate: v', v, theta.length);
      const c1 = 1 - Math.pow(beta1, t);
      const c2 = 1 - Math.pow(beta2, t);
      const p = elementPool(theta.length);
      if (p) p.adamUpdate(theta.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, lr / c1, beta1, 1 - beta1, beta2, 1 - beta2, eps, 1 / c2, theta.length);
      else x.adamUpdate(theta.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, lr / c1, beta1, 1 - beta1, beta2, 1 - beta2, eps, 1 / c2, theta.length);
    },
  };
  return {
    kernels,
    poolSetup,
    setPool(p) {
      pool = p;
    },
  };
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

function need(what: string, a: FloatArray, length: number): void {
  if (a.length < length) throw new RangeError(`${what} has ${a.length} values, the operation needs ${length}`);
}
