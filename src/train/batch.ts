import { OptionError } from '../errors.js';
import { jsKernels } from '../kernels/js.js';
import type { Kernels, SparseColumns } from '../kernels/types.js';
import { allocate, Matrix, type DType, type FloatArray } from '../tensor/matrix.js';

/** Batches up to this size are gathered one sample per row (Xᵀ) on kernels that can transpose. */
const SMALL_BATCH = 16;
/**
 * A forward batch whose samples are still to be copied in (predict, evaluate on kernels with
 * forwardRows, which copy them as the threads compute) is taken by its non-zeros ('auto') or not
 * by the density of its first samples, about this many values of them (at least SMALL_BATCH
 * samples), so that only these are copied before the threads start, and a mostly-zero batch
 * (decided again on all its samples) is not counted twice over much.
 */
export const DECIDE_VALUES = 1 << 16;
/** Largest data set (bytes, X and Y) that `stage` copies into the kernels' memory. */
const STAGE_LIMIT = 512 * 1024 * 1024;
/**
 * Training sets with at most this fraction of non-zero inputs are staged by their non-zeros, and
 * the first layer's products skip the zeros (Kernels.sparseForward, sparseWeightGradient).
 * Measured with bench/sparse.ts (AMD EPYC, wasm, 1 and 2 threads; forward and ∂C/∂W together):
 * the sparse products break even with the dense GEMM at 17–20% non-zeros for 784-256 and
 * 10000-128 layers at batch 128, and at 8% (2 threads) to 35% (1 thread) for 784-30 at batch 10;
 * at 10% they are 1.7–1.9× faster on the large layers, at 1% 10–14×. Fashion-MNIST (50%) and
 * MNIST (19%) stay dense. A forward pass alone (predict, evaluate: Batch.loadForward) decides per
 * batch by the same fraction: on the 10000-128 layer at batch 1000, copying the batch in, finding
 * its non-zeros (Kernels.nonZeros) and the sparse product break even with the copy and the dense
 * product at 10% non-zeros on 2 threads and 13% on one, and are 4–5× faster at 1%.
 */
export const SPARSE_DENSITY = 0.1;

/** A training set (samples × inputs) by its non-zeros, one sample per column of SparseColumns. */
interface NonZeros extends SparseColumns {
  /** the matrix these are the non-zeros of (batches gathered from it come from here) */
  readonly source: Matrix;
  /** the most non-zeros of one sample */
  readonly widest: number;
}

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
 *
 * Exact zeros. A training set whose inputs are mostly exact zeros (at most SPARSE_DENSITY of them
 * non-zero: bag-of-words, one-hot tables) is staged by its non-zeros instead, and each batch is
 * gathered as SparseColumns (`sparseX`), which the first layer's products take in place of X.
 */
export class Batch {
  /** Samples in the loaded batch. */
  n = 0;
  private X: FloatArray;
  private Y: FloatArray;
  private XT: FloatArray | null;
  /** Xᵀ of the loaded batch when it is held in that layout alone (X not filled): XT, or rows of the data set itself. */
  private rows: FloatArray | null = null;
  private capacity = 0;
  /** The order 0, 1, 2, ... (grown on demand) for gathering consecutive samples on kernels that cannot transpose. */
  private identity: Uint32Array = new Uint32Array(0);
  private stagedX: Float32Array | null = null;
  private stagedY: Float32Array | null = null;
  /** The training set by its non-zeros, when staged so, and the areas that hold them (reused as stagedX is). */
  private nonZeros: NonZeros | null = null;
  private stagedStart: Int32Array | null = null;
  private stagedIndex: Int32Array | null = null;
  private stagedValue: FloatArray | null = null;
  /** The loaded batch by its non-zeros (when loaded from nonZeros), and its storage. */
  private sparse: SparseColumns | null = null;
  private sparseStart: Int32Array | null = null;
  private sparseIndex: Int32Array | null = null;
  private sparseValue: FloatArray | null = null;
  /** Those areas as a SparseColumns for forward batches (made again only when an area grows). */
  private rowsView: SparseColumns | null = null;
  /** The loaded batch's samples (n × inputs) while they are still to be copied into `rows` (from `staged` on). */
  private pending: FloatArray | null = null;
  private staged = 0;

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
   * as the caller's data may have changed since), except of what already lives there (a set loaded
   * into the kernels' memory, see MnistFamilyOptions.alloc: read in place, never copied); otherwise
   * X and Y themselves. Mostly-zero inputs are staged by their non-zeros instead: `sparseInput`
   * 'auto' (default) when at most SPARSE_DENSITY of X is non-zero, true always, false never.
   */
  stage(X: Matrix, Y: Matrix, sparseInput: boolean | 'auto' = 'auto'): [Matrix, Matrix] {
    this.nonZeros = this.stageNonZeros(X, sparseInput);
    if (this.nonZeros) return [X, Y];
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
    this.sparse = this.nonZeros?.source === X ? this.gatherNonZeros(order, start, n) : null;
    this.rows = null;
    this.pending = null;
    if (this.sparse) {
      // (X is filled only when asked for)
    } else if (this.XT !== null && n <= SMALL_BATCH) {
      this.kernels.gatherRows(X.data, X.cols, order, start, n, this.XT);
      this.rows = this.XT;
    } else this.kernels.gatherColumns(X.data, X.cols, order, start, n, this.X);
    if (Y) this.kernels.gatherColumns(Y.data, Y.cols, order, start, n, this.Y);
  }

  /**
   * The batch for a forward pass alone (predict, evaluate): samples start..start+n of X (and Y,
   * unless null), or samples order[start..start+n) when an order is given. On kernels that read Xᵀ
   * (the wasm ones: the first product packs Xᵀ as fast as X), the samples stay one per row as they
   * are stored: read in place when X lives in the kernels' memory, else copied in with one copy (or
   * one per sample, in an order), or, on kernels with forwardRows, left to the forward pass to copy
   * as it computes (takeRows); nothing is transposed. Other kernels gather X as `load` does.
   * Mostly-zero batches are then taken by their non-zeros (`sparseX`), decided per batch: 'auto'
   * (default) when at most SPARSE_DENSITY of the batch is non-zero (of its first DECIDE_VALUES
   * values first, when the forward pass is to copy it), true always, false never. (On kernels
   * without Xᵀ, only batches of consecutive samples.)
   */
  loadForward(X: Matrix, Y: Matrix | null, order: ArrayLike<number> | null, start: number, n: number, sparseInput: boolean | 'auto' = 'auto'): void {
    const { kernels, inputs } = this;
    const sparse = this.sparseWanted(sparseInput, !!(kernels.sparseForward && kernels.nonZeros));
    if (this.XT === null) {
      this.load(X, Y, order ?? this.range(start + n), start, n);
      if (sparse && order === null && !this.sparse) this.sparse = this.rowNonZeros(X.data.subarray(start * inputs, (start + n) * inputs), n, sparseInput);
      return;
    }
    this.reserve(n);
    this.n = n;
    this.sparse = null;
    this.pending = null;
    if (this.XT.length < n * inputs) this.XT = this.alloc(Math.max(n, SMALL_BATCH) * inputs);
    if (order !== null) {
      this.rows = this.XT.subarray(0, n * inputs);
      kernels.gatherRows(X.data, inputs, order, start, n, this.rows);
    } else {
      const rows = X.data.subarray(start * inputs, (start + n) * inputs);
      this.rows = kernels.owns!(rows) ? rows : this.XT.subarray(0, n * inputs);
      if (this.rows === rows) {
        // read in place
      } else if (kernels.forwardRows && n > SMALL_BATCH) {
        // copied in by the forward pass (takeRows), unless the batch is taken by its non-zeros
        this.pending = rows;
        this.staged = 0;
      } else this.rows.set(rows);
    }
    if (sparse) {
      const decide = this.pending && sparseInput === 'auto' ? Math.min(n, Math.max(SMALL_BATCH, Math.ceil(DECIDE_VALUES / inputs))) : n;
      this.copyPending(decide);
      if (decide === n || this.rowNonZeros(this.rows.subarray(0, decide * inputs), decide, sparseInput)) {
        this.copyPending(n);
        this.sparse = this.rowNonZeros(this.rows, n, sparseInput);
        if (this.sparse) this.rows = null;
      }
    }
    if (!Y) return;
    if (order !== null) kernels.gatherColumns(Y.data, Y.cols, order, start, n, this.Y);
    else kernels.transpose!(Y.data.subarray(start * Y.cols, (start + n) * Y.cols), n, Y.cols, this.Y);
  }

  /**
   * a (outputs × n, one column per sample: a forward pass's output for the loaded batch) as n rows
   * of outputs, into `out` from `offset`. Kernels that transpose in their memory do it there, in
   * the targets' area (a forward pass alone leaves it unused), and it is copied out in one piece.
   */
  writeRows(a: FloatArray, out: FloatArray, offset: number): void {
    const { n, outputs, kernels } = this;
    const count = outputs * n;
    if (n === 1 || outputs === 1) return out.set(a.subarray(0, count), offset);
    if (kernels.transpose && kernels.owns?.(this.Y)) {
      const rows = this.Y.subarray(0, count);
      kernels.transpose(a.subarray(0, count), outputs, n, rows);
      out.set(rows, offset);
    } else jsKernels.transpose!(a.subarray(0, count), outputs, n, out.subarray(offset, offset + count));
  }

  /** Xᵀ (n × inputs) when the batch is held in that layout only, else null: then the input is `x()`. */
  get xT(): FloatArray | null {
    this.copyPending(this.n);
    return this.rows;
  }

  /**
   * The loaded batch's samples as the caller gave them (n × inputs), when they are still to be
   * copied into xT's area (loadForward on kernels with forwardRows), with how many of them are;
   * else null. Taking them hands that copy to the caller: Model.forwardRows(rows, n, xT, staged).
   */
  takeRows(): { rows: FloatArray; staged: number } | null {
    const rows = this.pending;
    if (!rows) return null;
    this.pending = null;
    return { rows, staged: this.staged };
  }

  /** Copies the pending samples up to sample `to` into `rows`. */
  private copyPending(to: number): void {
    if (!this.pending || to <= this.staged) return;
    const inputs = this.inputs;
    this.rows!.set(this.pending.subarray(this.staged * inputs, to * inputs), this.staged * inputs);
    this.staged = to;
    if (to === this.n) this.pending = null;
  }

  /** The batch by its non-zeros when the training set was staged so, else null: then the input is `xT` or `x()`. */
  get sparseX(): SparseColumns | null {
    return this.sparse;
  }

  /** X (inputs × n), transposed from Xᵀ first when the batch was gathered that way, or filled from its non-zeros. */
  x(): FloatArray {
    this.copyPending(this.n);
    if (this.sparse) {
      const { start, index, value } = this.sparse;
      this.X.fill(0, 0, this.inputs * this.n);
      for (let s = 0; s < this.n; s++) for (let p = start[s]!; p < start[s + 1]!; p++) this.X[index[p]! * this.n + s] = value[p]!;
    }
    if (this.rows !== null) {
      this.kernels.transpose!(this.rows, this.n, this.inputs, this.X);
      this.rows = null;
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

  /** Whether `sparseInput` lets data be taken by its non-zeros on kernels that have (`can`) what that takes; true when it must and they cannot throws. */
  private sparseWanted(sparseInput: boolean | 'auto', can: boolean): boolean {
    const k = this.kernels;
    if (sparseInput !== true && sparseInput !== false && sparseInput !== 'auto') throw new OptionError(`sparseInput must be true, false or 'auto', got ${JSON.stringify(sparseInput)}`);
    if (sparseInput === false) return false;
    if (!can) {
      if (sparseInput === true) throw new OptionError(`sparseInput: the '${k.name}' kernels have no sparse products`);
      return false;
    }
    return true;
  }

  /** The batch's rows (n × inputs) by their non-zeros, or null when more than SPARSE_DENSITY of them are non-zero ('auto'). */
  private rowNonZeros(rows: FloatArray, n: number, sparseInput: boolean | 'auto'): SparseColumns | null {
    const limit = sparseInput === true ? n * this.inputs : Math.floor(SPARSE_DENSITY * n * this.inputs);
    // (too few inputs for a sparse batch to be more than all zeros: not worth a look)
    if (limit === 0 && sparseInput === 'auto') return null;
    const start = (this.sparseStart = this.intArea(this.sparseStart, n + 1));
    const index = (this.sparseIndex = this.intArea(this.sparseIndex, limit));
    const value = (this.sparseValue = this.floatArea(this.sparseValue, limit));
    const v = this.rowsView;
    const out = v && v.start === start && v.index === index && v.value === value ? v : (this.rowsView = { start, index, value });
    return this.kernels.nonZeros!(rows, n, this.inputs, limit, out) < 0 ? null : out;
  }

  /** X by its non-zeros when it is to be staged so (see stage), else null. */
  private stageNonZeros(X: Matrix, sparseInput: boolean | 'auto'): NonZeros | null {
    if (!this.sparseWanted(sparseInput, !!(this.kernels.sparseForward && this.kernels.sparseWeightGradient))) return null;
    const x = X.data;
    // counted up to the threshold only: dense data is told apart after a fraction of a pass
    const limit = sparseInput === true ? Infinity : SPARSE_DENSITY * x.length;
    let nnz = 0;
    for (let i = 0; i < x.length && nnz <= limit; i++) if (x[i] !== 0) nnz++;
    if (nnz > limit) return null;
    const start = (this.stagedStart = this.intArea(this.stagedStart, X.rows + 1));
    const index = (this.stagedIndex = this.intArea(this.stagedIndex, nnz));
    const value = (this.stagedValue = this.floatArea(this.stagedValue, nnz));
    let p = 0;
    let widest = 0;
    for (let r = 0; r < X.rows; r++) {
      start[r] = p;
      const row = r * X.cols;
      for (let j = 0; j < X.cols; j++) {
        const v = x[row + j]!;
        if (v === 0) continue;
        index[p] = j;
        value[p++] = v;
      }
      widest = Math.max(widest, p - start[r]!);
    }
    start[X.rows] = p;
    return { source: X, start, index, value, widest };
  }

  /** Samples order[start..start+n) of the staged non-zeros, as n columns. */
  private gatherNonZeros(order: ArrayLike<number>, first: number, n: number): SparseColumns {
    const set = this.nonZeros!;
    const start = (this.sparseStart = this.intArea(this.sparseStart, n + 1));
    const index = (this.sparseIndex = this.intArea(this.sparseIndex, n * set.widest));
    const value = (this.sparseValue = this.floatArea(this.sparseValue, n * set.widest));
    const rows = set.start.length - 1;
    let p = 0;
    for (let s = 0; s < n; s++) {
      const r = order[first + s]!;
      if (r >>> 0 !== r || r >= rows) throw new RangeError(`batch: sample ${r} is outside the ${rows} samples of the training set`);
      start[s] = p;
      for (let q = set.start[r]!; q < set.start[r + 1]!; q++, p++) {
        index[p] = set.index[q]!;
        value[p] = set.value[q]!;
      }
    }
    start[n] = p;
    return { start, index, value };
  }

  /** `area` when it holds `length` values, else a new one in the kernels' memory (Int32 over the same bytes). */
  private intArea(area: Int32Array | null | undefined, length: number): Int32Array {
    if (area && area.length >= length) return area;
    const f = this.kernels.alloc(Math.max(length, 1));
    return new Int32Array(f.buffer, f.byteOffset, f.length);
  }

  private floatArea(area: FloatArray | null | undefined, length: number): FloatArray {
    return area && area.length >= length ? area : this.alloc(Math.max(length, 1));
  }

  /** data copied into `area` (or a larger new one) in the kernels' memory, or data itself when it lives there; null when the memory has no room. */
  private copyIn(data: FloatArray, area: Float32Array | null): { area: Float32Array | null; copy: Float32Array } | null {
    if (this.kernels.owns!(data)) return { area, copy: data as Float32Array };
    if (!area || area.length < data.length) {
      area = this.kernels.alloc(data.length);
      if (!this.kernels.owns!(area)) return null;
    }
    const copy = area.subarray(0, data.length);
    copy.set(data);
    return { area, copy };
  }

  /** The order 0..length-1 (a prefix of one kept for later calls). */
  private range(length: number): Uint32Array {
    if (this.identity.length < length) {
      this.identity = new Uint32Array(Math.max(length, 2 * this.identity.length));
      for (let i = 0; i < this.identity.length; i++) this.identity[i] = i;
    }
    return this.identity;
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
