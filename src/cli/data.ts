import { loadDataset, loadTestBytes, type LoadOptions } from '../data/load.js';
import type { ImageBytes } from '../data/mnist-family.js';
import type { Dataset, Task } from '../data/dataset.js';
import { applyPreprocessing, fitPreprocessing, trainValidationSplit, type Preprocessing, type PreprocessingKind } from '../data/preprocess.js';
import { DataError } from '../errors.js';
import type { Backend } from '../kernels/index.js';

export interface DataFlags {
  backend: Backend;
  threads: number | 'auto';
  data: string;
  dataDir?: string;
  label?: string;
  task?: Task;
  limit?: number;
}

/** The splits a command works on, with the input transform applied to all of them. */
export interface PreparedData {
  train: Dataset;
  validation?: Dataset;
  /** Whole, or for the IDX sets as bytes (a quarter of the float32 pixels), scaled a chunk at a time when evaluated. */
  test?: Dataset | ImageBytes;
  preprocessing: Preprocessing;
}

/**
 * Loads --data as given on the command line (a built-in name, a toy set, or a CSV path). --limit
 * keeps the first n samples of the sets named in `limited`; IDX files are read no further.
 */
export function loadSplits(flags: DataFlags, seed: number, limited: readonly ('train' | 'test')[], classNames?: readonly string[]): { train: Dataset; test?: Dataset } {
  return loadDataset(flags.data, loadOptions(flags, seed, limited, classNames));
}

function loadOptions(flags: DataFlags, seed: number, limited: readonly ('train' | 'test')[], classNames?: readonly string[], alloc?: (length: number) => Float32Array): LoadOptions {
  const limit = flags.limit === undefined ? undefined : Object.fromEntries(limited.map((split) => [split, flags.limit]));
  return { seed, classNames, dataDir: flags.dataDir, label: flags.label, task: flags.task, ...(limit ? { limit } : {}), ...(alloc ? { alloc } : {}) };
}

/**
 * For training: split a validation set off the training set (seeded), fit the preprocessing on
 * what remains (never on validation or test data) and apply it to every split. The data set is
 * loaded once: IDX training images streamed straight into `alloc`'s storage (the kernels' memory, where
 * training reads them in place), IDX test images held as bytes, the validation set split off in
 * place, and no copy made for the 'none' preprocessing.
 */
export function prepareForTraining(
  flags: DataFlags, kind: PreprocessingKind | 'auto', validation: number, seed: number, alloc?: (length: number) => Float32Array,
): PreparedData {
  const options = loadOptions(flags, seed, ['train'], undefined, alloc);
  const testBytes = loadTestBytes(flags.data, options);
  // (with the test images held as bytes, loadDataset reads only the headers of the test files, for its checks)
  const { train: all, test } = loadDataset(flags.data, testBytes ? { ...options, limit: { ...options.limit, test: 0 } } : options);
  let train = all;
  let val: Dataset | undefined;
  if (validation > 0) {
    // (the sets are this command's own: reordering them in place copies nothing)
    const split = trainValidationSplit(all, validation, seed, { inPlace: true });
    if (split.validation.x.rows === 0) throw new DataError(`--validation ${validation} leaves no validation sample out of ${all.x.rows}`);
    train = split.train;
    val = split.validation;
  }
  const resolved = kind === 'auto' ? defaultPreprocessing(flags.data) : kind;
  const preprocessing = fitPreprocessing(resolved, train.x);
  const apply = (ds: Dataset): Dataset => (preprocessing.kind === 'none' ? ds : { ...ds, x: applyPreprocessing(preprocessing, ds.x) });
  return {
    train: apply(train),
    ...(val ? { validation: apply(val) } : {}),
    ...(testBytes ? { test: preprocessing.kind === 'none' ? testBytes : { ...testBytes, slice: (start, n, into) => apply(testBytes.slice(start, n, into)) } } : test ? { test: apply(test) } : {}),
    preprocessing,
  };
}

/** Image sets are already scaled to [0, 1]; CSV columns come in any unit, so standardise them. */
function defaultPreprocessing(data: string): PreprocessingKind {
  return data.toLowerCase().endsWith('.csv') ? 'standardize' : 'none';
}
