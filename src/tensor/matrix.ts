import { DataError, ShapeError } from '../errors.js';

/** The precision of a network's numbers: `float32` (the default, the fast kernels) or `float64` (the gradient checks). */
export type DType = 'float32' | 'float64';
/** The storage of a {@link Matrix}: one contiguous typed array of its dtype. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A dense row-major matrix over one contiguous typed array: entry (i, j) is `data[i·cols + j]`.
 * Batches are samples × features (one row per sample), as `predict` returns them.
 *
 * @example
 * ```ts
 * import { Matrix } from 'backprop';
 *
 * const m = Matrix.fromArray([[1, 2, 3], [4, 5, 6]]);
 * console.log(m.shape, m.get(1, 0));          // [ 2, 3 ] 4
 * console.log(m.transpose().toArray());       // [ [ 1, 4 ], [ 2, 5 ], [ 3, 6 ] ]
 * ```
 */
export class Matrix<T extends FloatArray = FloatArray> {
  /** The number of rows (samples, in a batch). */
  readonly rows: number;
  /** The number of columns (features, or a layer's units). */
  readonly cols: number;
  /** The rows × cols entries, row after row. */
  readonly data: T;

  constructor(rows: number, cols: number, data: T) {
    if (data.length !== rows * cols) {
      throw new ShapeError(`matrix data has ${data.length} values, shape ${rows}×${cols} needs ${rows * cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  /** A rows × cols matrix of zeros in the given precision. */
  static zeros(rows: number, cols: number, dtype: DType = 'float32'): Matrix {
    return new Matrix(rows, cols, allocate(dtype, rows * cols));
  }

  /** From nested arrays, one inner array per row; rejects ragged rows. */
  static fromArray(rows: readonly (readonly number[])[], dtype: DType = 'float32'): Matrix {
    const r = rows.length;
    const c = r === 0 ? 0 : rows[0]!.length;
    const data = allocate(dtype, r * c);
    for (let i = 0; i < r; i++) {
      const row = rows[i]!;
      if (!row || row.length !== c) {
        throw new DataError(`row ${i} has ${row ? row.length : 0} values, row 0 has ${c}`);
      }
      for (let j = 0; j < c; j++) data[i * c + j] = row[j]!;
    }
    return new Matrix(r, c, data);
  }

  /** `float64` over a Float64Array, else `float32`. */
  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  /** [rows, cols]. */
  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** Entry (i, j): row i, column j (0-based). */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j]!;
  }

  /** Row i as a view on the same storage (no copy: writing to it writes the matrix). */
  row(i: number): T {
    return this.data.subarray(i * this.cols, (i + 1) * this.cols) as T;
  }

  /** The rows as nested plain arrays (a copy). */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.row(i)));
    return out;
  }

  /** `JSON.stringify` writes the nested rows, as {@link Matrix.toArray} gives them. */
  toJSON(): number[][] {
    return this.toArray();
  }

  /** Mᵀ: a new cols × rows matrix of the same dtype. */
  transpose(): Matrix<T> {
    const out = new (this.data.constructor as new (n: number) => T)(this.data.length);
    for (let i = 0; i < this.rows; i++) {
      for (let j = 0; j < this.cols; j++) out[j * this.rows + i] = this.data[i * this.cols + j]!;
    }
    return new Matrix(this.cols, this.rows, out);
  }

  /** A copy with its own storage. */
  clone(): Matrix<T> {
    return new Matrix(this.rows, this.cols, this.data.slice() as T);
  }
}

/** The column of the largest entry of each row (the first one on ties): a class index per sample. */
export function argmaxRows(m: Matrix): Uint32Array {
  const { rows, cols, data } = m;
  const best = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    let b = 0;
    for (let j = 1; j < cols; j++) if (data[i * cols + j]! > data[i * cols + b]!) b = j;
    best[i] = b;
  }
  return best;
}

export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

/** What the API accepts as a batch: rows are samples. A flat typed array needs the number of columns. */
export type MatrixLike =
  | Matrix
  | readonly (readonly number[])[]
  | {
      /** rows × cols values, row after row. */
      data: ArrayLike<number>;
      /** The number of samples. */
      rows: number;
      /** The number of features. */
      cols: number;
    };

/** Turns any accepted input into a Matrix of samples × features in the given dtype (copying only if needed). */
export function toMatrix(x: MatrixLike, dtype: DType, what = 'input'): Matrix {
  if (x instanceof Matrix) {
    if (x.dtype === dtype) return x;
    const data = allocate(dtype, x.data.length);
    data.set(x.data);
    return new Matrix(x.rows, x.cols, data);
  }
  if (Array.isArray(x)) {
    try {
      return Matrix.fromArray(x as number[][], dtype);
    } catch (e) {
      if (e instanceof DataError) throw new DataError(`${what}: ${e.message}`);
      throw e;
    }
  }
  const m = x as { data: ArrayLike<number>; rows: number; cols: number };
  if (m && typeof m.rows === 'number' && typeof m.cols === 'number' && m.data) {
    const data = allocate(dtype, m.rows * m.cols);
    if (m.data.length !== data.length) {
      throw new ShapeError(`${what} has ${m.data.length} values, shape ${m.rows}×${m.cols} needs ${data.length}`);
    }
    data.set(m.data);
    return new Matrix(m.rows, m.cols, data);
  }
  throw new DataError(`${what} must be number[][], a Matrix or {data, rows, cols}`);
}

/** Throws a DataError naming the first row (sample) that holds NaN or ±Infinity. */
export function assertFinite(m: Matrix, what: string): void {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      const row = Math.floor(i / m.cols);
      const col = i % m.cols;
      throw new DataError(`${what} row ${row}, column ${col} is ${d[i]}; every value must be a finite number`);
    }
  }
}
