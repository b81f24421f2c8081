import type { Dataset } from '../data/dataset.js';
import { applyPreprocessing, type Preprocessing } from '../data/preprocess.js';
import { loadModel } from '../io/node-files.js';
import type { LoadedModel } from '../io/model-file.js';
import { ShapeError } from '../errors.js';
import type { Matrix } from '../tensor/matrix.js';
import { loadSplits, type DataFlags } from './data.js';

/** A saved model with the input transform it was trained with. */
export interface CliModel extends LoadedModel {
  path: string;
  transform(x: Matrix): Matrix;
}

export async function openModel(path: string, kernels: Pick<DataFlags, 'backend' | 'threads'> = { backend: 'auto', threads: 1 }): Promise<CliModel> {
  const loaded = await loadModel(path, { backend: kernels.backend, threads: kernels.threads });
  const preprocessing = (loaded.info.preprocessing ?? { kind: 'none' }) as unknown as Preprocessing;
  return {
    ...loaded,
    path,
    transform: (x) => {
      if (x.cols !== loaded.network.inputs) {
        throw new ShapeError(`the input has ${x.cols} features per row but ${path} expects ${loaded.network.inputs}`);
      }
      return applyPreprocessing(preprocessing, x);
    },
  };
}

/** The split a command looks at (the test split when the data set has one), transformed as the model expects. */
export function modelData(model: CliModel, flags: DataFlags, split: 'train' | 'test' | undefined): Dataset {
  const seed = model.info.seed;
  // --limit applies to the split looked at, whichever it is.
  const { train, test } = loadSplits(flags, seed, ['train', 'test'], model.info.classNames);
  const ds = split === 'train' || !test ? train : test;
  if (ds.y.cols !== model.network.outputs) {
    throw new ShapeError(`${ds.name} has ${ds.y.cols} outputs per sample but ${model.path} has ${model.network.outputs}`);
  }
  return { ...ds, x: model.transform(ds.x) };
}
