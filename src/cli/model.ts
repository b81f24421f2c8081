import type { Dataset } from '../data/dataset.js';
import { applyPreprocessing, type Preprocessing } from '../data/preprocess.js';
import { loadModel } from '../io/node-files.js';
import type { LoadedModel } from '../io/model-file.js';
import { DataError, ShapeError } from '../errors.js';
import { argmaxRows, Matrix } from '../tensor/matrix.js';
import { loadSplits, type DataFlags } from './data.js';

/** A saved model with the input transform it was trained with. */
export interface CliModel extends LoadedModel {
  path: string;
  transform(x: Matrix): Matrix;
  /** The network's outputs for transformed rows; a non-finite output is a DataError naming the row. */
  outputs(x: Matrix): Matrix;
}

/** Loads a model file for a command; by default on all cores (the workers start only with a product large enough to split: `predict` on a few rows never starts any). */
export async function openModel(path: string, kernels: Pick<DataFlags, 'backend' | 'threads'> = { backend: 'auto', threads: 'auto' }): Promise<CliModel> {
  return cliModel(await loadModel(path, { backend: kernels.backend, threads: kernels.threads }), path);
}

/** A loaded model as the commands use it; `path` names it in errors. */
export function cliModel(loaded: LoadedModel, path: string): CliModel {
  const preprocessing = (loaded.info.preprocessing ?? { kind: 'none' }) as unknown as Preprocessing;
  const transform = (x: Matrix): Matrix => {
    if (x.cols !== loaded.network.inputs) {
      throw new ShapeError(`the input has ${x.cols} features per row but ${path} expects ${loaded.network.inputs}`);
    }
    return applyPreprocessing(preprocessing, x);
  };
  return { ...loaded, path, transform, outputs: (x) => finiteOutputs(loaded.network.predict(x), path) };
}

/**
 * Finite weights can still overflow float32 on some input; such an output is refused rather than
 * printed as NaN with a zero exit status.
 */
function finiteOutputs(out: Matrix, path: string): Matrix {
  const i = out.data.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) {
    throw new DataError(`${path} gives ${out.data[i]} for row ${Math.floor(i / out.cols)} (output ${i % out.cols}): the computation overflows float32 on this input`);
  }
  return out;
}

/**
 * The class of each row of network outputs (or of targets) and its probability: the largest
 * output; for a single (sigmoid) output, which is P(class 1), class 1 when P ≥ 0.5 with
 * probability P, else class 0 with probability 1 − P.
 */
export function classify(out: Matrix): { classes: Uint32Array; probabilities: Float64Array } {
  if (out.cols === 1) {
    const classes = Uint32Array.from(out.data, (p) => (p >= 0.5 ? 1 : 0));
    return { classes, probabilities: Float64Array.from(out.data, (p) => (p >= 0.5 ? p : 1 - p)) };
  }
  const classes = argmaxRows(out);
  return { classes, probabilities: Float64Array.from(classes, (c, i) => out.data[i * out.cols + c]!) };
}

/**
 * The split a command looks at (the test split when the data set has one), transformed as the
 * model expects. A two-class set meets a single-output model with its targets as P(class 1), the
 * second column of the one-hot rows.
 */
export function modelData(model: CliModel, flags: DataFlags, split: 'train' | 'test' | undefined): Dataset {
  const seed = model.info.seed;
  // --limit applies to the split looked at, whichever it is.
  const { train, test } = loadSplits(flags, seed, ['train', 'test'], model.info.classNames);
  const ds = split === 'train' || !test ? train : test;
  const outputs = model.network.outputs;
  if (outputs === 1 && ds.task === 'classification' && ds.y.cols === 2) {
    const y = new Matrix(ds.y.rows, 1, Float32Array.from({ length: ds.y.rows }, (_, i) => ds.y.data[i * 2 + 1]!));
    return { ...ds, x: model.transform(ds.x), y };
  }
  if (ds.y.cols !== outputs) {
    throw new ShapeError(`${ds.name} has ${ds.y.cols} outputs per sample but ${model.path} has ${outputs}`);
  }
  return { ...ds, x: model.transform(ds.x) };
}
