import type { Kernels } from '../kernels/types.js';
import { allocate, Matrix, type DType, type FloatArray } from '../tensor/matrix.js';

/** Batches up to this size are gathered one sample per row (Xᵀ) on kernels that can transpose. */
const SMALL_BATCH = 16;
/** Largest data set (bytes, X and Y) that `stage` copies into the kernels' memory. */
const STAGE_LIMIT = 512 * 1024 * 1024;

/**
 * The batch workspace of a network: the current batch X (inputs × n, one column per sample, as in
 * Z = W·X + B) with its targets Y (outputs × n), gathered from a data set, and the staged copies
 * of the training set.
 *
 * Layouts. Kernels that can transpose (the wasm ones) take a small batch (n ≤ SMALL_BATCH) as Xᵀ,
 * one row per sample, copied as the samples are stored: the first layer's z = W·X reads it as the
 * transposed operand and its ∂C/∂W = δ·Xᵀ, whose depth is only n, reads it in place. X itself is
 * then filled only when asked for (`x`). Large batches are gathered into X.
 *
 * Staging. On kernels whose memory is shared with worker threads, `stage` copies a data set into
 * that memory, so that every thread gathers its own samples of each batch (copying from the data
 * set beats moving a batch gathered by one core into another's cache). The areas are reused by
 * later data sets and grow only for a larger one: the memory's allocator never frees.
 */
export class Batch {
  /** Samples in the loaded batch. */
  n = 0;
  private X: FloatArray;
  private Y: FloatArray;
  private XT: FloatArray | null;
  /** Whether the loaded batch is held in XT alone (X not filled). */
  private transposedOnly = false;
  private capacity = 0;
  private stagedX: Float32Array | null = null;
  private stagedY: Float32Array | null = null;

  constructor(
    private readonly kernels: Kernels,
    private readonly dtype: DType,
    readonly inputs: number,
    readonly outputs: number,
  ) {
    this.X = this.alloc(0);
    this.Y = this.alloc(0);
    this.XT = dtype === 'float32' && kernels.transpose && kernels.owns ? this.alloc(inputs * SMALL_BATCH) : null;
  }

  /**
   * A data set (samples × inputs, samples × outputs) as batches are gathered from it fastest: on
   * kernels whose memory is shared with worker threads, copies in that memory (made on every call,
   * as the caller's data may have changed since); otherwise X and Y themselves.
   */
  stage(X: Matrix, Y: Matrix): [Matrix, Matrix] {
    if (this.dtype !== 'float32' || !this.kernels.shared || !this.kernels.owns || X.data.byteLength + Y.data.byteLength > STAGE_LIMIT) return [X, Y];
    const x = this.copyIn(X.data, this.stagedX);
    if (!x) return [X, Y];
    this.stagedX = x.area;
    const y = this.copyIn(Y.data, this.stagedY);
    if (!y) return [X, Y];
    this.stagedY = y.area;
    return [new Matrix(X.rows, X.cols, x.copy), new Matrix(Y.rows, Y.cols, y.copy)];
  }

  /** Gathers samples order[start..start+n) of X (and Y, unless null) into the batch. */
  load(X: Matrix, Y: Matrix | null, order: ArrayLike<number>, start: number, n: number): void {
    this.reserve(n);
    this.n = n;
    this.transposedOnly = this.XT !== null && n <= SMALL_BATCH;
    if (this.transposedOnly) this.kernels.gatherRows(X.data, X.cols, order, start, n, this.XT!);
    else this.kernels.gatherColumns(X.data, X.cols, order, start, n, this.X);
    if (Y) this.kernels.gatherColumns(Y.data, Y.cols, order, start, n, this.Y);
  }

  /** Xᵀ (n × inputs) when the batch is held in that layout only, else null: then the input is `x()`. */
  get xT(): FloatArray | null {
    return this.transposedOnly ? this.XT : null;
  }

  /** X (inputs × n), transposed from Xᵀ first when the batch was gathered that way. */
  x(): FloatArray {
    if (this.transposedOnly) {
      this.kernels.transpose!(this.XT!, this.n, this.inputs, this.X);
      this.transposedOnly = false;
    }
    return this.X.subarray(0, this.inputs * this.n);
  }

  /** Y (outputs × n). */
  get y(): FloatArray {
    return this.Y.subarray(0, this.outputs * this.n);
  }

  /** Number of samples whose prediction a (outputs × n) matches the target: arg-max, or the side of 0.5 for one output. */
  correct(a: FloatArray): number {
    const { n, outputs, Y: y } = this;
    let count = 0;
    for (let j = 0; j < n; j++) {
      if (outputs === 1) {
        if (a[j]! >= 0.5 === y[j]! >= 0.5) count++;
        continue;
      }
      let pa = 0;
      let py = 0;
      for (let i = 1; i < outputs; i++) {
        if (a[i * n + j]! > a[pa * n + j]!) pa = i;
        if (y[i * n + j]! > y[py * n + j]!) py = i;
      }
      if (pa === py) count++;
    }
    return count;
  }

  /** data copied into `area` (or a larger new one) in the kernels' memory; null when the memory has no room. */
  private copyIn(data: FloatArray, area: Float32Array | null): { area: Float32Array; copy: Float32Array } | null {
    if (!area || area.length < data.length) {
      area = this.kernels.alloc(data.length);
      if (!this.kernels.owns!(area)) return null;
    }
    const copy = area.subarray(0, data.length);
    copy.set(data);
    return { area, copy };
  }

  private reserve(n: number): void {
    if (n <= this.capacity) return;
    this.X = this.alloc(this.inputs * n);
    this.Y = this.alloc(this.outputs * n);
    this.capacity = n;
  }

  private alloc(length: number): FloatArray {
    return this.dtype === 'float64' ? allocate('float64', length) : this.kernels.alloc(length);
  }
}
