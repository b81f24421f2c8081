import type { Model } from '../nn/model.js';
import { assertFinite, Matrix, type FloatArray } from '../tensor/matrix.js';
import type { Batch } from './batch.js';

/** What {@link Network.evaluate} measures over a data set. */
export interface Evaluation {
  /** C = (1/N) Σ_k C_k over all samples, plus the weights' penalty when the layers have one */
  loss: number;
  /** Fraction of samples whose largest output is the target's largest (one output: both on the same side of 0.5). */
  accuracy: number;
}

/** Samples per forward pass of predict and evaluate: the batch buffers stay this size at most. */
const CHUNK = 1024;

/**
 * a(L) for every sample of X (samples × inputs), as samples × outputs. X's values are checked for
 * NaN and ±Infinity here, chunk by chunk (forwardChecked). Chunks that are mostly exact zeros go
 * through the first layer by their non-zeros (`sparseInput`, as in fit: 'auto' by each chunk's
 * density, true, false; see Batch.loadForward). A chunk of many samples in an ordinary array is
 * copied into the kernels' memory by the forward pass itself, while the threads compute (Model.forwardRows).
 */
export function predict(model: Model, batch: Batch, X: Matrix, sparseInput: boolean | 'auto' = 'auto'): Matrix {
  const out = Matrix.zeros(X.rows, model.outputs, model.dtype);
  const outputs = model.outputs;
  for (let start = 0; start < X.rows; start += CHUNK) {
    const n = Math.min(CHUNK, X.rows - start);
    batch.loadForward(X, null, null, start, n, sparseInput);
    // a(L) is outputs × n, one column per sample; the result has one row per sample
    batch.writeRows(forwardChecked(model, batch, X), out.data, start * outputs);
  }
  return out;
}

/**
 * The cost (with the penalty) and accuracy over X and Y, or over samples `order` of them, without
 * changing the model. X is checked for NaN and ±Infinity as `predict` checks it.
 */
export function evaluate(model: Model, batch: Batch, X: Matrix, Y: Matrix, order: ArrayLike<number> | null = null, sparseInput: boolean | 'auto' = 'auto'): Evaluation {
  const samples = order ? order.length : X.rows;
  let total = 0;
  let correct = 0;
  for (let start = 0; start < samples; start += CHUNK) {
    const n = Math.min(CHUNK, samples - start);
    batch.loadForward(X, Y, order, start, n, sparseInput);
    const a = forwardChecked(model, batch, X);
    total += model.loss(batch.y, n) * n;
    correct += batch.correct(a);
  }
  return { loss: total / samples + model.penalty(), accuracy: correct / samples };
}

/**
 * The model's forward pass on the loaded batch, in whichever layout it was gathered (by its
 * non-zeros, Xᵀ or X), with the batch's inputs checked: a bad value is named by its place in X.
 * By its non-zeros, max|x| over them is cheap and is NaN or Infinity exactly when an input is (they
 * hold every non-zero, NaN included). Dense, on kernels that compute every term (Kernels.everyTerm),
 * a non-finite x_j makes z(1)_i of its sample non-finite for every unit i (±∞·w is ±∞, or NaN for
 * w = 0; NaN stays NaN; finite terms and b undo neither), so max|z(1)|, over units × n values, is
 * NaN or ∞ whenever an input is, and X (inputs × n values, far more) is searched only then (a z(1)
 * overflowing on finite inputs, or non-finite weights, find nothing there and pass, as before).
 * Other kernels: max|x| first.
 */
function forwardChecked(model: Model, batch: Batch, X: Matrix): Float32Array | Float64Array {
  const { sparseX, n } = batch;
  const kernels = model.kernels;
  if (sparseX || !kernels.everyTerm) {
    const xT = batch.xT;
    const input = sparseX ?? xT ?? batch.x();
    const values = sparseX ? sparseX.value.subarray(0, sparseX.start[n]) : (input as FloatArray);
    if (!Number.isFinite(kernels.maxAbs(values))) assertFinite(X, 'x');
    return model.forward(input, n, xT !== null);
  }
  // samples still to be copied in: the forward pass copies them as it goes
  const rows = batch.takeRows();
  const xT = batch.xT;
  const a = rows ? model.forwardRows(rows.rows, n, xT!, rows.staged) : model.forward(xT ?? batch.x(), n, xT !== null);
  const first = model.layers[0]!;
  if (!Number.isFinite(kernels.maxAbs(first.z.subarray(0, first.units * n)))) assertFinite(X, 'x');
  return a;
}
