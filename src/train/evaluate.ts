import type { Model } from '../nn/model.js';
import { Matrix } from '../tensor/matrix.js';
import type { Batch } from './batch.js';
import { range } from './data.js';

/** What {@link Network.evaluate} measures over a data set. */
export interface Evaluation {
  /** C = (1/N) Σ_k C_k over all samples, plus the weights' penalty when the layers have one */
  loss: number;
  /** Fraction of samples whose largest output is the target's largest (one output: both on the same side of 0.5). */
  accuracy: number;
}

/** Samples per forward pass of predict and evaluate: the batch buffers stay this size at most. */
const CHUNK = 1024;

/** a(L) for every sample of X (samples × inputs), as samples × outputs. */
export function predict(model: Model, batch: Batch, X: Matrix): Matrix {
  const out = Matrix.zeros(X.rows, model.outputs, model.dtype);
  const order = range(X.rows);
  const outputs = model.outputs;
  for (let start = 0; start < X.rows; start += CHUNK) {
    const n = Math.min(CHUNK, X.rows - start);
    batch.load(X, null, order, start, n);
    const a = forwardBatch(model, batch);
    for (let i = 0; i < outputs; i++) {
      for (let j = 0; j < n; j++) out.data[(start + j) * outputs + i] = a[i * n + j]!;
    }
  }
  return out;
}

/** The cost (with the penalty) and accuracy over samples `order` of X and Y, without changing the model. */
export function evaluate(model: Model, batch: Batch, X: Matrix, Y: Matrix, order: ArrayLike<number> = range(X.rows)): Evaluation {
  let total = 0;
  let correct = 0;
  for (let start = 0; start < order.length; start += CHUNK) {
    const n = Math.min(CHUNK, order.length - start);
    batch.load(X, Y, order, start, n);
    const a = forwardBatch(model, batch);
    total += model.loss(batch.y, n) * n;
    correct += batch.correct(a);
  }
  return { loss: total / order.length + model.penalty(), accuracy: correct / order.length };
}

/** The model's forward pass on the loaded batch, in whichever layout it was gathered. */
export function forwardBatch(model: Model, batch: Batch): Float32Array | Float64Array {
  const xT = batch.xT;
  return model.forward(xT ?? batch.x(), batch.n, xT !== null);
}
