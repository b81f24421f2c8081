import type { Model } from '../nn/model.js';
import { positive } from '../errors.js';
import { Matrix, type FloatArray, type MatrixLike } from '../tensor/matrix.js';
import type { Batch } from './batch.js';
import { inputMatrix, range, targetMatrix, type TargetLike } from './data.js';
import { clip } from './trainer.js';

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
  /** a(l-1), inputs × n (the network's input x for l = 1; ã(l-1) = a(l-1) ⊙ m(l-1) when layer l-1 dropped out) */
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
  /**
   * ∂C/∂a(l-1) = W(l)ᵀ·δ(l), inputs × n (⊙ m(l-1) when layer l-1 dropped out); null for l = 1 (no
   * gradient is computed for the input)
   */
  dAPrev: Matrix | null;
  /** With dropout (a dropoutKey given): the mask m(l), 0 or 1/(1 − p), units × n */
  mask?: Matrix;
  /** With dropout: ã(l) = a(l) ⊙ m(l), what layer l+1 reads, units × n */
  aDropped?: Matrix;
  /** With an L1/L2 penalty: its share of dW, l1·sign(W) + 2·l2·W (dW includes it) */
  dWPenalty?: Matrix;
  /** With clipping: the ∂C/∂W the update uses, after clipValue and clipNorm */
  dWClipped?: Matrix;
  /** With clipping: the ∂C/∂b the update uses */
  dbClipped?: Matrix;
  /** W − η·∂C/∂W, when a learning rate was given */
  WNext?: Matrix;
  /** b − η·∂C/∂b, when a learning rate was given */
  bNext?: Matrix;
}

/** One backpropagation step laid out factor by factor, as {@link Network.explain} returns it. */
export interface Explanation {
  /** the cost's id (a custom cost's name) */
  cost: string;
  /** C = (1/n) Σ_k C_k over the samples explained, plus the penalty */
  loss: number;
  /** the weights' penalty Σ_l (l1·Σ|W| + l2·ΣW²) included in loss (0 without one) */
  penalty: number;
  /** With clipNorm: the factor min(1, clipNorm/‖g‖) the gradient was scaled by */
  clipScale?: number;
  /** number of samples (columns) */
  n: number;
  /** x as a(0), inputs × n */
  x: Matrix;
  /** y, outputs × n */
  y: Matrix;
  /** η, when given: then every layer has WNext and bNext */
  learningRate?: number;
  /** layers 1..L in forward order; a backward walk reads them from the last to the first */
  layers: LayerExplanation[];
}

/** What {@link Network.explain} adds to the plain forward and backward pass. */
export interface ExplainOptions {
  /** η (e.g. the epoch's scheduled rate): also give the plain gradient-descent update W ← W − η·∂C/∂W of every layer. */
  learningRate?: number;
  /** Explain a training step through the dropout masks this key draws (default: dropout off, as in prediction). */
  dropoutKey?: number;
  /** Show the gradient clipped to this global L2 norm, as a training step with it clips it. */
  clipNorm?: number;
  /** Show each gradient entry clamped to ±clipValue, as a training step with it clamps it. */
  clipValue?: number;
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
  net.forward(input, n, false, options.dropoutKey);
  const loss = net.loss(batch.y, n);
  const penalty = net.backward(batch.y, n, input, false, true);

  const copy = (data: FloatArray, rows: number, cols: number): Matrix => new Matrix(rows, cols, data.slice(0, rows * cols));
  const gradients = net.layers.map((l) => ({ dW: copy(l.dW, l.units, l.inputs), db: copy(l.db, l.units, 1) }));
  const clipping = options.clipNorm !== undefined || options.clipValue !== undefined;
  const clipScale = clipping ? clip(net, options.clipValue, options.clipNorm) : 1;
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
      aPrev: copy(below ? below.output : input, inputs, n),
      z: copy(layer.z, units, n),
      a: copy(layer.a, units, n),
      sigmaPrime,
      dA: copy(layer.dA, units, n),
      delta: copy(layer.delta, units, n),
      deltaRule: fused ? 'fused' : layer.act.elementwise ? 'elementwise' : 'softmax-jacobian',
      dW: gradients[i]!.dW,
      db: gradients[i]!.db,
      dAPrev: below ? copy(below.dA, inputs, n) : null,
    };
    if (layer.masked) {
      e.mask = copy(layer.mask!, units, n);
      e.aDropped = copy(layer.dropped!, units, n);
    }
    if (layer.l1 || layer.l2) {
      // l1·sign(W) + 2·l2·W, by the same kernel that adds it to dW in training
      e.dWPenalty = Matrix.zeros(units, inputs, net.dtype);
      net.kernels.penalty(e.W.data, e.dWPenalty.data, layer.l1, layer.l2);
    }
    if (clipping) {
      e.dWClipped = copy(layer.dW, units, inputs);
      e.dbClipped = copy(layer.db, units, 1);
    }
    if (eta !== undefined) {
      e.WNext = e.W.clone();
      e.bNext = e.b.clone();
      net.kernels.sgdUpdate(e.WNext.data, (e.dWClipped ?? e.dW).data, eta);
      net.kernels.sgdUpdate(e.bNext.data, (e.dbClipped ?? e.db).data, eta);
    }
    return e;
  });
  const result: Explanation = {
    cost: net.cost.id,
    loss: loss + penalty,
    penalty,
    n,
    x: copy(input, net.inputs, n),
    y: copy(batch.y, net.outputs, n),
    layers,
  };
  if (eta !== undefined) result.learningRate = eta;
  if (options.clipNorm !== undefined) result.clipScale = clipScale;
  return result;
}
