import { OptionError } from '../errors.js';
import { readCsvDataset } from './csv.js';
import { subset, type Dataset, type Task } from './dataset.js';
import { loadDigits } from './digits.js';
import { FASHION_MNIST_DIR, loadFashionMnist, loadMnist, loadMnistFamilyTestBytes, mnistFamilyOptions, MNIST_FILES, type ImageBytes, type SplitLimits } from './mnist-family.js';
import { TOY_DATASETS, toyDataset, type ToyName, type ToyOptions } from './toy.js';

/** The data sets known by name (a path ending in .csv also loads). */
export const DATASETS = ['digits', 'mnist', 'fashion-mnist', ...TOY_DATASETS] as const;

/** Everything a data set named on the command line may need; each set reads only its own options. */
export interface LoadOptions extends ToyOptions {
  /** Directory of the IDX files: required for mnist, optional for fashion-mnist. */
  dataDir?: string;
  /** CSV: the label column, by name or 0-based index (default: the last). */
  label?: string | number;
  /** CSV: 'classification' (default) or 'regression'. */
  task?: Task;
  /** CSV: whether the first row is a header (default: detected). */
  header?: boolean;
  /** CSV: the classes in output order (a trained model's), so that labels map as they did in training. */
  classNames?: readonly string[];
  /** Keep only the first n samples of the training and/or the test set (IDX files: the rest is never read). */
  limit?: SplitLimits;
  /** IDX sets: storage for the training set's features, e.g. the kernels' `alloc` (see MnistFamilyOptions.alloc). */
  alloc?: (length: number) => Float32Array;
}

/** The sets a name resolves to; only the standard benchmarks come with a test set. */
export interface LoadedData {
  /** The training set (all of a CSV file or a toy set). */
  train: Dataset;
  /** The test set of digits, mnist and fashion-mnist. */
  test?: Dataset;
}

/**
 * Resolves a --data value: 'digits', 'mnist', 'fashion-mnist', a toy set's name, or a path ending
 * in .csv.
 *
 * @param name - one of {@link DATASETS}, or a path ending in .csv
 * @example
 * ```ts
 * import { loadDataset } from 'backprop/node';
 *
 * const { train, test } = loadDataset('digits', { limit: { train: 1000, test: 200 } });
 * console.log(train.x.shape, test?.x.shape);   // [ 1000, 784 ] [ 200, 784 ]
 * ```
 */
export function loadDataset(name: string, options: LoadOptions = {}): LoadedData {
  const { train, test } = loadNamed(name, options);
  const first = (ds: Dataset, n: number | undefined): Dataset => (n === undefined || n >= ds.x.rows ? ds : subset(ds, Array.from({ length: n }, (_, i) => i)));
  return { train: first(train, options.limit?.train), ...(test ? { test: first(test, options.limit?.test) } : {}) };
}

/**
 * The IDX sets' (mnist, fashion-mnist) test images as ImageBytes, with loadDataset's checks and
 * messages; undefined for the other sets, whose test set (if any) loadDataset gives.
 */
export function loadTestBytes(name: string, options: LoadOptions = {}): ImageBytes | undefined {
  if (name !== 'mnist' && name !== 'fashion-mnist') return undefined;
  return loadMnistFamilyTestBytes(idxDir(name, options), mnistFamilyOptions(name, { ...(options.limit ? { limit: options.limit } : {}) }));
}

/** The directory of an IDX set's files: --data-dir, which mnist requires. */
function idxDir(name: 'mnist' | 'fashion-mnist', options: LoadOptions): string {
  if (options.dataDir !== undefined) return options.dataDir;
  if (name === 'mnist') {
    throw new OptionError(`the mnist data set needs --data-dir DIR: a directory holding ${Object.values(MNIST_FILES).join(', ')} (each optionally .gz)`);
  }
  return FASHION_MNIST_DIR;
}

function loadNamed(name: string, options: LoadOptions): LoadedData {
  if (name.toLowerCase().endsWith('.csv')) {
    const { label, task, header, classNames } = options;
    return { train: readCsvDataset(name, { label, task, header, classNames }) };
  }
  const limit = { ...(options.limit ? { limit: options.limit } : {}), ...(options.alloc ? { alloc: options.alloc } : {}) };
  switch (name) {
    case 'digits':
      return loadDigits();
    case 'mnist':
      return loadMnist({ dir: idxDir(name, options), ...limit });
    case 'fashion-mnist':
      return loadFashionMnist({ dir: idxDir(name, options), ...limit });
  }
  if ((TOY_DATASETS as readonly string[]).includes(name)) {
    const { samples, noise, seed, classes } = options;
    return { train: toyDataset(name as ToyName, { samples, noise, seed, classes }) };
  }
  throw new OptionError(`unknown data set ${JSON.stringify(name)}; valid: ${DATASETS.join(', ')}, or a path to a .csv file`);
}
