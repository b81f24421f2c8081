import { OptionError, oneOf } from '../errors.js';

/** The built-in activations' ids, as a layer's `activation` names them (`swish` is `silu`). */
export const ACTIVATIONS = ['sigmoid', 'relu', 'tanh', 'leaky-relu', 'linear', 'softmax', 'elu', 'gelu', 'softplus', 'silu', 'swish'] as const;
/** One of {@link ACTIVATIONS}: a built-in activation's id. */
export type ActivationId = (typeof ACTIVATIONS)[number];

/**
 * A user-defined elementwise activation: σ(z) and σ'(z) (which may use a = σ(z)). Layers using one
 * run their activation on the JavaScript kernels; `gradientCheck` checks df against f.
 *
 * @example
 * ```ts
 * import { network, type CustomActivation } from 'backprop';
 *
 * // the bent identity σ(z) = (√(z² + 1) − 1)/2 + z, σ'(z) = z/(2√(z² + 1)) + 1
 * const bent: CustomActivation = {
 *   name: 'bent-identity',
 *   f: (z) => (Math.sqrt(z * z + 1) - 1) / 2 + z,
 *   df: (z) => z / (2 * Math.sqrt(z * z + 1)) + 1,
 * };
 * const net = network([2, { units: 4, activation: bent }, 1]);
 * ```
 */
export interface CustomActivation {
  /** Stored in model files; must not be a built-in activation's id. */
  name: string;
  /** a = σ(z) */
  f(z: number): number;
  /** σ'(z), given z and a = σ(z) (use whichever is cheaper) */
  df(z: number, a: number): number;
}

/**
 * An elementwise activation σ with its derivative: σ(z) and σ'(z) per entry (σ' may use a = σ(z),
 * already computed, to save work).
 */
export interface ElementwiseActivation {
  /** A built-in id, or a custom activation's name. */
  readonly id: string;
  /** Leaky ReLU's slope for z ≤ 0, ELU's α for z ≤ 0; 0 for the others. */
  readonly alpha: number;
  /** True: σ acts on each entry alone (tells it apart from softmax). */
  readonly elementwise: true;
  /** True for a user-defined activation (the kernels run it in JavaScript). */
  readonly custom?: true;
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
  /** Always `softmax`. */
  readonly id: 'softmax';
  /** Softmax has no parameter. */
  readonly alpha: 0;
  /** False: each a_i depends on every z_j of its sample. */
  readonly elementwise: false;
}

/** An activation as a layer holds it: elementwise σ with σ', or softmax over a sample's units. */
export type Activation = ElementwiseActivation | SoftmaxActivation;

const sigmoid: ElementwiseActivation = {
  id: 'sigmoid',
  alpha: 0,
  elementwise: true,
  // σ(z) = 1/(1+e^-z)
  f: (z) => logistic(z),
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

function elu(alpha: number): ElementwiseActivation {
  return {
    id: 'elu',
    alpha,
    elementwise: true,
    // σ(z) = z for z > 0, α(e^z − 1) otherwise
    f: (z) => (z > 0 ? z : alpha * Math.expm1(z)),
    // σ'(z) = 1 for z > 0, α·e^z otherwise (not a + α, which loses e^z where a ≈ −α)
    df: (z) => (z > 0 ? 1 : alpha * Math.exp(z)),
  };
}

const SQRT1_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) = (2/√π)·e^{−x²}·Σ_n 2^n·x^{2n+1}/(1·3·…·(2n+1)) (Abramowitz & Stegun 7.1.6): every term
 * has x's sign, so the sum has no cancellation and reaches float64 precision.
 */
export function erf(x: number): number {
  if (Math.abs(x) > 3) return Math.sign(x) * (1 - erfcTail(Math.abs(x)));
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

/**
 * erfc(x) for x ≥ 2 by its continued fraction e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
 * (A&S 7.1.14), evaluated from 60 levels deep: float64 precision, and no cancellation in the tail.
 */
function erfcTail(x: number): number {
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Φ(z), the standard normal CDF; for z < −2√2 from erfc's tail, so that GELU's small negative values stay exact. */
function phi(z: number): number {
  const x = z * Math.SQRT1_2;
  return x < -2 ? 0.5 * erfcTail(-x) : 0.5 * (1 + erf(x));
}

const gelu: ElementwiseActivation = {
  id: 'gelu',
  alpha: 0,
  elementwise: true,
  // σ(z) = z·Φ(z), the exact GELU (PyTorch's nn.GELU() default)
  f: (z) => z * phi(z),
  // σ'(z) = Φ(z) + z·φ(z)
  df: (z) => phi(z) + z * SQRT1_2PI * Math.exp(-0.5 * z * z),
};

/** 1/(1 + e^−z), written so that neither branch overflows. */
function logistic(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

const softplus: ElementwiseActivation = {
  id: 'softplus',
  alpha: 0,
  elementwise: true,
  // σ(z) = log(1 + e^z) = max(z, 0) + log(1 + e^−|z|), finite for every z
  f: (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))),
  // σ'(z) = 1/(1 + e^−z), the logistic function
  df: (z) => logistic(z),
};

const silu: ElementwiseActivation = {
  id: 'silu',
  alpha: 0,
  elementwise: true,
  // σ(z) = z·s(z) with s the logistic function (also called swish)
  f: (z) => z * logistic(z),
  // σ'(z) = s(z)·(1 + z·(1 − s(z)))
  df: (z) => {
    const s = logistic(z);
    return s * (1 + z * (1 - s));
  },
};

const softmax: SoftmaxActivation = { id: 'softmax', alpha: 0, elementwise: false };

export const DEFAULT_LEAKY_ALPHA = 0.01;
export const DEFAULT_ELU_ALPHA = 1;

/** A user-defined activation, checked: a name that is not a built-in id, and two functions. */
export function customActivation(c: CustomActivation): ElementwiseActivation {
  if (c === null || typeof c !== 'object' || typeof c.name !== 'string' || c.name === '' || typeof c.f !== 'function' || typeof c.df !== 'function') {
    throw new OptionError('a custom activation is {name, f(z), df(z, a)} with a non-empty name and two functions');
  }
  if ((ACTIVATIONS as readonly string[]).includes(c.name)) {
    throw new OptionError(`custom activation name "${c.name}" is a built-in activation's; choose another`);
  }
  return { id: c.name, alpha: 0, elementwise: true, custom: true, f: c.f, df: c.df };
}

/**
 * Looks an activation up by id; unknown ids throw an OptionError listing the valid ones.
 *
 * @param id - a built-in id (see {@link ACTIVATIONS}) or a {@link CustomActivation}
 * @param options - `alpha`: leaky ReLU's slope for z ≤ 0 (default 0.01) or ELU's α (default 1)
 * @example
 * ```ts
 * import { activation } from 'backprop';
 *
 * const sigma = activation('sigmoid');
 * if (sigma.elementwise) {
 *   const a = sigma.f(0);
 *   console.log(a, sigma.df(0, a));   // 0.5 0.25, σ'(z) = σ(z)(1 − σ(z))
 * }
 * ```
 */
export function activation(id: string | CustomActivation, options: { alpha?: number } = {}): Activation {
  if (typeof id === 'object') return customActivation(id);
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
    case 'elu':
      return elu(options.alpha ?? DEFAULT_ELU_ALPHA);
    case 'gelu':
      return gelu;
    case 'softplus':
      return softplus;
    case 'silu':
    case 'swish':
      return silu;
  }
}
