import { DataError, ShapeError } from '../errors.js';
import { assertFinite, Matrix, toMatrix, type DType, type MatrixLike } from '../tensor/matrix.js';

/** Targets: a matrix of samples × outputs, or one number per sample (class indices when there are several outputs). */
export type TargetLike = MatrixLike | ArrayLike<number>;

/**
 * Inputs as samples × features, checked against the network's input size and, unless `finite` is
 * false (predict and evaluate check each batch where the kernels copy it to), for NaN/Infinity.
 */
export function inputMatrix(x: MatrixLike, inputs: number, dtype: DType, what = 'x', finite = true): Matrix {
  const m = toMatrix(x, dtype, what);
  if (m.rows === 0) throw new DataError(`${what} is empty: at least one sample is needed`);
  if (m.cols !== inputs) {
    throw new ShapeError(`${what} has shape ${m.rows}×${m.cols} (${m.cols} features per sample) but layer 1 expects ${inputs} inputs (shape ${m.rows}×${inputs})`);
  }
  if (finite) assertFinite(m, what);
  return m;
}

/** Targets as samples × outputs; class indices become one-hot rows. */
export function targetMatrix(y: TargetLike, samples: number, outputs: number, dtype: DType, what = 'y'): Matrix {
  let m: Matrix;
  if (isVector(y)) {
    if (outputs === 1) {
      m = toMatrix({ data: y, rows: y.length, cols: 1 }, dtype, what);
    } else {
      m = Matrix.zeros(y.length, outputs, dtype);
      for (let i = 0; i < y.length; i++) {
        const c = y[i]!;
        if (!Number.isInteger(c) || c < 0 || c >= outputs) {
          throw new DataError(`${what} row ${i}: class ${c} is not an integer in [0, ${outputs - 1}] (the network has ${outputs} outputs)`);
        }
        m.data[i * outputs + c] = 1;
      }
    }
  } else {
    m = toMatrix(y as MatrixLike, dtype, what);
  }
  if (m.rows !== samples) throw new DataError(`x has ${samples} samples but ${what} has ${m.rows}; they must match`);
  if (m.cols !== outputs) {
    throw new ShapeError(`${what} has shape ${m.rows}×${m.cols} but the last layer has ${outputs} outputs (expected ${m.rows}×${outputs})`);
  }
  assertFinite(m, what);
  return m;
}

function isVector(y: TargetLike): y is ArrayLike<number> {
  if (y instanceof Matrix) return false;
  if (Array.isArray(y)) return y.length === 0 || typeof y[0] === 'number';
  return ArrayBuffer.isView(y);
}

/** The identity order 0..n-1 (contiguous batches). */
export function range(n: number): Uint32Array {
  const r = new Uint32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}
