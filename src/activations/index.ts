import { oneOf } from '../errors.js';

export const ACTIVATIONS = ['sigmoid', 'relu', 'tanh', 'leaky-relu', 'linear', 'softmax'] as const;
export type ActivationId = (typeof ACTIVATIONS)[number];

/**
 * An elementwise activation σ with its derivative: σ(z) and σ'(z) per entry (σ' may use a = σ(z),
 * already computed, to save work).
 */
export interface ElementwiseActivation {
  readonly id: Exclude<ActivationId, 'softmax'>;
  /** Leaky ReLU's slope for z ≤ 0; 0 for the others. */
  readonly alpha: number;
  readonly elementwise: true;
  /** a = σ(z) */
  f(z: number): number;
  /** σ'(z), given z and a = σ(z) */
  df(z: number, a: number): number;
}

/**
 * softmax(z)_i = e^{z_i} / Σ_j e^{z_j} over the units of one sample. It couples the entries of a
 * sample, so its derivative is the Jacobian ∂a_i/∂z_j = a_i([i = j] − a_j), applied by the kernels
 * column by column.
 */
export interface SoftmaxActivation {
  readonly id: 'softmax';
  readonly alpha: 0;
  readonly elementwise: false;
}

export type Activation = ElementwiseActivation | SoftmaxActivation;

const sigmoid: ElementwiseActivation = {
  id: 'sigmoid',
  alpha: 0,
  elementwise: true,
  // σ(z) = 1/(1+e^-z), written so that neither branch overflows.
  f: (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
  // σ'(z) = σ(z)(1 − σ(z))
  df: (_z, a) => a * (1 - a),
};

const relu: ElementwiseActivation = {
  id: 'relu',
  alpha: 0,
  elementwise: true,
  f: (z) => (z > 0 ? z : 0),
  // σ'(z) = [z > 0]
  df: (z) => (z > 0 ? 1 : 0),
};

const tanh: ElementwiseActivation = {
  id: 'tanh',
  alpha: 0,
  elementwise: true,
  f: (z) => Math.tanh(z),
  // tanh'(z) = 1 − tanh²(z)
  df: (_z, a) => 1 - a * a,
};

const linear: ElementwiseActivation = {
  id: 'linear',
  alpha: 0,
  elementwise: true,
  f: (z) => z,
  df: () => 1,
};

function leakyRelu(alpha: number): ElementwiseActivation {
  return {
    id: 'leaky-relu',
    alpha,
    elementwise: true,
    f: (z) => (z > 0 ? z : alpha * z),
    // σ'(z) = 1 for z > 0, α otherwise
    df: (z) => (z > 0 ? 1 : alpha),
  };
}

const softmax: SoftmaxActivation = { id: 'softmax', alpha: 0, elementwise: false };

export const DEFAULT_LEAKY_ALPHA = 0.01;

/** Looks an activation up by id; unknown ids throw an OptionError listing the valid ones. */
export function activation(id: string, options: { alpha?: number } = {}): Activation {
  switch (oneOf('activation', id, ACTIVATIONS)) {
    case 'sigmoid':
      return sigmoid;
    case 'relu':
      return relu;
    case 'tanh':
      return tanh;
    case 'linear':
      return linear;
    case 'leaky-relu':
      return leakyRelu(options.alpha ?? DEFAULT_LEAKY_ALPHA);
    case 'softmax':
      return softmax;
  }
}
