/**
 * The PyTorch export on disk (Node only): a directory holding train.py, README.md, a copy of the
 * model file and, for data sets that only backprop can produce (digits, the toy sets), the data as
 * a safetensors file that train.py reads.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { FormatError } from '../errors.js';
import { modelFromBytes, type LoadedModel } from './model-file.js';
import { writeFileAtomic } from './node-files.js';
import { PYTORCH_FILES, toPytorch, type PytorchExportOptions, type PytorchModel } from './pytorch.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors.js';

/** The format name of a data file, in its `__metadata__.format`. */
export const DATA_FORMAT = 'backprop-data';

/**
 * A data set as safetensors: `train.x` [samples, features] and `train.y` [samples, outputs], F32,
 * the features raw (train.py applies the model's stored transform, as backprop does), plus
 * `test.x`, `test.y` when there is a test split.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { dataToBytes, toyDataset } from 'backprop/node';
 *
 * writeFileSync('data.safetensors', dataToBytes(toyDataset('spirals', { seed: 1 }), toyDataset('spirals', { seed: 2 })));
 * ```
 */
export function dataToBytes(train: Dataset, test?: Dataset): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [split, ds] of [['train', train], ['test', test]] as const) {
    if (!ds) continue;
    tensors[`${split}.x`] = { dtype: 'F32', shape: [ds.x.rows, ds.x.cols], data: Float32Array.from(ds.x.data) };
    tensors[`${split}.y`] = { dtype: 'F32', shape: [ds.y.rows, ds.y.cols], data: Float32Array.from(ds.y.data) };
  }
  const metadata: Record<string, string> = { format: DATA_FORMAT, name: train.name.replace(/\/train$/, ''), task: train.task };
  if (train.classNames) metadata['classNames'] = JSON.stringify(train.classNames);
  return encodeSafetensors(tensors, metadata);
}

/**
 * What train.py needs of a model file: its `backprop` metadata as written, including what this
 * version of backprop does not read itself (the `training` record, per-layer dropout and
 * penalties), after `modelFromBytes` has checked the file is a model.
 */
export function pytorchModelOf(bytes: Uint8Array, name: string): { model: PytorchModel; loaded: LoadedModel } {
  const loaded = modelFromBytes(bytes, name);
  const raw = JSON.parse(decodeSafetensors(bytes, name).metadata['backprop']!) as Record<string, unknown>;
  const model: PytorchModel = { ...loaded.info, layers: raw['layers'] as PytorchModel['layers'] };
  if (raw['training'] !== undefined) {
    if (raw['training'] === null || typeof raw['training'] !== 'object') throw new FormatError(`${name}: the "training" metadata is not an object`);
    model.training = raw['training'] as PytorchModel['training'];
  }
  return { model, loaded };
}

/** What {@link savePytorchExport} writes besides the model: the generator's options and the data. */
export interface PytorchDirectoryOptions extends Omit<PytorchExportOptions, 'modelFile'> {
  /** Written as data.safetensors when given (the data option then points there). */
  dataset?: {
    /** The training set. */
    train: Dataset;
    /** The test set, if any. */
    test?: Dataset;
  };
}

/**
 * Writes the export into `dir` (created if needed): model.safetensors (a copy of the model file,
 * the starting point), data.safetensors when a data set is given, then README.md and train.py.
 * Returns the paths written.
 *
 * @example
 * ```ts
 * import { network, saveModel, savePytorchExport, toyDataset } from 'backprop/node';
 *
 * await saveModel('spirals.safetensors', network([2, 32, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy' }));
 * const written = await savePytorchExport('torch', 'spirals.safetensors', { dataset: { train: toyDataset('spirals') } });
 * console.log(written);   // [ 'torch/model.safetensors', 'torch/data.safetensors', 'torch/train.py', 'torch/README.md' ]
 * // then: cd torch && python train.py   (or: torchrun --standalone --nproc-per-node 2 train.py)
 * ```
 */
export async function savePytorchExport(dir: string, modelPath: string, options: PytorchDirectoryOptions = {}): Promise<string[]> {
  const buf = await readFile(modelPath);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const { model } = pytorchModelOf(bytes, modelPath);
  const { dataset, ...rest } = options;
  const data = dataset ? { kind: 'tensors' as const, path: PYTORCH_FILES.data } : options.data;
  // Generate first: a model train.py cannot express fails before anything is written.
  const { files } = toPytorch(model, { ...rest, ...(data ? { data } : {}), modelFile: PYTORCH_FILES.model });
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, content: Uint8Array | string): Promise<void> => {
    await writeFileAtomic(join(dir, name), content);
    written.push(join(dir, name));
  };
  await write(PYTORCH_FILES.model, bytes);
  if (dataset) await write(PYTORCH_FILES.data, dataToBytes(dataset.train, dataset.test));
  for (const [name, content] of Object.entries(files)) await write(name, content);
  return written;
}
