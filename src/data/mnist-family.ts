import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, FormatError } from '../errors.js';
import { Matrix } from '../tensor/matrix.js';
import { checkDataset, type Dataset, type TrainTest } from './dataset.js';
import { readIdx, streamIdx, type IdxArray } from './idx.js';
import { oneHot } from './preprocess.js';

/** The four files of an MNIST-family data set, each stored as is or gzipped (with .gz appended). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const DIGIT_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Fashion-MNIST's ten class names, in label order (0: T-shirt/top … 9: ankle boot). */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Where Debian's dataset-fashion-mnist package installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist/';

/** How {@link loadMnistFamily} names and reads a set. */
export interface MnistFamilyOptions {
  /** Name of the data set, in messages and as the prefix of the sets' names. */
  name: string;
  /** The name of each label, in label order. */
  classNames: readonly string[];
  /** The last part of the message when files are missing: how to get them. */
  missingHint: string;
  /** Read at most this many samples of each set; the rest of the files is never decompressed. */
  limit?: SplitLimits;
  /**
   * Storage for the training images' pixels (default: a new Float32Array). Give the kernels'
   * `alloc` and the pixels are written straight into the kernels' memory, where training reads them
   * in place instead of staging a second copy there (the CLI does this).
   */
  alloc?: (length: number) => Float32Array;
}

/** The most samples to read of the training and of the test set (default: all). */
export interface SplitLimits {
  /** The first n training samples. */
  train?: number;
  /** The first n test samples. */
  test?: number;
}

/**
 * Loads an MNIST-family data set from a directory holding the four standard IDX files:
 * pixels scaled to [0, 1] (divided by 255), labels one-hot. Each file is read and decompressed in
 * pieces and each piece of pixels scaled straight into its place, so neither the compressed file
 * nor its decoded bytes are ever whole in memory (for Fashion-MNIST's training set, 26 MB and
 * 47 MB beside the 188 MB of float32 pixels): with `alloc`, the pixels are the only copy.
 *
 * @param dir - holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 *   t10k-labels-idx1-ubyte, each optionally gzipped (.gz)
 * @example
 * ```ts
 * import { loadMnistFamily } from 'backprop/node';
 *
 * const kmnist = loadMnistFamily('data/kmnist', {
 *   name: 'kmnist',
 *   classNames: ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'],
 *   missingHint: 'download the KMNIST IDX files into data/kmnist',
 * });
 * ```
 */
export function loadMnistFamily(dir: string, options: MnistFamilyOptions): TrainTest {
  const paths = locateFiles(dir, options);
  const train = idxDataset(paths.trainImages, paths.trainLabels, `${options.name}/train`, options.classNames, options.limit?.train, options.alloc);
  const test = idxDataset(paths.testImages, paths.testLabels, `${options.name}/test`, options.classNames, options.limit?.test);
  return { train, test: sameImageSize(train, test, paths) };
}

/** A model takes one image size: caught when loading, before any training on the other set. */
function sameImageSize(train: Dataset, test: Dataset, paths: FilePaths): Dataset {
  if (train.x.cols !== test.x.cols) {
    throw new FormatError(
      `${paths.testImages}: test images of ${test.x.cols} pixels, but the training images of ${paths.trainImages} have ${train.x.cols}; both sets need the same image size`,
    );
  }
  return test;
}

/** The options loadMnist and loadFashionMnist give loadMnistFamily, for either loader. */
export function mnistFamilyOptions(set: 'mnist' | 'fashion-mnist', options: Pick<MnistFamilyOptions, 'limit' | 'alloc'>): MnistFamilyOptions {
  const given = { ...(options.limit ? { limit: options.limit } : {}), ...(options.alloc ? { alloc: options.alloc } : {}) };
  return set === 'mnist'
    ? { name: 'mnist', classNames: DIGIT_CLASSES, missingHint: 'put the MNIST files there, or pass --data-dir DIR', ...given }
    : { name: 'fashion-mnist', classNames: FASHION_MNIST_CLASSES, missingHint: 'install them with: apt-get install -y dataset-fashion-mnist, or pass --data-dir DIR', ...given };
}

/**
 * MNIST proper, from a directory the caller names (no standard place installs it).
 *
 * @example
 * ```ts
 * import { loadMnist } from 'backprop/node';
 *
 * const { train, test } = loadMnist({ dir: 'data/mnist', limit: { train: 10000 } });
 * ```
 */
export function loadMnist(options: { dir: string } & Pick<MnistFamilyOptions, 'limit' | 'alloc'>): TrainTest {
  return loadMnistFamily(options.dir, mnistFamilyOptions('mnist', options));
}

/**
 * Fashion-MNIST, by default from where `apt-get install -y dataset-fashion-mnist` puts it.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from 'backprop/node';
 *
 * const { train, test } = loadFashionMnist();   // /usr/share/datasets/fashion-mnist/
 * console.log(train.x.shape, test.x.shape, train.classNames?.[9]);   // [ 60000, 784 ] [ 10000, 784 ] Ankle boot
 * ```
 */
export function loadFashionMnist(options: { dir?: string } & Pick<MnistFamilyOptions, 'limit' | 'alloc'> = {}): TrainTest {
  return loadMnistFamily(options.dir ?? FASHION_MNIST_DIR, mnistFamilyOptions('fashion-mnist', options));
}

type FilePaths = Record<keyof typeof MNIST_FILES, string>;

/** Finds each file as is or gzipped (the uncompressed one first: it reads faster), or says all that is missing at once. */
function locateFiles(dir: string, options: MnistFamilyOptions): FilePaths {
  const found: Partial<FilePaths> = {};
  const missing: string[] = [];
  for (const [key, file] of Object.entries(MNIST_FILES) as [keyof FilePaths, string][]) {
    const path = [join(dir, file), join(dir, `${file}.gz`)].find((p) => existsSync(p));
    if (path === undefined) missing.push(file);
    else found[key] = path;
  }
  if (missing.length > 0) {
    const expected = Object.values(MNIST_FILES).join(', ');
    const what = existsSync(dir) ? `missing: ${missing.join(', ')}` : 'the directory does not exist';
    throw new DataError(
      `${options.name} not found: looked in ${dir} for ${expected} (each optionally .gz); ${what}; ${options.missingHint}`,
    );
  }
  return found as FilePaths;
}

/** The images streamed from their file (see streamIdx), each piece of bytes scaled into its place in the pixels, and their labels. */
function idxDataset(
  imagesPath: string, labelsPath: string, name: string, classNames: readonly string[], limit: number | undefined,
  alloc: (length: number) => Float32Array = (length) => new Float32Array(length),
): Dataset {
  let dims: number[] = [];
  let pixels: Float32Array = new Float32Array(0);
  streamIdx(imagesPath, {
    start(d) {
      checkImageDims(d, imagesPath);
      dims = d;
      pixels = allocPixels(d, alloc);
    },
    write(bytes, offset) {
      for (let i = 0; i < bytes.length; i++) pixels[offset + i] = bytes[i]! / 255;
    },
  }, { limit });
  const y = labelMatrix(dims[0]!, readIdx(labelsPath, { limit }), classNames, imagesPath, labelsPath);
  return imageDataset(name, dims, pixels, y, classNames);
}

/**
 * An image set held as its IDX file stores it, a byte per pixel: a quarter of the memory of its
 * float32 pixels. The CLI holds its test set so while it trains, and scales it a chunk at a time.
 */
export interface ImageBytes {
  /** The set's name, as its Dataset's (e.g. fashion-mnist/test). */
  readonly name: string;
  /** Samples. */
  readonly rows: number;
  /** Pixels per sample. */
  readonly cols: number;
  /** Samples start..start+n as a Dataset, pixels scaled to [0, 1] (divided by 255) into `into` (default: a new array of n × cols). */
  slice(start: number, n: number, into?: Float32Array): Dataset;
}

/** An MNIST-family set's test images as ImageBytes, with loadMnistFamily's checks. */
export function loadMnistFamilyTestBytes(dir: string, options: MnistFamilyOptions): ImageBytes {
  const paths = locateFiles(dir, options);
  const images = readIdx(paths.testImages, { limit: options.limit?.test });
  checkImageDims(images.dims, paths.testImages);
  const y = labelMatrix(images.dims[0]!, readIdx(paths.testLabels, { limit: options.limit?.test }), options.classNames, paths.testImages, paths.testLabels);
  const [rows, height, width] = images.dims as [number, number, number];
  const cols = height * width;
  const name = `${options.name}/test`;
  return {
    name,
    rows,
    cols,
    slice(start, n, into = new Float32Array(n * cols)) {
      const bytes = images.data.subarray(start * cols, (start + n) * cols);
      const pixels = into.subarray(0, n * cols);
      for (let i = 0; i < bytes.length; i++) pixels[i] = bytes[i]! / 255;
      const labels = new Matrix(n, y.cols, y.data.subarray(start * y.cols, (start + n) * y.cols));
      return imageDataset(name, [n, height, width], pixels, labels, options.classNames);
    },
  };
}

function checkImageDims(dims: number[], imagesPath: string): void {
  if (dims.length !== 3) throw new FormatError(`${imagesPath}: expected 3 dimensions (images × rows × columns), found ${dims.length}`);
}

function allocPixels(dims: number[], alloc: (length: number) => Float32Array): Float32Array {
  const length = dims[0]! * dims[1]! * dims[2]!;
  const pixels = alloc(length);
  if (pixels.length !== length) throw new RangeError(`alloc(${length}) returned ${pixels.length} values`);
  return pixels;
}

/** The labels, checked against the `count` images, one-hot. */
function labelMatrix(count: number, labels: IdxArray, classNames: readonly string[], imagesPath: string, labelsPath: string): Matrix {
  if (labels.dims.length !== 1) {
    throw new FormatError(`${labelsPath}: expected 1 dimension (one label per image), found ${labels.dims.length}`);
  }
  if (labels.dims[0] !== count) {
    throw new FormatError(`${labelsPath}: expected ${count} labels, one per image of ${imagesPath}, found ${labels.dims[0]}`);
  }
  const bad = labels.data.findIndex((label) => label >= classNames.length);
  if (bad >= 0) {
    throw new FormatError(`${labelsPath}: expected labels 0..${classNames.length - 1}, found ${labels.data[bad]} at index ${bad}`);
  }
  return oneHot(labels.data, classNames.length);
}

/** The data set of images (pixels in [0, 1]) with their one-hot labels y. */
function imageDataset(name: string, dims: number[], pixels: Float32Array, y: Matrix, classNames: readonly string[]): Dataset {
  const [count, height, width] = dims as [number, number, number];
  return checkDataset({
    name,
    x: new Matrix(count, height * width, pixels),
    y,
    task: 'classification',
    classNames: [...classNames],
    image: { height, width },
  });
}
