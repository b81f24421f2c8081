import { writeFileSync } from 'node:fs';
import type { Kernels } from '../src/kernels/types.js';
import { network, type Network } from '../src/network.js';
import { adam, sgd, type Optimizer } from '../src/optimizers/index.js';
import { ADAM, activationOf, dropoutOf, layerCount, type NetSpec } from './nets.js';

/**
 * Builds a benchmark net with backprop; the seed fixes the initial weights (backprop's default
 * init, which dropout does not change). A toolkit net's hidden layers get their `dropout`.
 */
export function buildNetwork(spec: NetSpec, seed: number, kernels: { backend: 'js' | 'wasm'; threads: number } | Kernels = { backend: 'js', threads: 1 }): Network {
  const layers = spec.sizes.slice(1).map((units, l) => {
    const dropout = dropoutOf(spec, l);
    return { units, activation: activationOf(spec, l), ...(dropout > 0 ? { dropout } : {}) };
  });
  const choice = 'alloc' in kernels ? { kernels } : { backend: kernels.backend, threads: kernels.threads };
  return network([spec.sizes[0]!, ...layers], { loss: spec.loss, seed, ...choice });
}

/** The net's optimizer at η₀; a toolkit net's has decoupled weight decay (Adam's is then AdamW). */
export function buildOptimizer(spec: NetSpec): Optimizer {
  const weightDecay = spec.toolkit?.weightDecay;
  return spec.optimizer === 'adam'
    ? adam({ learningRate: spec.learningRate, beta1: ADAM.beta1, beta2: ADAM.beta2, epsilon: ADAM.epsilon, weightDecay })
    : sgd({ learningRate: spec.learningRate, weightDecay });
}

/** Every library starts from these: W(l) is units × inputs, row-major (backprop's and PyTorch's layout). */
export interface InitialWeights {
  W: Float32Array[];
  b: Float32Array[];
}

export function initialWeights(spec: NetSpec, seed: number): InitialWeights {
  // The values do not depend on the kernels; the js ones cost no WebAssembly memory.
  const net = buildNetwork(spec, seed, { backend: 'js', threads: 1 });
  return {
    W: net.layers.map((l) => Float32Array.from(l.W)),
    b: net.layers.map((l) => Float32Array.from(l.b)),
  };
}

/** W (units × inputs) as the [inputs, units] kernel that TF.js and jax-js multiply from the right: x·K. */
export function transposed(W: Float32Array, units: number, inputs: number): Float32Array {
  const K = new Float32Array(W.length);
  for (let i = 0; i < units; i++) {
    for (let j = 0; j < inputs; j++) K[j * units + i] = W[i * inputs + j]!;
  }
  return K;
}

/** The kernel of layer l for a right-multiplying library, with its shape. */
export function kernelOf(spec: NetSpec, init: InitialWeights, l: number): { data: Float32Array; shape: [number, number] } {
  const inputs = spec.sizes[l]!;
  const units = spec.sizes[l + 1]!;
  return { data: transposed(init.W[l]!, units, inputs), shape: [inputs, units] };
}

/** For the Python child: raw little-endian float32, W(1), b(1), W(2), b(2), ... in backprop's layout. */
export function writeInitialWeights(path: string, spec: NetSpec, init: InitialWeights): void {
  const parts: Float32Array[] = [];
  for (let l = 0; l < layerCount(spec); l++) parts.push(init.W[l]!, init.b[l]!);
  writeFileSync(path, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}
