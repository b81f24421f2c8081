/** Shared fixtures of the IO tests: networks of every activation, random batches, corruption helpers. */
import { Matrix, network, Random, type NetworkOptions, type NetworkSpec, type Network } from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';

export interface Architecture {
  label: string;
  spec: NetworkSpec;
  options: NetworkOptions;
}

/** Architectures covering every activation (softmax only as output) and every loss, float32 and float64. */
export const ARCHITECTURES: Architecture[] = [
  { label: 'sigmoid → sigmoid (mse)', spec: [2, { units: 4, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }], options: { loss: 'mse' } },
  {
    label: 'relu → tanh → softmax (cross-entropy)',
    spec: [5, { units: 8, activation: 'relu' }, { units: 6, activation: 'tanh' }, { units: 3, activation: 'softmax' }],
    options: { loss: 'cross-entropy' },
  },
  {
    label: 'leaky-relu(0.2) → linear (mse)',
    spec: [3, { units: 7, activation: 'leaky-relu', alpha: 0.2 }, { units: 2, activation: 'linear' }],
    options: { loss: 'mse' },
  },
  { label: 'one sigmoid layer (binary-cross-entropy)', spec: [4, { units: 1, activation: 'sigmoid' }], options: { loss: 'binary-cross-entropy' } },
  {
    label: 'linear → leaky-relu(default α) → tanh, float64',
    spec: [6, { units: 5, activation: 'linear' }, { units: 4, activation: 'leaky-relu' }, { units: 2, activation: 'tanh' }],
    options: { loss: 'mse', dtype: 'float64' },
  },
];

/** A network with non-trivial weights and biases ('normal' init gives non-zero biases too). */
export function makeNetwork(a: Architecture, seed = 7): Network {
  return network(a.spec, { ...a.options, seed, init: 'normal' });
}

/** n samples of `cols` features drawn from N(0, 1.5²). */
export function randomBatch(n: number, cols: number, seed = 1): Matrix {
  const rng = new Random(seed);
  const data = new Float32Array(n * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * 1.5;
  return new Matrix(n, cols, data);
}

/** Decodes, lets `edit` change tensors/metadata, re-encodes: a well-formed safetensors file with bad content. */
export function rewrite(
  bytes: Uint8Array,
  edit: (tensors: Record<string, SafetensorsTensor>, metadata: Record<string, string>) => void,
): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  edit(tensors, metadata);
  return encodeSafetensors(tensors, metadata);
}

/** The raw bytes of a typed array, to compare floats bit for bit. */
export function bits(a: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
