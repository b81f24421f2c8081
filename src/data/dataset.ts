import { DataError, ShapeError } from '../errors.js';
import { argmaxRows, Matrix } from '../tensor/matrix.js';

/** What a data set's targets are: classes (one-hot y) or numbers to regress. */
export const TASKS = ['classification', 'regression'] as const;
/** One of {@link TASKS}. */
export type Task = (typeof TASKS)[number];

/** A labelled data set: one row of x and one row of y per sample. */
export interface Dataset {
  /** Shown in messages, e.g. 'moons' or a CSV file's name. */
  name: string;
  /** samples × features, float32 */
  x: Matrix;
  /** samples × outputs: one-hot for classification, target values for regression */
  y: Matrix;
  /** classification or regression */
  task: Task;
  /** classification: the name of class i */
  classNames?: string[];
  /** the name of feature j (a CSV file's header) */
  featureNames?: string[];
  /** Image sets: each row of x is one picture of height × width pixels, row by row. */
  image?: {
    /** pixels per column */
    height: number;
    /** pixels per row */
    width: number;
  };
}

/** A training set with its held-out test set, as the standard benchmarks come. */
export interface TrainTest {
  /** The training set. */
  train: Dataset;
  /** The held-out test set. */
  test: Dataset;
}

/** Checks that the parts of a data set agree, so that every loader hands out consistent sets. */
export function checkDataset(ds: Dataset): Dataset {
  if (ds.x.rows !== ds.y.rows) {
    throw new ShapeError(`${ds.name}: x has ${ds.x.rows} samples but y has ${ds.y.rows}; they must match`);
  }
  if (ds.classNames && ds.classNames.length !== ds.y.cols) {
    throw new ShapeError(`${ds.name}: ${ds.classNames.length} class names for ${ds.y.cols} outputs`);
  }
  if (ds.image && ds.image.height * ds.image.width !== ds.x.cols) {
    throw new ShapeError(`${ds.name}: images of ${ds.image.height}×${ds.image.width} pixels, but ${ds.x.cols} features`);
  }
  if (ds.featureNames && ds.featureNames.length !== ds.x.cols) {
    throw new ShapeError(`${ds.name}: ${ds.featureNames.length} feature names for ${ds.x.cols} features`);
  }
  return ds;
}

/**
 * The class index of every sample (the position of the largest entry of its row of y).
 *
 * @example
 * ```ts
 * import { labelsOf, toyDataset } from 'backprop';
 *
 * console.log(labelsOf(toyDataset('blobs', { samples: 6, classes: 3 })));   // Uint32Array(6) [ 0, 1, 2, 0, 1, 2 ]
 * ```
 */
export function labelsOf(ds: Dataset): Uint32Array {
  if (ds.task !== 'classification') throw new DataError(`${ds.name} is a regression data set; it has no class labels`);
  return argmaxRows(ds.y);
}

/**
 * A new data set holding copies of the given samples, in the given order (repeats allowed).
 *
 * @example
 * ```ts
 * import { subset, toyDataset } from 'backprop';
 *
 * const first10 = subset(toyDataset('moons'), Array.from({ length: 10 }, (_, i) => i), 'moons-10');
 * console.log(first10.name, first10.x.rows);   // moons-10 10
 * ```
 */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const n = ds.x.rows;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new DataError(`${ds.name}: sample index ${i} is outside 0..${n - 1}`);
    }
  }
  return { ...ds, name, x: gatherRows(ds.x, indices), y: gatherRows(ds.y, indices) };
}

function gatherRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const c = m.cols;
  const out = new Float32Array(indices.length * c);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    out.set(m.data.subarray(i * c, (i + 1) * c), k * c);
  }
  return new Matrix(indices.length, c, out);
}
