// A thread pool built in a test over the shared kernel module, the caller's thread calling exports
// that the test may wrap (to hold the caller, count its blocks, or read the control block).
import { wasmBytes } from '../../src/kernels/wasm/index.js';
import { CONTROL_WORDS } from '../../src/kernels/wasm/jobs.js';
import { CONTROL_BYTES, createThreadPool, type PoolExports } from '../../src/kernels/wasm/threads.js';
import { Random } from '../../src/random.js';

/** The shared-memory kernel module instantiated on this thread, with a bump allocator over its memory and the caller's workspace: what a test pool is built on. */
export function sharedKernels() {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
  const module = new WebAssembly.Module(wasmBytes(true));
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as PoolExports & {
    heapBase(): number;
    workspaceBytes(): number;
    forwardRows(layers: number, desc: number, n: number, x: number, ws: number, j0: number, j1: number): void;
  };
  let top = (x.heapBase() + 15) & ~15;
  const reserve = (bytes: number) => ((top += (bytes + 15) & ~15), top - ((bytes + 15) & ~15));
  const ws = reserve(x.workspaceBytes());
  return { memory, module, x, reserve, ws };
}

/** A 2-thread pool over the test kernels, its caller's thread calling `exports` (the kernels' own, some wrapped by the test), and its control block's words. */
export function poolOver({ memory, module, x, reserve, ws }: ReturnType<typeof sharedKernels>, exports: PoolExports) {
  let control = -1;
  const seen = (bytes: number) => {
    const at = reserve(bytes);
    if (bytes === CONTROL_BYTES && control < 0) control = at;
    return at;
  };
  const pool = createThreadPool({ module, memory, exports, ws, reserve: seen, workspaceBytes: x.workspaceBytes(), threads: 2 })!;
  return { pool, control: new Int32Array(memory.buffer, control, CONTROL_WORDS) };
}

/** A random 32×40 · 40×24 product in the kernels' memory: its operands, an output c, and single = A·B computed on this thread alone. */
export function product({ memory, x, reserve, ws }: ReturnType<typeof sharedKernels>, seed: number) {
  const r = new Random(seed);
  const [m, n, k] = [32, 24, 40];
  const a = new Float32Array(memory.buffer, reserve(4 * m * k), m * k);
  const b = new Float32Array(memory.buffer, reserve(4 * k * n), k * n);
  for (const v of [a, b]) for (let i = 0; i < v.length; i++) v[i] = r.normal();
  const c = new Float32Array(memory.buffer, reserve(4 * m * n), m * n);
  const single = new Float32Array(memory.buffer, reserve(4 * m * n), m * n);
  x.gemm(0, 0, m, n, k, 1, a.byteOffset, b.byteOffset, 0, single.byteOffset, ws, 0, m, 0, n);
  return { m, n, k, a, b, c, single };
}
