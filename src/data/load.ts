import { OptionError } from '../errors.js';
import { readCsvDataset } from './csv.js';
import type { Dataset, Task } from './dataset.js';
import { loadDigits } from './digits.js';
import { loadFashionMnist, loadMnist, MNIST_FILES } from './mnist-family.js';
import { TOY_DATASETS, toyDataset, type ToyName, type ToyOptions } from './toy.js';

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
}

/** The sets a name resolves to; only the standard benchmarks come with a test set. */
export interface LoadedData {
  train: Dataset;
  test?: Dataset;
}

/**
 * Resolves a --data value: 'digits', 'mnist', 'fashion-mnist', a toy set's name, or a path ending
 * in .csv.
 */
export function loadDataset(name: string, options: LoadOptions = {}): LoadedData {
  if (name.toLowerCase().endsWith('.csv')) {
    const { label, task, header, classNames } = options;
    return { train: readCsvDataset(name, { label, task, header, classNames }) };
  }
  switch (name) {
    case 'digits':
      return loadDigits();
    case 'mnist':
      if (options.dataDir === undefined) {
        throw new OptionError(`the mnist data set needs --data-dir DIR: a directory holding ${Object.values(MNIST_FILES).join(', ')} (each optionally .gz)`);
      }
      return loadMnist({ dir: options.dataDir });
    case 'fashion-mnist':
      return loadFashionMnist({ dir: options.dataDir });
  }
  if ((TOY_DATASETS as readonly string[]).includes(name)) {
    const { samples, noise, seed, classes } = options;
    return { train: toyDataset(name as ToyName, { samples, noise, seed, classes }) };
  }
  throw new OptionError(`unknown data set ${JSON.stringify(name)}; valid: ${DATASETS.join(', ')}, or a path to a .csv file`);
}
