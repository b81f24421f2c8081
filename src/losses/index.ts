import type { Activation } from '../activations/index.js';
import { OptionError, oneOf } from '../errors.js';
import type { FloatArray } from '../tensor/matrix.js';

/** The built-in costs' ids, as `network(…, {loss})` names them. */
export const LOSSES = ['mse', 'cross-entropy', 'binary-cross-entropy'] as const;
/** One of {@link LOSSES}: a built-in cost's id. */
export type LossId = (typeof LOSSES)[number];

/**
 * A cost C_k of one sample k, given the output layer's a = a(L) (and z = z(L)) and the target y,
 * all units × n with one column per sample. The batch cost is C = (1/N) Σ_k C_k.
 */
export interface Loss {
  /** A built-in cost's id, or a custom cost's name. */
  readonly id: string;
  /** The batch cost C = (1/N) Σ_k C_k. */
  value(a: FloatArray, z: FloatArray, y: FloatArray, units: number, n: number): number;
  /** ∂C_k/∂a(L) for every sample column (not yet averaged over the batch). */
  gradient(a: FloatArray, y: FloatArray, dA: FloatArray, units: number, n: number): void;
  /**
   * δ(L) = ∂C_k/∂z(L) in one stable step instead of ∂C/∂a ⊙ σ'(z), for costs tied to one output
   * activation (softmax, sigmoid) by `check`.
   */
  fusedDelta?(a: FloatArray, y: FloatArray, delta: FloatArray, units: number, n: number): void;
  /** Throws unless this cost is defined for the given output activation. */
  check(act: Activation): void;
}

/** C_k = (1/n_L) Σ_i (a_i − y_i)², the textbook mean squared error; ∂C_k/∂a = (2/n_L)(a − y). */
const mse: Loss = {
  id: 'mse',
  value(a, _z, y, units, n) {
    let s = 0;
    for (let i = 0; i < units * n; i++) {
      const d = a[i]! - y[i]!;
      s += d * d;
    }
    return s / units / n;
  },
  gradient(a, y, dA, units, n) {
    const k = 2 / units;
    for (let i = 0; i < units * n; i++) dA[i] = k * (a[i]! - y[i]!);
  },
  check() {},
};

/** C_k = −Σ_i y_i·log a_i with a = softmax(z); fused δ = a·Σy − y (= a − y for one-hot y). */
const crossEntropy: Loss = {
  id: 'cross-entropy',
  value(a, z, y, units, n) {
    // log a_i = z_i − log Σ_j e^{z_j}. At m = argmax z, a_m = 1 / Σ_j e^{z_j − z_m} ≥ 1/units never
    // underflows, so log Σ_j e^{z_j} = z_m − log a_m: one log per sample and no exp, where the
    // softmax that made a already paid for them.
    let s = 0;
    for (let j = 0; j < n; j++) {
      let m = j;
      for (let i = 1; i < units; i++) if (z[i * n + j]! > z[m]!) m = i * n + j;
      const logSum = z[m]! - Math.log(a[m]!);
      for (let i = 0; i < units; i++) {
        const yi = y[i * n + j]!;
        if (yi !== 0) s -= yi * (z[i * n + j]! - logSum);
      }
    }
    return s / n;
  },
  gradient(a, y, dA, units, n) {
    for (let i = 0; i < units * n; i++) dA[i] = y[i] === 0 ? 0 : -y[i]! / a[i]!;
  },
  fusedDelta(a, y, delta, units, n) {
    for (let j = 0; j < n; j++) {
      let ySum = 0;
      for (let i = 0; i < units; i++) ySum += y[i * n + j]!;
      for (let i = 0; i < units; i++) delta[i * n + j] = a[i * n + j]! * ySum - y[i * n + j]!;
    }
  },
  check(act) {
    if (act.id !== 'softmax') {
      throw new OptionError(`cost 'cross-entropy' needs a 'softmax' output layer, got '${act.id}'; for sigmoid outputs use 'binary-cross-entropy'`);
    }
  },
};

/** C_k = −(1/n_L) Σ_i [y_i·log a_i + (1 − y_i)·log(1 − a_i)] with a = sigmoid(z); fused δ = (a − y)/n_L. */
const binaryCrossEntropy: Loss = {
  id: 'binary-cross-entropy',
  value(_a, z, y, units, n) {
    // −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − z·y + log(1 + e^{−|z|}), finite for every z.
    let s = 0;
    for (let i = 0; i < units * n; i++) {
      const zi = z[i]!;
      s += Math.max(zi, 0) - zi * y[i]! + Math.log1p(Math.exp(-Math.abs(zi)));
    }
    return s / units / n;
  },
  gradient(a, y, dA, units, n) {
    for (let i = 0; i < units * n; i++) {
      const ai = a[i]!;
      dA[i] = (ai - y[i]!) / (ai * (1 - ai)) / units;
    }
  },
  fusedDelta(a, y, delta, units, n) {
    for (let i = 0; i < units * n; i++) delta[i] = (a[i]! - y[i]!) / units;
  },
  check(act) {
    if (act.id !== 'sigmoid') {
      throw new OptionError(`cost 'binary-cross-entropy' needs a 'sigmoid' output layer, got '${act.id}'; for softmax outputs use 'cross-entropy'`);
    }
  },
};

/**
 * A user-defined cost, one sample at a time: C_k = value(a, y) for the output a = a(L) and the
 * target y of sample k (arrays of n_L values), and gradient(a, y, dA) writes ∂C_k/∂a into dA. The
 * batch cost is the mean over the samples. It runs in JavaScript; `gradientCheck` checks it.
 *
 * @example
 * ```ts
 * import { network, type CustomLoss } from 'backprop';
 *
 * // the mean absolute error C_k = (1/n_L) Σ_i |a_i − y_i|, ∂C_k/∂a_i = sign(a_i − y_i)/n_L
 * const mae: CustomLoss = {
 *   name: 'mae',
 *   value: (a, y) => a.reduce((s, ai, i) => s + Math.abs(ai - y[i]!), 0) / a.length,
 *   gradient: (a, y, dA) => a.forEach((ai, i) => (dA[i] = Math.sign(ai - y[i]!) / a.length)),
 * };
 * const net = network([3, 8, { units: 1, activation: 'linear' }], { loss: mae });
 * ```
 */
export interface CustomLoss {
  /** Stored in model files; must not be a built-in cost's id. */
  name: string;
  /** C_k for one sample's output a = a(L) and target y. */
  value(a: Float64Array, y: Float64Array): number;
  /** Writes ∂C_k/∂a into dA (zeroed before the call). */
  gradient(a: Float64Array, y: Float64Array, dA: Float64Array): void;
}

/** A Loss from a user-defined cost; each column is copied into scratch vectors (no allocation per call). */
export function customLoss(c: CustomLoss): Loss {
  if (c === null || typeof c !== 'object' || typeof c.name !== 'string' || c.name === '' || typeof c.value !== 'function' || typeof c.gradient !== 'function') {
    throw new OptionError('a custom cost is {name, value(a, y), gradient(a, y, dA)} with a non-empty name and two functions');
  }
  if ((LOSSES as readonly string[]).includes(c.name)) throw new OptionError(`custom cost name "${c.name}" is a built-in cost's; choose another`);
  let a = new Float64Array(0);
  let y = new Float64Array(0);
  let g = new Float64Array(0);
  /** Column j of the units × n arrays into the scratch vectors a and y. */
  function column(src: FloatArray, target: FloatArray, units: number, n: number, j: number): void {
    if (a.length !== units) {
      a = new Float64Array(units);
      y = new Float64Array(units);
      g = new Float64Array(units);
    }
    for (let i = 0; i < units; i++) {
      a[i] = src[i * n + j]!;
      y[i] = target[i * n + j]!;
    }
  }
  return {
    id: c.name,
    value(aL, _z, target, units, n) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        column(aL, target, units, n, j);
        s += c.value(a, y);
      }
      return s / n;
    },
    gradient(aL, target, dA, units, n) {
      for (let j = 0; j < n; j++) {
        column(aL, target, units, n, j);
        g.fill(0);
        c.gradient(a, y, g);
        for (let i = 0; i < units; i++) dA[i * n + j] = g[i]!;
      }
    },
    check() {},
  };
}

/**
 * Looks a cost up by id (or makes a custom one); unknown ids throw an OptionError listing the valid ones.
 *
 * @param id - a built-in id (see {@link LOSSES}) or a {@link CustomLoss}
 * @example
 * ```ts
 * import { loss } from 'backprop';
 *
 * // C = (1/N) Σ_k (1/n_L) Σ_i (a_i − y_i)²: one sample, one output, a = 0.8, y = 1
 * const a = new Float64Array([0.8]);
 * console.log(loss('mse').value(a, a, new Float64Array([1]), 1, 1).toFixed(2));   // 0.04
 * ```
 */
export function loss(id: string | CustomLoss): Loss {
  if (typeof id === 'object') return customLoss(id);
  switch (oneOf('loss', id, LOSSES)) {
    case 'mse':
      return mse;
    case 'cross-entropy':
      return crossEntropy;
    case 'binary-cross-entropy':
      return binaryCrossEntropy;
  }
}
