import { DataError, ShapeError } from '../errors.js';
import { argmaxRows, Matrix } from '../tensor/matrix.js';

export const TASKS = ['classification', 'regression'] as const;
export type Task = (typeof TASKS)[number];

/** A labelled data set: one row of x and one row of y per sample. */
export interface Dataset {
  name: string;
  /** samples × features, float32 */
  x: Matrix;
  /** samples × outputs: one-hot for classification, target values for regression */
  y: Matrix;
  task: Task;
  /** classification: the name of class i */
  classNames?: string[];
  featureNames?: string[];
}

/** A training set with its held-out test set, as the standard benchmarks come. */
export interface TrainTest {
  train: Dataset;
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
  if (ds.featureNames && ds.featureNames.length !== ds.x.cols) {
    throw new ShapeError(`${ds.name}: ${ds.featureNames.length} feature names for ${ds.x.cols} features`);
  }
  return ds;
}

/** The class index of every sample (the position of the largest entry of its row of y). */
export function labelsOf(ds: Dataset): Uint32Array {
  if (ds.task !== 'classification') throw new DataError(`${ds.name} is a regression data set; it has no class labels`);
  return argmaxRows(ds.y);
}

/** A new data set holding copies of the given samples, in the given order (repeats allowed). */
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
