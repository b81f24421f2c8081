import { resolve } from 'node:path';
import type { Task } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { FASHION_MNIST_DIR } from '../data/mnist-family.js';
import { OptionError } from '../errors.js';
import { PYTORCH_FILES, TORCHRUN, type PytorchData, type TrainingOptimizer, type TrainingRecord } from '../io/pytorch.js';
import { pytorchModelOf, savePytorchExport, type PytorchDirectoryOptions } from '../io/pytorch-files.js';
import { DEFAULT_LEARNING_RATE, type OptimizerId } from '../optimizers/index.js';
import { readFile } from 'node:fs/promises';
import type { Output } from './output.js';

export interface PytorchExportFlags {
  model: string;
  out: string;
  data?: string;
  dataDir?: string;
  label?: string;
  task?: Task;
  limit?: number;
  optimizer?: OptimizerId;
  lr?: number;
  momentum?: number;
  epochs?: number;
  batchSize?: number;
}

/** `backprop export --format pytorch --out DIR`: train.py, README.md, the model and (when only backprop can read it) the data. */
export async function exportPytorch(flags: PytorchExportFlags, io: Output): Promise<number> {
  const buf = await readFile(flags.model);
  const { model, loaded } = pytorchModelOf(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), flags.model);
  const recordedData = loaded.info.extra?.['data'];
  const name = flags.data ?? (typeof recordedData === 'string' ? recordedData : undefined);
  if (name === undefined) throw new OptionError(`${flags.model} does not record its data set; name it with --data`);
  const options: PytorchDirectoryOptions = { training: trainingFlags(flags, model.training) };
  if (flags.limit !== undefined) options.limit = flags.limit;
  const data = pytorchData(name, flags, model.task);
  if (data) options.data = data;
  else {
    // digits and the toy sets exist only inside backprop: train.py gets them as a file.
    const { train, test } = loadDataset(name, { seed: loaded.info.seed, classNames: loaded.info.classNames });
    options.dataset = test ? { train, test } : { train };
  }
  const written = await savePytorchExport(flags.out, flags.model, options);
  io.result(`wrote ${written.join(', ')}`);
  io.result(`run: cd ${flags.out} && python3 ${PYTORCH_FILES.script}   (or: ${TORCHRUN} --nproc_per_node 2 ${PYTORCH_FILES.script})`);
  return 0;
}

/** Data train.py reads itself (CSV, IDX directories), or undefined for sets backprop must write out. */
function pytorchData(name: string, flags: PytorchExportFlags, task: string | undefined): PytorchData | undefined {
  if (name.toLowerCase().endsWith('.csv')) {
    const data: PytorchData = { kind: 'csv', path: resolve(name), task: flags.task ?? (task === 'regression' ? 'regression' : 'classification') };
    if (flags.label !== undefined) data.label = flags.label;
    return data;
  }
  if (name === 'mnist') {
    if (flags.dataDir === undefined) throw new OptionError('the mnist data set needs --data-dir DIR, the directory of its IDX files');
    return { kind: 'idx', dir: resolve(flags.dataDir) };
  }
  if (name === 'fashion-mnist') return { kind: 'idx', dir: resolve(flags.dataDir ?? FASHION_MNIST_DIR) };
  return undefined;
}

/** The command line's training settings over the recorded ones (or over `backprop train`'s defaults). */
function trainingFlags(flags: PytorchExportFlags, recorded: TrainingRecord | undefined): Partial<TrainingRecord> {
  const out: Partial<TrainingRecord> = {};
  if (flags.epochs !== undefined) out.epochs = flags.epochs;
  if (flags.batchSize !== undefined) out.batchSize = flags.batchSize;
  if (flags.optimizer === undefined && flags.lr === undefined && flags.momentum === undefined) return out;
  const base: TrainingOptimizer = recorded?.optimizer ?? { id: 'adam', learningRate: DEFAULT_LEARNING_RATE.adam };
  const id = flags.optimizer ?? base.id;
  const optimizer: TrainingOptimizer =
    id === base.id ? { ...base } : { id, learningRate: DEFAULT_LEARNING_RATE[id as OptimizerId] };
  if (flags.lr !== undefined) optimizer.learningRate = flags.lr;
  if (flags.momentum !== undefined) optimizer.momentum = flags.momentum;
  out.optimizer = optimizer;
  return out;
}
