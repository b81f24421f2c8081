import type { LossId } from '../losses/index.js';
import type { Model } from '../nn/model.js';
import { positive } from '../errors.js';
import { Matrix, type FloatArray, type MatrixLike } from '../tensor/matrix.js';
import type { Batch } from './batch.js';
import { inputMatrix, range, targetMatrix, type TargetLike } from './data.js';

/**
 * Every factor of the chain rule for one layer l, named as in the derivation. Batch quantities are
 * units × n with one column per sample and are per sample (C_k); dW and db are averaged over the n
 * samples, as the update uses them.
 */
export interface LayerExplanation {
  /** l, counted from 1 (the input is a(0)) */
  layer: number;
  /** a built-in activation's id, or a custom one's name */
  activation: string;
  /** W(l), units × inputs */
  W: Matrix;
  /** b(l), units × 1 */
  b: Matrix;
  /** a(l-1), inputs × n (the network's input x for l = 1) */
  aPrev: Matrix;
  /** z(l) = W(l)·a(l-1) + b(l) */
  z: Matrix;
  /** a(l) = σ(z(l)) */
  a: Matrix;
  /** σ'(z(l)); null for softmax, whose derivative is a Jacobian (δ is then J·∂C/∂a) */
  sigmaPrime: Matrix | null;
  /** ∂C/∂a(l): C'(a, y) for the output layer, W(l+1)ᵀ·δ(l+1) below it */
  dA: Matrix;
  /** δ(l) = ∂C/∂z(l) = ∂C/∂a(l) ⊙ σ'(z(l)) */
  delta: Matrix;
  /**
   * How δ was formed: 'elementwise' (∂C/∂a ⊙ σ'(z)), 'softmax-jacobian' (J_softmax·∂C/∂a), or
   * 'fused' (the cost gives δ(L) directly and stably: a − y for softmax cross-entropy).
   */
  deltaRule: 'elementwise' | 'softmax-jacobian' | 'fused';
  /** ∂C/∂W(l) = (1/n) Σ_k δ_k·a_k(l-1)ᵀ, units × inputs */
  dW: Matrix;
  /** ∂C/∂b(l) = (1/n) Σ_k δ_k, units × 1 */
  db: Matrix;
  /** ∂C/∂a(l-1) = W(l)ᵀ·δ(l), inputs × n; null for l = 1 (no gradient is computed for the input) */
  dAPrev: Matrix | null;
  /** W − η·∂C/∂W and b − η·∂C/∂b, when a learning rate was given */
  WNext?: Matrix;
  bNext?: Matrix;
}

export interface Explanation {
  cost: LossId;
  /** C = (1/n) Σ_k C_k over the samples explained */
  loss: number;
  /** number of samples (columns) */
  n: number;
  /** x as a(0), inputs × n */
  x: Matrix;
  /** y, outputs × n */
  y: Matrix;
  learningRate?: number;
  /** layers 1..L in forward order; a backward walk reads them from the last to the first */
  layers: LayerExplanation[];
}

export interface ExplainOptions {
  /** η: also give the plain gradient-descent update W ← W − η·∂C/∂W of every layer. */
  learningRate?: number;
}

/** One forward and backward pass on the given samples, with every intermediate kept; the network is not changed. */
export function explain(net: Model, batch: Batch, x: MatrixLike, y: TargetLike, options: ExplainOptions = {}): Explanation {
  const X = inputMatrix(x, net.inputs, net.dtype);
  const Y = targetMatrix(y, X.rows, net.outputs, net.dtype);
  const n = X.rows;
  const eta = options.learningRate === undefined ? undefined : positive('learning rate', options.learningRate);
  batch.load(X, Y, range(n), 0, n);
  // X in columns, one per sample, as the explanation shows it (and as a(0))
  const input = batch.x();
  net.forward(input, n);
  const loss = net.loss(batch.y, n);
  net.backward(batch.y, n, input, false, true);

  const copy = (data: FloatArray, rows: number, cols: number): Matrix => new Matrix(rows, cols, data.slice(0, rows * cols));
  const L = net.layers.length;
  const layers = net.layers.map((layer, i): LayerExplanation => {
    const { units, inputs } = layer;
    const below = i > 0 ? net.layers[i - 1]! : null;
    let sigmaPrime: Matrix | null = null;
    if (layer.act.elementwise) {
      sigmaPrime = Matrix.zeros(units, n, net.dtype);
      net.kernels.activationDerivative(layer.act, layer.z, layer.a, sigmaPrime.data, units * n);
    }
    const fused = i === L - 1 && net.cost.fusedDelta !== undefined;
    const e: LayerExplanation = {
      layer: i + 1,
      activation: layer.act.id,
      W: copy(layer.W, units, inputs),
      b: copy(layer.b, units, 1),
      aPrev: copy(below ? below.a : input, inputs, n),
      z: copy(layer.z, units, n),
      a: copy(layer.a, units, n),
      sigmaPrime,
      dA: copy(layer.dA, units, n),
      delta: copy(layer.delta, units, n),
      deltaRule: fused ? 'fused' : layer.act.elementwise ? 'elementwise' : 'softmax-jacobian',
      dW: copy(layer.dW, units, inputs),
      db: copy(layer.db, units, 1),
      dAPrev: below ? copy(below.dA, inputs, n) : null,
    };
    if (eta !== undefined) {
      e.WNext = e.W.clone();
      e.bNext = e.b.clone();
      net.kernels.sgdUpdate(e.WNext.data, e.dW.data, eta);
      net.kernels.sgdUpdate(e.bNext.data, e.db.data, eta);
    }
    return e;
  });
  const result: Explanation = {
    cost: net.cost.id,
    loss,
    n,
    x: copy(input, net.inputs, n),
    y: copy(batch.y, net.outputs, n),
    layers,
  };
  if (eta !== undefined) result.learningRate = eta;
  return result;
}
