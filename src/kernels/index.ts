import { OptionError } from '../errors.js';
import { jsKernels } from './js.js';
import type { Kernels } from './types.js';
import { createWasmKernels, createWasmKernelsSync, wasmSimdSupported, type WasmKernelOptions } from './wasm/index.js';

export type { Kernels } from './types.js';
export { jsKernels } from './js.js';
export {
  createWasmKernels,
  createWasmKernelsSync,
  sharedMemorySupported,
  wasmSimdSupported,
  type WasmKernelOptions,
  type WasmKernels,
} from './wasm/index.js';

/** The kernel backends a network or {@link createKernels} can ask for. */
export const BACKENDS = ['auto', 'wasm', 'js'] as const;
/** 'wasm': WebAssembly SIMD kernels; 'js': the TypeScript reference kernels; 'auto': wasm where WebAssembly SIMD exists, else js. */
export type Backend = (typeof BACKENDS)[number];

/** Which kernels {@link createKernels} makes, and the WebAssembly ones' memory and threads. */
export interface KernelOptions extends WasmKernelOptions {
  /** Default 'auto'. */
  backend?: Backend;
}

/**
 * Which backend `auto` resolves to here.
 *
 * @example
 * ```ts
 * import { defaultBackend } from 'backprop';
 *
 * console.log(defaultBackend());   // 'wasm' where WebAssembly SIMD exists, else 'js'
 * ```
 */
export function defaultBackend(): Exclude<Backend, 'auto'> {
  return wasmSimdSupported() ? 'wasm' : 'js';
}

function resolve(options: KernelOptions): Exclude<Backend, 'auto'> {
  const backend = options.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new OptionError(`unknown backend ${JSON.stringify(backend)}; valid: ${BACKENDS.join(', ')}`);
  }
  if (backend === 'auto') return defaultBackend();
  if (backend === 'wasm' && !wasmSimdSupported()) {
    throw new OptionError("backend 'wasm' needs WebAssembly with 128-bit SIMD, which this runtime lacks; use backend 'auto' to fall back to 'js'");
  }
  return backend;
}

/**
 * The kernels for a backend: `await createKernels({backend: 'auto'})`. Each wasm instance owns
 * its own memory; create one per network (or share one between networks on the same thread).
 *
 * @example
 * ```ts
 * import { createKernels, network, type WasmKernels } from 'backprop';
 *
 * const kernels = await createKernels({ backend: 'auto', threads: 2 });
 * const a = network([784, 128, 10], { kernels });
 * const b = network([784, 64, 10], { kernels });   // shares the memory and the workers
 * // … train both, then stop the worker threads:
 * if (kernels.name === 'wasm') (kernels as WasmKernels).dispose();
 * ```
 */
export async function createKernels(options: KernelOptions = {}): Promise<Kernels> {
  return resolve(options) === 'wasm' ? createWasmKernels(options) : jsKernels;
}

/**
 * As createKernels, compiling the wasm module synchronously (Node, workers; fine for this ~50 KB module).
 *
 * @example
 * ```ts
 * import { createKernelsSync, network } from 'backprop';
 *
 * const kernels = createKernelsSync({ backend: 'wasm', threads: 1 });
 * const net = network([2, 8, 1], { kernels });
 * console.log(net.kernels.name);   // wasm
 * ```
 */
export function createKernelsSync(options: KernelOptions = {}): Kernels {
  return resolve(options) === 'wasm' ? createWasmKernelsSync(options) : jsKernels;
}
