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

export const BACKENDS = ['auto', 'wasm', 'js'] as const;
/** 'wasm': WebAssembly SIMD kernels; 'js': the TypeScript reference kernels; 'auto': wasm where WebAssembly SIMD exists, else js. */
export type Backend = (typeof BACKENDS)[number];

export interface KernelOptions extends WasmKernelOptions {
  /** Default 'auto'. */
  backend?: Backend;
}

/** Which backend `auto` resolves to here. */
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
 */
export async function createKernels(options: KernelOptions = {}): Promise<Kernels> {
  return resolve(options) === 'wasm' ? createWasmKernels(options) : jsKernels;
}

/** As createKernels, compiling the wasm module synchronously (Node, workers; fine for this ~13 KB module). */
export function createKernelsSync(options: KernelOptions = {}): Kernels {
  return resolve(options) === 'wasm' ? createWasmKernelsSync(options) : jsKernels;
}
