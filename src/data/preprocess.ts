import { DataError, OptionError, ShapeError, oneOf } from '../errors.js';
import { Random } from '../random.js';
import { assertFinite, Matrix } from '../tensor/matrix.js';
import { range } from '../train/data.js';
import { subset, type Dataset } from './dataset.js';

/** The input transforms' kinds: 'none', 'scale' to [0, 1], 'standardize' to mean 0 and deviation 1. */
export const PREPROCESSINGS = ['none', 'scale', 'standardize'] as const;
/** One of {@link PREPROCESSINGS}. */
export type PreprocessingKind = (typeof PREPROCESSINGS)[number];

/**
 * A per-feature input transformation as plain JSON data, so that a saved model carries the exact
 * statistics it was trained with. 'scale' maps [min, max] to [0, 1]; 'standardize' maps to mean 0,
 * standard deviation 1.
 */
export type Preprocessing =
  | {
      /** x unchanged. */
      kind: 'none';
    }
  | {
      /** x' = (x − min)/(max − min) per feature. */
      kind: 'scale';
      /** Each feature's minimum over the training set. */
      min: number[];
      /** Each feature's maximum over the training set. */
      max: number[];
    }
  | {
      /** x' = (x − mean)/std per feature. */
      kind: 'standardize';
      /** Each feature's mean over the training set. */
      mean: number[];
      /** Each feature's population standard deviation over the training set. */
      std: number[];
    };

/**
 * Computes the statistics of a preprocessing from x alone: pass the training set, never the test
 * set, or its statistics leak into training.
 *
 * @example
 * ```ts
 * import { Matrix, applyPreprocessing, fitPreprocessing } from 'backprop';
 *
 * const train = Matrix.fromArray([[0, 10], [2, 30]]);
 * const p = fitPreprocessing('standardize', train);   // { kind: 'standardize', mean: [1, 20], std: [1, 10] }
 * console.log(applyPreprocessing(p, Matrix.fromArray([[1, 40]])).toArray());   // [ [ 0, 2 ] ]
 * ```
 */
export function fitPreprocessing(kind: PreprocessingKind, x: Matrix): Preprocessing {
  oneOf('preprocessing', kind, PREPROCESSINGS);
  if (kind === 'none') return { kind };
  if (x.rows === 0) throw new DataError('cannot fit a preprocessing to an empty data set');
  assertFinite(x, 'x');
  return kind === 'scale' ? { kind, ...columnRange(x) } : { kind, ...columnMoments(x) };
}

/**
 * Checks a preprocessing that comes from outside (a model file): a known kind and, per feature,
 * statistics that are finite float32 numbers, as many as `features`. Returns it typed.
 */
export function checkPreprocessing(p: unknown, features: number): Preprocessing {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new DataError('a preprocessing must be an object {kind, ...}');
  const o = p as Record<string, unknown>;
  const kind = oneOf('preprocessing', o['kind'], PREPROCESSINGS);
  const fields = kind === 'scale' ? ['min', 'max'] : kind === 'standardize' ? ['mean', 'std'] : [];
  for (const f of fields) {
    const v = o[f];
    if (!Array.isArray(v) || v.length !== features) {
      throw new ShapeError(`the ${kind} preprocessing needs "${f}", an array of ${features} numbers (one per feature), got ${Array.isArray(v) ? `${v.length} entries` : JSON.stringify(v)}`);
    }
    const bad = v.findIndex((n) => typeof n !== 'number' || !Number.isFinite(Math.fround(n)));
    if (bad >= 0) throw new DataError(`the ${kind} preprocessing's "${f}"[${bad}] is ${JSON.stringify(v[bad])}; expected a finite float32 number`);
  }
  return o as unknown as Preprocessing;
}

/**
 * Returns a new float32 matrix with the preprocessing applied to every row of x. A value the
 * transform takes beyond the float32 range is a DataError naming its row and column.
 *
 * @example
 * ```ts
 * import { Matrix, applyPreprocessing, type Preprocessing } from 'backprop';
 *
 * const scale: Preprocessing = { kind: 'scale', min: [0], max: [255] };   // pixels to [0, 1]
 * console.log(applyPreprocessing(scale, Matrix.fromArray([[51], [255]])).toArray());   // [ [ 0.20000000298023224 ], [ 1 ] ]: 51/255 in float32
 * ```
 */
export function applyPreprocessing(p: Preprocessing, x: Matrix): Matrix {
  // p often comes from a model file, so it is checked rather than trusted.
  checkPreprocessing(p, x.cols);
  const { rows, cols, data } = x;
  const out = new Float32Array(data.length);
  if (p.kind === 'none') {
    out.set(data);
    return new Matrix(rows, cols, out);
  }
  const { offset, factor } = affine(p);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) out[base + j] = (data[base + j]! - offset[j]!) * factor[j]!;
  }
  const result = new Matrix(rows, cols, out);
  assertFinite(result, `the ${p.kind} preprocessing of x gives a non-finite value:`);
  return result;
}

/**
 * Rows of the identity matrix: row i has a 1 in column labels[i].
 *
 * @example
 * ```ts
 * import { oneHot } from 'backprop';
 *
 * console.log(oneHot([2, 0], 3).toArray());   // [ [ 0, 0, 1 ], [ 1, 0, 0 ] ]
 * ```
 */
export function oneHot(labels: ArrayLike<number>, classes: number): Matrix {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new DataError(`label ${c} of sample ${i} is not a class index in 0..${classes - 1}`);
    }
    out[i * classes + c] = 1;
  }
  return new Matrix(labels.length, classes, out);
}

/**
 * The samples in a seeded random order: the same seed gives the same order everywhere.
 * Shuffle sorted data before `fit`'s `validationSplit`, which holds out the last samples.
 *
 * @example
 * ```ts
 * import { shuffleDataset, toyDataset } from 'backprop';
 *
 * const shuffled = shuffleDataset(toyDataset('blobs', { samples: 90 }), 7);
 * console.log(shuffled.x.rows);   // 90
 * ```
 */
export function shuffleDataset(ds: Dataset, seed: number): Dataset {
  return subset(ds, new Random(seed).shuffle(range(ds.x.rows)));
}

/**
 * Holds out a seeded random `fraction` of the samples (rounded, at least one) for validation and
 * keeps the rest for training. With `inPlace`, ds's own rows are put in that order and both sets
 * are views of them (the same sets, without a copy of the data: for a caller that owns ds, such as
 * the CLI with its training set in the kernels' memory); ds itself is then reordered.
 *
 * @example
 * ```ts
 * import { toyDataset, trainValidationSplit } from 'backprop';
 *
 * const { train, validation } = trainValidationSplit(toyDataset('circles', { samples: 200 }), 0.25, 1);
 * console.log(train.x.rows, validation.x.rows);   // 150 50
 * ```
 */
export function trainValidationSplit(
  ds: Dataset,
  fraction: number,
  seed: number,
  /** inPlace: reorder ds's rows and return views of them instead of copies (default false). */
  options: { inPlace?: boolean } = {},
): {
  /** The samples kept for training. */
  train: Dataset;
  /** The held-out samples. */
  validation: Dataset;
} {
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) {
    throw new OptionError(`validation fraction must be a number between 0 and 1 (exclusive), got ${String(fraction)}`);
  }
  const n = ds.x.rows;
  const held = Math.round(n * fraction);
  if (held < 1 || held > n - 1) {
    throw new DataError(
      `${ds.name}: a validation fraction of ${fraction} of ${n} samples leaves ${held} for validation and ${n - held} for training; both need at least one`,
    );
  }
  const order = new Random(seed).shuffle(range(n));
  if (!options.inPlace) {
    return {
      train: subset(ds, order.subarray(0, n - held)),
      validation: subset(ds, order.subarray(n - held), `${ds.name}/validation`),
    };
  }
  permuteRows(ds.x, order);
  permuteRows(ds.y, order);
  const rows = (m: Matrix, from: number, to: number) => new Matrix(to - from, m.cols, m.data.subarray(from * m.cols, to * m.cols));
  return {
    train: { ...ds, x: rows(ds.x, 0, n - held), y: rows(ds.y, 0, n - held) },
    validation: { ...ds, name: `${ds.name}/validation`, x: rows(ds.x, n - held, n), y: rows(ds.y, n - held, n) },
  };
}

/** Row k of m becomes the old row order[k] (order a permutation), in place: each cycle of the permutation is followed with one row of scratch. */
function permuteRows(m: Matrix, order: Uint32Array): void {
  const { cols, data } = m;
  const row = (i: number) => data.subarray(i * cols, (i + 1) * cols);
  const done = new Uint8Array(order.length);
  const saved = new Float64Array(cols);
  for (let start = 0; start < order.length; start++) {
    if (done[start]) continue;
    saved.set(row(start));
    let k = start;
    for (;;) {
      done[k] = 1;
      const from = order[k]!;
      if (from === start) {
        row(k).set(saved);
        break;
      }
      data.copyWithin(k * cols, from * cols, (from + 1) * cols);
      k = from;
    }
  }
}

function columnRange(x: Matrix): { min: number[]; max: number[] } {
  const { rows, cols, data } = x;
  const min = new Float64Array(cols).fill(Infinity);
  const max = new Float64Array(cols).fill(-Infinity);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = data[base + j]!;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  return { min: Array.from(min), max: Array.from(max) };
}

/** Mean and population standard deviation per column, in two passes (one-pass sums lose precision in float). */
function columnMoments(x: Matrix): { mean: number[]; std: number[] } {
  const { rows, cols, data } = x;
  const mean = new Float64Array(cols);
  const variance = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) mean[j] += data[base + j]!;
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      const d = data[base + j]! - mean[j]!;
      variance[j] += d * d;
    }
  }
  return { mean: Array.from(mean), std: Array.from(variance, (v) => Math.sqrt(v / rows)) };
}

/**
 * The transformation as out = (x − offset)·factor per column. A constant column has range or
 * standard deviation 0; dividing by 1 instead keeps it finite (it becomes 0).
 */
function affine(p: Exclude<Preprocessing, { kind: 'none' }>): { offset: Float64Array; factor: Float64Array } {
  const [offset, spread] = p.kind === 'scale' ? [p.min, p.max.map((max, j) => max - p.min[j]!)] : [p.mean, p.std];
  return {
    offset: Float64Array.from(offset),
    factor: Float64Array.from(spread, (s) => 1 / (s === 0 ? 1 : s)),
  };
}
