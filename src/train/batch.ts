import { DataError, ShapeError } from '../errors.js';
import { assertFinite, Matrix, toMatrix, type DType, type FloatArray, type MatrixLike } from '../tensor/matrix.js';

/** Targets: a matrix of samples × outputs, or one number per sample (class indices when there are several outputs). */
export type TargetLike = MatrixLike | ArrayLike<number>;

/** Inputs as samples × features, checked against the network's input size and for NaN/Infinity. */
export function inputMatrix(x: MatrixLike, inputs: number, dtype: DType, what = 'x'): Matrix {
  const m = toMatrix(x, dtype, what);
  if (m.rows === 0) throw new DataError(`${what} is empty: at least one sample is needed`);
  if (m.cols !== inputs) {
    throw new ShapeError(`${what} has shape ${m.rows}×${m.cols} (${m.cols} features per sample) but layer 1 expects ${inputs} inputs (shape ${m.rows}×${inputs})`);
  }
  assertFinite(m, what);
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

/**
 * Copies samples order[start..start+n) of a samples × cols matrix into dst as cols × n, one column
 * per sample: the layout of X in Z = W·X + B.
 */
export function gatherColumns(src: FloatArray, cols: number, order: ArrayLike<number>, start: number, n: number, dst: FloatArray): void {
  // A transpose, sixteen samples at a time, so that each group of writes fills a 64-byte line of a
  // row of dst instead of striding through all of dst once per sample (the rest one by one).
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const r0 = order[start + j]! * cols;
    const r1 = order[start + j + 1]! * cols;
    const r2 = order[start + j + 2]! * cols;
    const r3 = order[start + j + 3]! * cols;
    const r4 = order[start + j + 4]! * cols;
    const r5 = order[start + j + 5]! * cols;
    const r6 = order[start + j + 6]! * cols;
    const r7 = order[start + j + 7]! * cols;
    const r8 = order[start + j + 8]! * cols;
    const r9 = order[start + j + 9]! * cols;
    const r10 = order[start + j + 10]! * cols;
    const r11 = order[start + j + 11]! * cols;
    const r12 = order[start + j + 12]! * cols;
    const r13 = order[start + j + 13]! * cols;
    const r14 = order[start + j + 14]! * cols;
    const r15 = order[start + j + 15]! * cols;
    for (let f = 0, o = j; f < cols; f++, o += n) {
      dst[o] = src[r0 + f]!;
      dst[o + 1] = src[r1 + f]!;
      dst[o + 2] = src[r2 + f]!;
      dst[o + 3] = src[r3 + f]!;
      dst[o + 4] = src[r4 + f]!;
      dst[o + 5] = src[r5 + f]!;
      dst[o + 6] = src[r6 + f]!;
      dst[o + 7] = src[r7 + f]!;
      dst[o + 8] = src[r8 + f]!;
      dst[o + 9] = src[r9 + f]!;
      dst[o + 10] = src[r10 + f]!;
      dst[o + 11] = src[r11 + f]!;
      dst[o + 12] = src[r12 + f]!;
      dst[o + 13] = src[r13 + f]!;
      dst[o + 14] = src[r14 + f]!;
      dst[o + 15] = src[r15 + f]!;
    }
  }
  for (; j < n; j++) {
    const row = order[start + j]! * cols;
    for (let f = 0; f < cols; f++) dst[f * n + j] = src[row + f]!;
  }
}

/** The identity order 0..n-1 (contiguous batches). */
export function range(n: number): Uint32Array {
  const r = new Uint32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}
